"""``ringfence webhook serve`` (AdmissionReview v1 over HTTPS) and ``webhook manifest``."""

from __future__ import annotations

import ssl
from dataclasses import replace
from pathlib import Path

import click
import yaml

from ringfence.errors import InputError


@click.group("webhook")
def webhook_group() -> None:
    """Admission webhook: the same policy file as the CLI, enforced at admission."""


@webhook_group.command("serve")
@click.option("--tls-cert", required=True, type=click.Path(dir_okay=False),
              help="PEM certificate chain served to the API server.")
@click.option("--tls-key", required=True, type=click.Path(dir_okay=False),
              help="PEM private key of --tls-cert.")
@click.option("--policy", "policy_path", required=True, type=click.Path(dir_okay=False),
              help="Admission policy (YAML or JSON).")
@click.option("--fail-closed", is_flag=True,
              help="Deny when the evaluation fails, times out or the webhook is overloaded.")
@click.option("--listen", default="127.0.0.1:8443", show_default=True, help="HOST:PORT.")
@click.option("--timeout", "timeout", type=click.FloatRange(min=0.01), default=3.0,
              show_default=True, help="Seconds one evaluation may take.")
@click.option("--max-concurrency", type=click.IntRange(min=1), default=64, show_default=True,
              help="Evaluations in flight before requests count as overload.")
@click.option("--max-body", type=click.IntRange(min=1024), default=3 << 20,
              show_default=True, help="Largest request body in bytes (larger: 413).")
def serve_cmd(tls_cert: str, tls_key: str, policy_path: str, fail_closed: bool, listen: str,
              timeout: float, max_concurrency: int, max_body: int) -> None:
    """Serve /validate, /readyz and /livez over HTTPS until SIGINT/SIGTERM."""
    from ringfence.admission.app import WebhookConfig
    from ringfence.admission.policy import load_policy
    from ringfence.admission.server import serve, split_listen

    split_listen(listen)
    _check_tls(tls_cert, tls_key)
    policy = load_policy(policy_path)
    serve(policy, WebhookConfig(fail_closed, max_body, max_concurrency, timeout), listen,
          tls_cert, tls_key)


def _check_tls(cert: str, key: str) -> None:
    """Fail before binding, with the file named, rather than inside the server."""
    try:
        ssl.create_default_context(ssl.Purpose.CLIENT_AUTH).load_cert_chain(cert, key)
    except (OSError, ssl.SSLError) as exc:
        raise InputError(f"{cert} / {key}", f"cannot load the TLS pair: {exc}") from exc


@webhook_group.command("manifest")
@click.option("--namespace", required=True, help="Namespace the webhook runs in.")
@click.option("--image", help="Webhook image (default: ringfence:VERSION, built locally).")
@click.option("--ca-bundle", type=click.Path(dir_okay=False, path_type=Path),
              help="PEM CA that signed the serving certificate (caBundle).")
@click.option("--fail-closed", is_flag=True, help="failurePolicy Fail and --fail-closed.")
@click.option("--timeout-seconds", type=click.IntRange(1, 30), default=5, show_default=True,
              help="API server's timeout for one call.")
def manifest_cmd(namespace: str, image: str | None, ca_bundle: Path | None,
                 fail_closed: bool, timeout_seconds: int) -> None:
    """Print a Deployment, Service and ValidatingWebhookConfiguration (YAML stream)."""
    from ringfence.admission.manifest import ManifestOptions, manifests

    ca = None
    if ca_bundle is not None:
        try:
            ca = ca_bundle.read_bytes()
        except OSError as exc:
            raise InputError(str(ca_bundle), f"cannot read: {exc.strerror}") from exc
    opts = ManifestOptions(namespace, ca_bundle=ca, fail_closed=fail_closed,
                           timeout_seconds=timeout_seconds)
    if image:
        opts = replace(opts, image=image)
    click.echo(yaml.safe_dump_all(manifests(opts), sort_keys=False), nl=False)
