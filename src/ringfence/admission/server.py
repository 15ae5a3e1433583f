"""Serve the webhook over HTTPS with uvicorn (a well-kept ASGI server; TLS from the standard
``ssl`` module, HTTP/1.1 through httptools).

Settings measured with ``bench/webhook.py``'s wrk runs on 2 cores shared with wrk:
httptools (a declared dependency) answers ~1.3-1.5x the requests/s of h11 at saturation,
with a lower p50; uvloop made no measurable difference at 100 or 500 requests/s (TLS and the
evaluation dominate), so the standard loop stays; one process, as a second one gained
nothing at 500 requests/s on 2 cores and would split the signature cache; no access log."""

from __future__ import annotations

import uvicorn

from ringfence.admission.app import Evaluator, WebhookApp, WebhookConfig
from ringfence.admission.evaluate import Decision, evaluate_pod
from ringfence.admission.images import TrustChecker
from ringfence.admission.policy import AdmissionPolicy
from ringfence.admission.review import ReviewRequest
from ringfence.errors import UsageError


def policy_evaluator(policy: AdmissionPolicy) -> Evaluator:
    """The webhook's evaluation: one shared TrustChecker so verdicts are cached across
    requests; the request's namespace and user drive exemptions."""
    trust = TrustChecker(policy.trust) if policy.trust is not None else None

    def evaluate(review: ReviewRequest) -> Decision | None:
        pod = review.pod()
        if pod is None:
            return None
        return evaluate_pod(policy, pod, namespace=review.namespace or None, user=review.user,
                            trust=trust)

    return evaluate


def webhook_app(policy: AdmissionPolicy, config: WebhookConfig) -> WebhookApp:
    """The policy's webhook. Without ``trust`` the evaluation reads only memory (the checks,
    the allow-list, the scan index loaded with the policy) and runs inline on the event loop;
    signature lookups may block on a registry and keep the worker thread and its timeout."""
    return WebhookApp(policy_evaluator(policy), config, inline=policy.trust is None)


def split_listen(listen: str) -> tuple[str, int]:
    host, sep, port = listen.rpartition(":")
    if not sep or not port.isdigit() or not host:
        raise UsageError(listen, "--listen expects HOST:PORT")
    return host.strip("[]"), int(port)


def make_server(app: WebhookApp, listen: str, cert: str, key: str) -> uvicorn.Server:
    host, port = split_listen(listen)
    config = uvicorn.Config(app, host=host, port=port, ssl_certfile=cert, ssl_keyfile=key,
                            http="httptools", loop="asyncio", lifespan="on",
                            log_level="warning", access_log=False,
                            server_header=False, timeout_graceful_shutdown=5)
    return uvicorn.Server(config)


def serve(policy: AdmissionPolicy, config: WebhookConfig, listen: str, cert: str,
          key: str) -> None:
    """Block serving until SIGINT/SIGTERM."""
    make_server(webhook_app(policy, config), listen, cert, key).run()
