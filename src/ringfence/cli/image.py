"""``ringfence image``: the ring 1 report (its own module so ``sbom`` stays light)."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import click

from ringfence.cli.formats import renderer_for
from ringfence.cli.options import image_options
from ringfence.cli.sbom import FORMATS, emit, scan
from ringfence.cli.scanners import (
    add_findings,
    add_provenance,
    allowlist,
    analyzers,
    findings_failed,
    provenance_options,
    renderer,
    scanner_options,
)
from ringfence.cli.vulns import filters, vuln_options
from ringfence.errors import EXIT_POLICY, Error
from ringfence.model.finding import Severity
from ringfence.report.processors import policy_failed
from ringfence.scan import add_vulnerabilities
from ringfence.vulndb.store import default_path


@click.command("image")
@click.argument("ref")
@click.option("-f", "--format", "fmt", type=click.Choice([*FORMATS, "sarif"]), default=None)
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path))
@image_options
@vuln_options
@scanner_options
def image_cmd(ref: str, fmt: str | None, output: Path | None, db_path: Path | None,
              fail_on: str | None, max_db_age: float | None, vex_files: tuple[Path, ...],
              ignore_file: Path | None, ignore_unfixed: bool, severities: Any,
              scanners: frozenset[str], secret_allowlist: Path | None,
              trusted_registries: tuple[str, ...], policy_path: Path | None,
              registries_d: str | None, **kw: Any) -> None:
    """Ring 1 report of REF: inventory, vulnerabilities, secrets, image-config and
    provenance findings (history, OCI annotations, attestations, trust policy verdict).

    Exit codes: 0 ran and nothing at/over --fail-on; 1 --fail-on matched; 2 usage; 3 could
    not complete (including --fail-on without a usable database); 4 unknowns under --strict.
    """
    chosen = filters(vex_files, ignore_file, ignore_unfixed, severities)
    path = db_path or default_path()
    allow = allowlist(secret_allowlist)
    trust = provenance_options(trusted_registries, policy_path, registries_d, kw)
    result = add_findings(scan(ref, analyzers(scanners, allow), **kw), scanners, allow)
    result = add_provenance(result, scanners, trust)
    if "vuln" in scanners and (db_path is not None or path.is_file()):
        result = add_vulnerabilities(result, path, chosen, max_db_age)
    elif "vuln" in scanners:
        click.echo(f"note: no vulnerability database at {path}; reporting the inventory only "
                   "(run `ringfence db update` or `ringfence db import PATH…`)", err=True)
    fmt = fmt or ("table" if output is None and sys.stdout.isatty() else "json")
    emit(renderer(fmt, scanners, renderer_for).render(result), output)
    if fail_on is None:
        return
    if findings_failed(result, fail_on):
        raise click.exceptions.Exit(EXIT_POLICY)
    if "vuln" not in scanners:
        return
    if result.db is None:
        raise Error(str(path), "--fail-on cannot be evaluated without a vulnerability database")
    if policy_failed(result.vulnerabilities, Severity[fail_on.upper()]):
        raise click.exceptions.Exit(EXIT_POLICY)
