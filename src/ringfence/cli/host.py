"""``ringfence host [--root DIR]``: ring 2 audit of this machine or a mounted host root."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import click

from ringfence.cli.common import ReportOptions, emit, finding_severities, finish, report_options
from ringfence.errors import InputError
from ringfence.rings.host import host_ring


def not_evaluated(doc: dict[str, Any]) -> list[str]:
    """Rules of the host document that were not evaluated or broke (never "held")."""
    return [r["id"] for r in doc["rules"] if r["status"] in ("not evaluated", "error")]


@click.command("host")
@click.option("--root", type=click.Path(exists=True, file_okay=False, path_type=Path),
              default=None, help="Audit a mounted host root instead of this machine "
              "(its /proc and /sys are not read; nothing outside DIR is opened).")
@report_options(["table", "json"], strict_help="Exit 4 when a fact could not be read or a "
                "rule was not evaluated.")
def host_cmd(root: Path | None, report: ReportOptions) -> None:
    """Audit the container host: kernel, LSMs, sysctls, sshd, runtime configs, permissions."""
    ring = host_ring(str(root) if root is not None else "/")  # the ring `scan` reads too
    if ring.document is None:
        raise InputError(str(root or "/"), ring.reason)
    doc = ring.document
    if report.format() == "json":
        text = json.dumps(doc, indent=2) + "\n"
    else:
        from ringfence.report.host_table import render_host_table  # loads rich

        text = render_host_table(doc)
    emit(text, report.output)
    missing = not_evaluated(doc)
    if missing and report.strict:
        report.note(f"note: {len(missing)} of {len(doc['rules'])} rules not evaluated: "
                    f"{', '.join(missing)}")
    finish(report, severities=finding_severities(doc),
           unknowns=len(doc["unknowns"]) + len(missing))
