"""``ringfence sbom`` (and the scan/emit helpers ``ringfence image`` shares)."""

from __future__ import annotations

import sys
from dataclasses import replace
from pathlib import Path
from typing import Any

import click

from ringfence.cli.formats import renderer_for
from ringfence.cli.options import image_options, scan_options
from ringfence.cli.progress import layer_progress
from ringfence.model.result import ScanResult
from ringfence.scan import scan_image


def scan(ref: str, extra: tuple[Any, ...] = (), **kw: Any) -> ScanResult:
    with layer_progress() as progress:
        return scan_image(ref, replace(scan_options(**kw), analyzers=extra), progress)


def emit(text: str, output: Path | None) -> None:
    if output is None:
        click.echo(text, nl=False)
        return
    tmp = output.with_name(f".{output.name}.tmp")
    tmp.write_text(text, encoding="utf-8")
    tmp.replace(output)


FORMATS = ["table", "json", "cyclonedx", "spdx"]


@click.command("sbom")
@click.argument("ref")
@click.option("-f", "--format", "fmt", type=click.Choice(FORMATS), default=None,
              help="Output format (default: table on a terminal, json otherwise).")
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path),
              help="Write to FILE instead of stdout.")
@image_options
def sbom_cmd(ref: str, fmt: str | None, output: Path | None, **kw: Any) -> None:
    """Bill of materials of REF (oci:, oci-archive:, docker-archive:, dir:, sbom:, docker://)."""
    result = scan(ref, **kw)
    fmt = fmt or ("table" if output is None and sys.stdout.isatty() else "json")
    emit(renderer_for(fmt).render(result), output)
