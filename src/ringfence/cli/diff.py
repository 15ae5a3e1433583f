"""``ringfence diff REF ROOTFS``, ``ringfence baseline create`` and ``baseline check``."""

from __future__ import annotations

import json
from pathlib import Path

import click

from ringfence.cli.common import (
    DOCUMENT_BYTES,
    PASSPHRASE_ENV,
    ReportOptions,
    emit,
    finish,
    passphrase,
    read_input,
    report_options,
)
from ringfence.cli.progress import layer_progress
from ringfence.diff import baseline as bl
from ringfence.diff.compare import diff_filesystems
from ringfence.diff.model import DriftReport
from ringfence.diff.rootfs import RUNTIME_OWNED, container_view, image_view
from ringfence.model.finding import Severity
from ringfence.outputs import write_output
from ringfence.report.text import plain

_report = report_options(["table", "json"], fail_on_help="Exit 1 when a change is scored at "
                         "or over this level (low, medium, high).",
                         strict_help="Exit 4 when a file could not be compared.")


def _render(report: DriftReport, fmt: str) -> str:
    if fmt == "json":
        return json.dumps(report.to_dict(), indent=1, sort_keys=True) + "\n"
    lines = [f"{c.severity.upper():6} {c.change:7} {plain(c.path)}"
             f"{' (' + ', '.join(c.attributes) + ')' if c.attributes else ''}  — "
             f"{plain(c.reason)}" for c in report.changes]
    lines += [f"?      unread  {plain(p)}  — {plain(r)}" for p, r in report.problems]
    counts = report.counts()
    lines.append(f"{counts['added']} added, {counts['changed']} changed, {counts['deleted']} "
                 f"deleted (runtime-owned paths not compared: {', '.join(report.ignored)})")
    return "\n".join(lines) + "\n"


def _finish(drift: DriftReport, report: ReportOptions) -> None:
    emit(_render(drift, report.format()), report.output)
    finish(report, severities=[Severity.parse(c.severity) for c in drift.changes],
           unknowns=len(drift.problems))


@click.command("diff")
@click.argument("reference")
@click.argument("rootfs")
@_report
def diff_cmd(reference: str, rootfs: str, report: ReportOptions) -> None:
    """Drift of a container filesystem (directory, tar export or docker-archive:FILE)
    against the image REFERENCE: added, changed and deleted files, scored."""
    with layer_progress(enabled=not report.quiet) as progress:
        image, container = image_view(reference, progress), container_view(rootfs, None,
                                                                            progress)
    _finish(diff_filesystems(image, container, RUNTIME_OWNED), report)


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
    private = bl.load_private_key(read_input(key, "key"), passphrase(passphrase_file) or None,
                                  str(key))
    with layer_progress() as progress:
        view = image_view(reference, progress)
    write_output(output, bl.create(reference, view, private))


@baseline_group.command("check")
@click.argument("baseline", type=click.Path(dir_okay=False, path_type=Path))
@click.argument("rootfs")
@click.option("--pubkey", type=click.Path(dir_okay=False, path_type=Path), required=True)
@_report
def baseline_check_cmd(baseline: Path, rootfs: str, pubkey: Path,
                       report: ReportOptions) -> None:
    """Verify BASELINE's signature, then report drift of ROOTFS against it."""
    doc = bl.verify(read_input(baseline, "baseline", DOCUMENT_BYTES),
                    read_input(pubkey, "public key"), str(baseline))
    with layer_progress(enabled=not report.quiet) as progress:
        container = container_view(rootfs, None, progress)
    _finish(bl.check(doc, container, RUNTIME_OWNED), report)
