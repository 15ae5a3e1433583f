"""Serve the webhook over HTTPS with uvicorn (a well-kept ASGI server; TLS from the standard
``ssl`` module, HTTP/1.1 through httptools when installed, else h11)."""

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


def split_listen(listen: str) -> tuple[str, int]:
    host, sep, port = listen.rpartition(":")
    if not sep or not port.isdigit() or not host:
        raise UsageError(listen, "--listen expects HOST:PORT")
    return host.strip("[]"), int(port)


def make_server(app: WebhookApp, listen: str, cert: str, key: str) -> uvicorn.Server:
    host, port = split_listen(listen)
    config = uvicorn.Config(app, host=host, port=port, ssl_certfile=cert, ssl_keyfile=key,
                            lifespan="on", log_level="warning", access_log=False,
                            server_header=False, timeout_graceful_shutdown=5)
    return uvicorn.Server(config)


def serve(policy: AdmissionPolicy, config: WebhookConfig, listen: str, cert: str,
          key: str) -> None:
    """Block serving until SIGINT/SIGTERM."""
    make_server(WebhookApp(policy_evaluator(policy), config), listen, cert, key).run()
