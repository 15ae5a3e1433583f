"""``ringfence sign``, ``verify``, ``policy lint`` and ``key generate``."""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

import click

from ringfence.checks.engine import run_checks
from ringfence.cli.common import (
    PASSPHRASE_ENV,
    ReportOptions,
    emit,
    findings_text,
    finish,
    passphrase,
    read_input,
    report_options,
)
from ringfence.errors import UsageError
from ringfence.image.reference import parse_reference
from ringfence.model.finding import Severity
from ringfence.report.jsontext import json_text
from ringfence.report.text import plain
from ringfence.trust.evaluate import Verdict

registry_opts = [
    click.option("--registries-d", type=click.Path(file_okay=False),
                 help="registries.d directory (lookaside stores, sigstore attachments)."),
    click.option("--insecure-registry", is_flag=True, help="Allow plain HTTP / unverified TLS."),
    click.option("--authfile", type=click.Path(dir_okay=False), help="Registry credentials."),
]


def _with_registry(func: Callable[..., Any]) -> Callable[..., Any]:
    for opt in reversed(registry_opts):
        func = opt(func)
    return func


@click.command("sign")
@click.argument("ref")
@click.option("--key", "key", type=click.Path(dir_okay=False, path_type=Path),
              help="Encrypted sigstore/cosign private key: writes a sigstore signature.")
@click.option("--gpg-key", help="OpenPGP key fingerprint: writes a simple signature.")
@click.option("--gpg-home", type=click.Path(file_okay=False), help="GNUPGHOME for --gpg-key.")
@click.option("--identity", help="Docker reference to sign (default: REF; needed for oci:).")
@click.option("--passphrase-file", type=click.Path(dir_okay=False, path_type=Path),
              help=f"Key passphrase (default: ${PASSPHRASE_ENV}).")
@_with_registry
def sign_cmd(ref: str, key: Path | None, gpg_key: str | None, gpg_home: str | None,
             identity: str | None, passphrase_file: Path | None, registries_d: str | None,
             insecure_registry: bool, authfile: str | None) -> None:
    """Sign REF: sigstore attachment (--key) or simple signing into the lookaside (--gpg-key)."""
    from ringfence.trust.keys import decrypt_private
    from ringfence.trust.sign import SignOptions, sign_gpg, sign_sigstore

    if (key is None) == (gpg_key is None):
        raise UsageError("sign", "give exactly one of --key and --gpg-key")
    options = SignOptions(registries_d, insecure_registry, authfile, identity)
    parsed = parse_reference(ref)
    secret = passphrase(passphrase_file)
    if gpg_key is not None:
        where = sign_gpg(parsed, gpg_key, options, passphrase=secret, gpg_home=gpg_home)
    else:
        assert key is not None
        private = decrypt_private(read_input(key, "key"), secret or b"", str(key))
        where = sign_sigstore(parsed, private, options)
    click.echo(f"signed {ref}: {where}")


@click.command("verify")
@click.argument("ref")
@click.option("--policy", "policy_path", required=True, type=click.Path(dir_okay=False),
              help="containers-policy.json(5) file.")
@report_options(["table", "json"], fail_on_help="A rejection is a critical finding: verify "
                "exits 1 when REF is rejected, whatever the level.")
@_with_registry
def verify_cmd(ref: str, policy_path: str, report: ReportOptions, registries_d: str | None,
               insecure_registry: bool, authfile: str | None) -> None:
    """Evaluate the trust policy for REF as skopeo/podman would; exit 1 when rejected."""
    from ringfence.trust.policy import load_policy
    from ringfence.trust.verify import VerifyOptions, verify

    verdict = verify(parse_reference(ref), load_policy(policy_path),
                     VerifyOptions(registries_d, insecure_registry, authfile))
    emit(_render_verdict(ref, verdict, report.format()) + "\n", report.output)
    gate = replace(report, fail_on=report.fail_on or "unknown")  # verify is a gate by itself
    finish(gate, severities=[] if verdict.allowed else [Severity.CRITICAL], unknowns=0)


def _render_verdict(ref: str, verdict: Verdict, fmt: str) -> str:
    if fmt == "json":
        return json.dumps({"schema": "ringfence.verify/1", "reference": ref,
                           "allowed": verdict.allowed, "scope": verdict.scope,
                           "requirements": [{"type": r.type, "accepted": r.accepted,
                                             "reason": r.reason, "signer": r.signer,
                                             "signed_reference": r.signed_reference}
                                            for r in verdict.results]}, indent=2)
    lines = [f"{plain(ref)}: {'ALLOWED' if verdict.allowed else 'REJECTED'} "
             f"(scope {plain(verdict.scope)})"]
    lines += [f"  {'ok ' if r.accepted else 'NO '} {plain(r.type)}: {plain(r.reason)}"
              for r in verdict.results]
    return "\n".join(lines)


@click.group("policy")
def policy_group() -> None:
    """Trust policy (containers-policy.json) tools."""


@policy_group.command("lint")
@click.argument("policy_path", type=click.Path(dir_okay=False))
@report_options(["table", "json"])
def lint_cmd(policy_path: str, report: ReportOptions) -> None:
    """Holes in a trust policy, each with the attack it allows."""
    from ringfence.trust.lint import load_policy_facts
    from ringfence.trust.rules import TRUST_CHECKS

    run = run_checks(TRUST_CHECKS, load_policy_facts(policy_path), policy_path)
    doc = {"schema": "ringfence.policy-lint/1", "policy": policy_path,
           "evaluated": list(run.evaluated),
           "findings": [f.to_dict() for f in run.findings],
           "unknowns": [u.to_dict() for u in run.unknowns]}
    if report.format() == "json":
        text = json_text(doc)
    else:
        text = findings_text(doc, [f"{plain(policy_path)}: {len(run.evaluated)} rules "
                                   "evaluated"])
    emit(text, report.output)
    finish(report, severities=[f.severity for f in run.findings], unknowns=len(run.unknowns))


@click.group("key")
def key_group() -> None:
    """Signing keys."""


@key_group.command("generate")
@click.option("--out", "out", required=True, type=click.Path(file_okay=False, path_type=Path))
@click.option("--passphrase-file", type=click.Path(dir_okay=False, path_type=Path),
              help=f"Passphrase for the private key (default: ${PASSPHRASE_ENV}, else empty).")
def key_generate_cmd(out: Path, passphrase_file: Path | None) -> None:
    """ECDSA P-256 pair: OUT/cosign.key (encrypted, cosign format) and OUT/cosign.pub."""
    from ringfence.trust.keys import generate

    pair = generate(passphrase(passphrase_file) or b"")
    out.mkdir(parents=True, exist_ok=True)
    private = out / "cosign.key"
    if private.exists():
        raise UsageError(str(private), "exists; refusing to overwrite a private key")
    fd = os.open(private, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as f:
        f.write(pair.private_pem)
    (out / "cosign.pub").write_bytes(pair.public_pem)
    click.echo(f"wrote {private} and {out / 'cosign.pub'}")


TRUST_COMMANDS = (sign_cmd, verify_cmd, policy_group, key_group)
