"""``ringfence sbom`` (and the scan/emit helpers ``ringfence image`` shares)."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import click

from ringfence.cli.common import ReportOptions, emit, finish, report_options
from ringfence.cli.formats import renderer_for
from ringfence.cli.options import image_options, scan_options
from ringfence.cli.progress import layer_progress
from ringfence.model.result import ScanResult
from ringfence.scan import scan_image


def scan(ref: str, extra: tuple[Any, ...] = (), *, quiet: bool = False,
         **kw: Any) -> ScanResult:
    with layer_progress(enabled=not quiet) as progress:
        return scan_image(ref, replace(scan_options(**kw), analyzers=extra), progress)


FORMATS = ["table", "json", "cyclonedx", "spdx"]


@click.command("sbom")
@click.argument("ref")
@report_options(FORMATS, fail_on_help="Accepted for the common contract: an SBOM has no "
                "findings.", strict_help="Exit 4 when something could not be analysed "
                "(unknowns).")
@image_options
def sbom_cmd(ref: str, report: ReportOptions, **kw: Any) -> None:
    """Bill of materials of REF (oci:, oci-archive:, docker-archive:, dir:, sbom:, docker://)."""
    result = scan(ref, quiet=report.quiet, **kw)
    emit(renderer_for(report.format()).render(result), report.output)
    finish(report, severities=(), unknowns=len({*result.inventory.unknowns, *result.unknowns}))
