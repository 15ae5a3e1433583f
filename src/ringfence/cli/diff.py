"""``ringfence diff REF ROOTFS``, ``ringfence baseline create`` and ``baseline check``."""

from __future__ import annotations

import json
import os
from pathlib import Path

import click

from ringfence.diff import baseline as bl
from ringfence.diff.compare import diff_filesystems, filter_at_or_over
from ringfence.diff.model import SEVERITY_ORDER, DriftReport
from ringfence.diff.rootfs import RUNTIME_OWNED, container_view, image_view
from ringfence.errors import EXIT_POLICY, InputError

PASSPHRASE_ENV = "RINGFENCE_PASSPHRASE"  # noqa: S105 - the name of a variable, not a secret
LEVELS = list(SEVERITY_ORDER)

_fmt = click.option("-f", "--format", "fmt", type=click.Choice(["table", "json"]),
                    default="table", show_default=True)
_fail = click.option("--fail-on", type=click.Choice(LEVELS), default="high", show_default=True,
                     help="Exit 1 when a change is scored at or over this level.")
_out = click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path),
                    help="Write the report here instead of stdout.")


def _read(path: Path, what: str) -> bytes:
    try:
        return path.read_bytes()
    except OSError as exc:
        raise InputError(str(path), f"cannot read {what}: {exc.strerror}") from exc


def _render(report: DriftReport, fmt: str) -> str:
    if fmt == "json":
        return json.dumps(report.to_dict(), indent=1, sort_keys=True) + "\n"
    lines = [f"{c.severity.upper():6} {c.change:7} {c.path}"
             f"{' (' + ', '.join(c.attributes) + ')' if c.attributes else ''}  — {c.reason}"
             for c in report.changes]
    lines += [f"?      unread  {p}  — {r}" for p, r in report.problems]
    counts = report.counts()
    lines.append(f"{counts['added']} added, {counts['changed']} changed, {counts['deleted']} "
                 f"deleted (runtime-owned paths not compared: {', '.join(report.ignored)})")
    return "\n".join(lines) + "\n"


def _finish(report: DriftReport, fmt: str, output: Path | None, fail_on: str) -> None:
    text = _render(report, fmt)
    if output:
        output.write_text(text)
    else:
        click.echo(text, nl=False)
    if filter_at_or_over(report, fail_on, SEVERITY_ORDER):
        raise click.exceptions.Exit(EXIT_POLICY)


@click.command("diff")
@click.argument("reference")
@click.argument("rootfs")
@_fmt
@_out
@_fail
def diff_cmd(reference: str, rootfs: str, fmt: str, output: Path | None, fail_on: str) -> None:
    """Drift of a container filesystem (directory, tar export or docker-archive:FILE)
    against the image REFERENCE: added, changed and deleted files, scored."""
    report = diff_filesystems(image_view(reference), container_view(rootfs), RUNTIME_OWNED)
    _finish(report, fmt, output, fail_on)


@click.group("baseline")
def baseline_group() -> None:
    """Signed file-hash manifests of an image (tripwire-style) and checks against them."""


@baseline_group.command("create")
@click.argument("reference")
@click.option("--key", type=click.Path(dir_okay=False, path_type=Path), required=True,
              help="ECDSA P-256 private key: cosign/sigstore encrypted PEM or plain PEM.")
@click.option("--passphrase-file", type=click.Path(dir_okay=False, path_type=Path),
              help=f"Key passphrase (default: ${PASSPHRASE_ENV}).")
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path), required=True)
def baseline_create_cmd(reference: str, key: Path, passphrase_file: Path | None,
                        output: Path) -> None:
    """Write a signed baseline of REFERENCE to OUTPUT."""
    password = _read(passphrase_file, "passphrase").rstrip(b"\r\n") if passphrase_file \
        else os.environ.get(PASSPHRASE_ENV, "").encode() or None
    private = bl.load_private_key(_read(key, "key"), password, str(key))
    output.write_bytes(bl.create(reference, image_view(reference), private))


@baseline_group.command("check")
@click.argument("baseline", type=click.Path(dir_okay=False, path_type=Path))
@click.argument("rootfs")
@click.option("--pubkey", type=click.Path(dir_okay=False, path_type=Path), required=True)
@_fmt
@_out
@_fail
def baseline_check_cmd(baseline: Path, rootfs: str, pubkey: Path, fmt: str,
                       output: Path | None, fail_on: str) -> None:
    """Verify BASELINE's signature, then report drift of ROOTFS against it."""
    doc = bl.verify(_read(baseline, "baseline"), _read(pubkey, "public key"), str(baseline))
    _finish(bl.check(doc, container_view(rootfs), RUNTIME_OWNED), fmt, output, fail_on)
