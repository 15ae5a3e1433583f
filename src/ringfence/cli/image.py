"""``ringfence image``: the ring 1 report (its own module so ``sbom`` stays light)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from ringfence.cli.common import ReportOptions, emit, finish, report_options
from ringfence.cli.formats import renderer_for
from ringfence.cli.options import image_options
from ringfence.cli.sbom import FORMATS, scan
from ringfence.cli.scanners import (
    add_findings,
    add_provenance,
    allowlist,
    analyzers,
    provenance_options,
    renderer,
    scanner_options,
)
from ringfence.cli.vulns import filters, vuln_options
from ringfence.errors import Error
from ringfence.model.result import ScanResult
from ringfence.scan import add_vulnerabilities
from ringfence.vulndb.store import default_path


@click.command("image")
@click.argument("ref")
@report_options([*FORMATS, "sarif"], fail_on_help="Exit 1 when a finding or an unsuppressed "
                "vulnerability is at or above this severity (exit 3 when no usable database "
                "covers the image's OS packages).")
@click.option("--list-packages", is_flag=True,
              help="Also list every package in the table (json and SBOM formats always do).")
@image_options
@vuln_options
@scanner_options
@click.option("--store", "store_url", metavar="URL", default=None,
              help="Also record the image (digest, refs, layers, packages, vulnerabilities) "
              "in this inventory store: sqlite:///PATH or postgresql://… "
              "(see `ringfence inventory`).")
def image_cmd(ref: str, report: ReportOptions, list_packages: bool, db_path: Path | None,
              max_db_age: float | None, vex_files: tuple[Path, ...],
              ignore_file: Path | None, ignore_unfixed: bool, severities: Any,
              scanners: frozenset[str], secret_allowlist: Path | None,
              trusted_registries: tuple[str, ...], policy_path: Path | None,
              registries_d: str | None, store_url: str | None, **kw: Any) -> None:
    """Ring 1 report of REF: inventory, vulnerabilities, secrets, image-config and
    provenance findings (history, OCI annotations, attestations, trust policy verdict).

    Exit codes: 0 ran and nothing at/over --fail-on; 1 --fail-on matched; 2 usage; 3 could
    not complete (including --fail-on without a usable database); 4 unknowns under --strict.
    """
    chosen = filters(vex_files, ignore_file, ignore_unfixed, severities)
    path = db_path or default_path()
    allow = allowlist(secret_allowlist)
    trust = provenance_options(trusted_registries, policy_path, registries_d, kw)
    result = add_findings(scan(ref, analyzers(scanners, allow), quiet=report.quiet, **kw),
                          scanners, allow)
    result = add_provenance(result, scanners, trust)
    if "vuln" in scanners and (db_path is not None or path.is_file()):
        result = add_vulnerabilities(result, path, chosen, max_db_age)
    elif "vuln" in scanners:
        report.note(f"note: no vulnerability database at {path}; reporting the inventory only "
                    "(run `ringfence db update` or `ringfence db import PATH…`)")
    if store_url is not None:
        _record(result, ref, store_url)
    if result.db is not None:
        from ringfence.cli.db import stale_warning

        warning = stale_warning(result.db.age_days)
        if warning:
            report.note(warning)
    emit(renderer(report.format(), scanners, renderer_for, list_packages).render(result),
         report.output)
    severities = [f.severity for f in result.findings]
    severities += [m.severity for m in result.vulnerabilities if not m.suppressed_by]
    uncovered = len(result.coverage.uncovered) if result.coverage else 0
    finish(report, severities=severities,  # each package set not checked counts as unknown
           unknowns=len({*result.inventory.unknowns, *result.unknowns}) + uncovered,
           cannot_gate=_cannot_gate(result, scanners, path))


def _record(result: ScanResult, ref: str, store_url: str) -> None:
    """Record what was scanned in the inventory store (one transaction)."""
    from ringfence.cli.inventory import record_of
    from ringfence.store.db import InventoryStore

    path = ref[len("sbom:"):] if ref.startswith("sbom:") else None
    record = record_of(result, ref, path)
    with InventoryStore.open(store_url) as store:
        store.add(record)


def _cannot_gate(result: ScanResult, scanners: frozenset[str], path: Path) -> Error | None:
    """Why --fail-on cannot be evaluated for vulnerabilities (None when it can)."""
    if "vuln" not in scanners:
        return None
    if result.db is None:
        return Error(str(path), "--fail-on cannot be evaluated without a vulnerability database")
    if result.coverage is not None and result.coverage.os_gap:
        gaps = "; ".join(g.describe() for g in result.coverage.uncovered if g.os_packages)
        return Error(str(path), f"--fail-on cannot be evaluated: {gaps}",
                     hint="import the distribution's feed (`ringfence db import`/`db update`)")
    return None
