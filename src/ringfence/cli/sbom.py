"""``ringfence sbom`` and ``ringfence image``."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import click

from ringfence.cli.formats import renderer_for
from ringfence.cli.options import image_options, scan_options
from ringfence.cli.progress import layer_progress
from ringfence.model.result import ScanResult
from ringfence.scan import scan_image


def _scan(ref: str, **kw: Any) -> ScanResult:
    with layer_progress() as progress:
        return scan_image(ref, scan_options(**kw), progress)


def _emit(text: str, output: Path | None) -> None:
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
    result = _scan(ref, **kw)
    fmt = fmt or ("table" if output is None and sys.stdout.isatty() else "json")
    _emit(renderer_for(fmt).render(result), output)


@click.command("image")
@click.argument("ref")
@click.option("-f", "--format", "fmt", type=click.Choice(FORMATS), default=None)
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path))
@image_options
def image_cmd(ref: str, fmt: str | None, output: Path | None, **kw: Any) -> None:
    """Ring 1 report of REF: its inventory (vulnerabilities, secrets and trust come later)."""
    result = _scan(ref, **kw)
    fmt = fmt or ("table" if output is None and sys.stdout.isatty() else "json")
    _emit(renderer_for(fmt).render(result), output)
