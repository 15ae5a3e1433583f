"""``ringfence webhook serve`` (AdmissionReview v1 over HTTPS) and ``webhook manifest``."""

from __future__ import annotations

import ssl
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING

import click
import yaml

from ringfence.errors import InputError, UsageError
from ringfence.inputs import read_regular

if TYPE_CHECKING:
    from ringfence.admission.tls import TlsMaterial


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
@click.option("--fail-closed/--fail-open", default=True, show_default=True,
              help="Whether a request that cannot be evaluated (deadline, error, failed "
              "lookup, overload) is denied (default) or allowed. Fail-open is unsafe: "
              "a pod made slow or costly to evaluate is admitted unchecked.")
@click.option("--listen", default="127.0.0.1:8443", show_default=True, help="HOST:PORT.")
@click.option("--timeout", "timeout", type=click.FloatRange(min=0.01), default=3.0,
              show_default=True, help="Deadline in seconds for one request (read, parse, "
              "evaluation); keep it below the webhook's timeoutSeconds.")
@click.option("--max-concurrency", type=click.IntRange(min=1), default=64, show_default=True,
              help="Evaluations in flight before requests count as overload.")
@click.option("--max-body", type=click.IntRange(min=1024), default=3 << 20,
              show_default=True, help="Largest request body in bytes (larger: denied).")
@click.option("--max-request-memory", type=click.IntRange(min=1 << 20), default=None,
              help="Estimated memory that requests in progress may hold, in bytes; past "
              "it a request counts as overload. [default: 268435456]")
@click.option("--max-containers", type=click.IntRange(min=1), default=None,
              help="Most containers (init, regular, ephemeral) in one pod; more: denied. "
              "[default: 128]")
@click.option("--max-pod-bytes", type=click.IntRange(min=1024), default=None,
              help="Largest pod spec in bytes (compact JSON); larger: denied. "
              "[default: 1048576]")
def serve_cmd(tls_cert: str, tls_key: str, policy_path: str, fail_closed: bool, listen: str,
              timeout: float, max_concurrency: int, max_body: int,
              max_request_memory: int | None, max_containers: int | None,
              max_pod_bytes: int | None) -> None:
    """Serve /validate, /readyz and /livez over HTTPS until SIGINT/SIGTERM."""
    from ringfence.admission.app import WebhookConfig, fail_open_warning
    from ringfence.admission.policy import load_policy
    from ringfence.admission.server import serve, split_listen

    split_listen(listen)
    _check_tls(tls_cert, tls_key)
    policy = load_policy(policy_path)
    config = WebhookConfig(fail_closed=fail_closed, max_body_bytes=max_body,
                           max_concurrency=max_concurrency, timeout_seconds=timeout)
    if max_request_memory is not None:
        config = replace(config, max_request_memory=max_request_memory)
    if max_containers is not None:
        config = replace(config, max_containers=max_containers)
    if max_pod_bytes is not None:
        config = replace(config, max_pod_spec_bytes=max_pod_bytes)
    warning = fail_open_warning(config)
    if warning:
        click.secho(warning, err=True, fg="red", bold=True)
    serve(policy, config, listen, tls_cert, tls_key)


def _check_tls(cert: str, key: str) -> None:
    """Fail before binding, with the file named, rather than inside the server."""
    try:
        ssl.create_default_context(ssl.Purpose.CLIENT_AUTH).load_cert_chain(cert, key)
    except (OSError, ssl.SSLError) as exc:
        raise InputError(f"{cert} / {key}", f"cannot load the TLS pair: {exc}") from exc


@webhook_group.command("manifest")
@click.option("--namespace", required=True, help="Namespace the webhook runs in (never "
              "evaluated by it, nor kube-system).")
@click.option("--image", help="Webhook image (default: localhost/ringfence:VERSION, built "
              "locally from the Containerfile).")
@click.option("--generate-tls", is_flag=True,
              help="Generate a CA and a serving certificate for the Service: the TLS Secret "
              "and the caBundle (the output then holds the private key).")
@click.option("--tls-cert", type=click.Path(dir_okay=False, path_type=Path),
              help="PEM serving certificate (leaf first) for the TLS Secret.")
@click.option("--tls-key", type=click.Path(dir_okay=False, path_type=Path),
              help="PEM private key of --tls-cert.")
@click.option("--ca-bundle", type=click.Path(dir_okay=False, path_type=Path),
              help="PEM CA that signed the serving certificate (caBundle). Default with "
              "--tls-cert: the certificate's last entry. Alone: the Secret is managed "
              "elsewhere.")
@click.option("--policy", "policy_path", type=click.Path(dir_okay=False, path_type=Path),
              help="Admission policy for the ConfigMap [default: pss enforce baseline, "
              "audit restricted].")
@click.option("--fail-closed/--fail-open", default=True, show_default=True,
              help="failurePolicy Fail and a fail-closed server (default), or Ignore and "
              "fail-open (unsafe; warned about on stderr).")
@click.option("--timeout-seconds", type=click.IntRange(1, 30), default=5, show_default=True,
              help="API server's timeout for one call; the server's own deadline is "
              "shorter, so it answers 'denied' itself.")
@click.option("--replicas", type=click.IntRange(1, 100), default=2, show_default=True)
def manifest_cmd(namespace: str, image: str | None, generate_tls: bool,
                 tls_cert: Path | None, tls_key: Path | None, ca_bundle: Path | None,
                 policy_path: Path | None, fail_closed: bool, timeout_seconds: int,
                 replicas: int) -> None:
    """Print ConfigMap, Secret, Service, Deployment, PodDisruptionBudget and
    ValidatingWebhookConfiguration (YAML stream, apply order)."""
    from ringfence.admission.manifest import ManifestOptions, manifests, warnings

    tls = _manifest_tls(namespace, generate_tls, tls_cert, tls_key, ca_bundle)
    opts = ManifestOptions(namespace, tls, fail_open=not fail_closed,
                           timeout_seconds=timeout_seconds, replicas=replicas)
    if image:
        opts = replace(opts, image=image)
    if policy_path is not None:
        opts = replace(opts, policy=_policy_text(policy_path))
    for line in warnings(opts):
        loud = line.startswith("WARNING")
        click.secho(line, err=True, fg="red" if loud else None, bold=loud)
    click.echo(yaml.safe_dump_all(manifests(opts), sort_keys=False), nl=False)


def _manifest_tls(namespace: str, generate: bool, cert: Path | None, key: Path | None,
                  ca: Path | None) -> TlsMaterial:
    from ringfence.admission.manifest import NAME
    from ringfence.admission.tls import TlsMaterial, check_tls, generate_tls

    if generate:
        if cert or key or ca:
            raise UsageError("--generate-tls", "not with --tls-cert, --tls-key or --ca-bundle")
        return generate_tls(NAME, namespace)
    if (cert is None) != (key is None):
        raise UsageError("--tls-cert/--tls-key", "give both or neither")
    if cert is None and ca is None:
        raise UsageError("webhook manifest", "the webhook needs a caBundle the API server "
                         "trusts: give --generate-tls, --tls-cert and --tls-key, or "
                         "--ca-bundle")
    cert_pem = _read(cert) if cert else None
    tls = TlsMaterial(_read(ca) if ca else _last_pem(cert_pem or b""), cert_pem,
                      _read(key) if key else None)
    check_tls(tls, NAME, namespace, str(cert or ca))
    return tls


def _last_pem(chain: bytes) -> bytes:
    """The last certificate of a chain file (its root, or the leaf when self-signed)."""
    marker = b"-----BEGIN CERTIFICATE-----"
    return chain[chain.rfind(marker):] if marker in chain else chain


def _read(path: Path, limit: int = 1 << 20) -> bytes:
    """A certificate, key or policy file: regular (a FIFO would block start-up), capped."""
    return read_regular(path, limit, str(path))


def _policy_text(path: Path) -> str:
    """The policy file as text, parsed as the server will (unless it names trust or scan
    files: their paths point inside the webhook's container)."""
    from ringfence.admission.policy import loads_policy

    data = _read(path)
    try:
        text = data.decode()
        doc = yaml.safe_load(text)
    except (UnicodeDecodeError, yaml.YAMLError) as exc:
        raise InputError(str(path), f"not a YAML policy: {exc}") from exc
    if doc is not None and not isinstance(doc, dict):
        raise InputError(str(path), "not a YAML policy: expected a mapping")
    if not (doc or {}).keys() & {"trust", "vulnerabilities"}:
        loads_policy(text, str(path))
    return text
