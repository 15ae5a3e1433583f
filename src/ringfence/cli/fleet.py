"""``ringfence fleet``: many images (named, from a file, or a registry's catalogue) on a Dask
cluster, each unique layer analysed once; per image what ``ringfence image`` reports.

Exit codes: 3 when any image could not be scanned (unless --keep-going) or the scheduler
cannot be reached; else the contract (1 --fail-on, 4 --strict unknowns, 0)."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Any

import click

from ringfence.cli.common import ReportOptions, emit, finish, report_options
from ringfence.cli.options import image_options, scan_options
from ringfence.cli.scanners import allowlist, analyzers, provenance_options, scanner_options
from ringfence.cli.vulns import filters, vuln_options
from ringfence.errors import Error, UsageError
from ringfence.vulndb.store import default_path


@click.command("fleet")
@click.argument("refs", nargs=-1)
@click.option("--from-file", type=click.Path(dir_okay=False, path_type=Path),
              help="Image references, one per line (# comments).")
@click.option("--registry", metavar="HOST[:PORT]",
              help="Scan every tag of every repository the registry lists (/v2/_catalog).")
@click.option("--repo-filter", metavar="GLOB", help="With --registry: repositories to scan.")
@click.option("--scheduler", metavar="tcp://HOST:PORT",
              help="Dask scheduler to run on (default: a local cluster, one worker per core).")
@click.option("--workers", type=click.IntRange(min=1), default=None,
              help="Workers of the local cluster (default: one per core).")
@click.option("--store", "store_url", metavar="URL", default=None,
              help="Also record every image in this inventory store (as `image --store`); "
              "the workers share layer results through it.")
@click.option("--keep-going", is_flag=True,
              help="Images that could not be scanned are reported, and the exit code "
              "follows the findings (without it: exit 3).")
@report_options(["table", "json"], fail_on_help="Exit 1 when a finding or an unsuppressed "
                "vulnerability of any image is at or above this severity.")
@image_options
@vuln_options
@scanner_options
def fleet_cmd(refs: tuple[str, ...], from_file: Path | None, registry: str | None,
              repo_filter: str | None, scheduler: str | None, workers: int | None,
              store_url: str | None, keep_going: bool, report: ReportOptions,
              db_path: Path | None, max_db_age: float | None, vex_files: tuple[Path, ...],
              ignore_file: Path | None, ignore_unfixed: bool, severities: Any,
              scanners: frozenset[str], secret_allowlist: Path | None,
              trusted_registries: tuple[str, ...], policy_path: Path | None,
              registries_d: str | None, **kw: Any) -> None:
    """Scan many images: REF…, --from-file FILE or --registry HOST[:PORT]."""
    from ringfence.fleet.cluster import dask_client
    from ringfence.fleet.document import render_table, summary_line, to_document
    from ringfence.fleet.run import run_fleet
    from ringfence.fleet.tasks import FleetOptions, Sharing

    targets = _targets(refs, from_file, registry, repo_filter, kw)
    path = db_path or default_path()
    allow = allowlist(secret_allowlist)
    use_db = "vuln" in scanners and (db_path is not None or path.is_file())
    if "vuln" in scanners and not use_db:
        report.note(f"note: no vulnerability database at {path}; reporting the inventory only")
    options = FleetOptions(
        replace(scan_options(**kw), analyzers=analyzers(scanners, allow)),
        scanners, allow, provenance_options(trusted_registries, policy_path, registries_d, kw),
        path if use_db else None, filters(vex_files, ignore_file, ignore_unfixed, severities),
        max_db_age)
    # a remote cluster's workers each use their own cache directory, unless one is named;
    # with --store they share layer results through it
    own_cache = scheduler is not None and kw.get("cache_dir") is None \
        and not kw.get("no_cache")
    sharing = Sharing(store_url, worker_cache=own_cache)
    from ringfence.cli.progress import layer_progress

    with dask_client(scheduler, workers or 0) as client, \
            layer_progress(enabled=not report.quiet) as progress:
        fleet = run_fleet(client, targets, options, progress, sharing)
    if store_url is not None:
        _record(fleet, store_url)
    doc = to_document(fleet)
    emit(render_table(doc) if report.format() == "table" else _json(doc), report.output)
    report.note(summary_line(doc))
    results = [i.outcome.result for i in fleet.images if i.outcome.result is not None]
    if fleet.failed and not keep_going:
        raise Error("fleet", f"{fleet.failed} of {len(fleet.images)} images could not be "
                    "scanned (see their errors)", hint="--keep-going reports them and exits "
                    "on the findings of the others")
    from ringfence.fleet.document import severities as image_severities
    from ringfence.fleet.document import unknowns

    # under --keep-going an image that could not be scanned is a control not evaluated:
    # one unknown each (--strict: exit 4, not a pass)
    finish(report, severities=[s for r in results for s in image_severities(r)],
           unknowns=sum(unknowns(r) for r in results) + fleet.failed,
           cannot_gate=_cannot_gate(results, scanners, use_db, path))


def _json(doc: dict[str, Any]) -> str:
    from ringfence.report.jsontext import json_text

    return json_text(doc)


def _targets(refs: tuple[str, ...], from_file: Path | None, registry: str | None,
             repo_filter: str | None, kw: dict[str, Any]) -> list[str]:
    from ringfence.fleet.refs import list_registry, read_ref_file

    chosen = sum(1 for given in (refs, from_file, registry) if given)
    if chosen != 1:
        raise UsageError("fleet", "name the images one way: REF…, --from-file FILE or "
                         "--registry HOST[:PORT]")
    if repo_filter and not registry:
        raise UsageError("fleet", "--repo-filter goes with --registry")
    if from_file is not None:
        return read_ref_file(from_file)
    if registry is not None:
        return list_registry(registry, repo_filter, insecure=bool(kw.get("insecure_registry")),
                             auth_file=kw.get("authfile"))
    return list(refs)


def _cannot_gate(results: list[Any], scanners: frozenset[str], use_db: bool,
                 path: Path) -> Error | None:
    if "vuln" not in scanners:
        return None
    if not use_db:
        return Error(str(path), "--fail-on cannot be evaluated without a vulnerability database")
    gaps = [r.target.name for r in results if r.coverage is not None and r.coverage.os_gap]
    if gaps:
        return Error(str(path), f"--fail-on cannot be evaluated: no advisories for the OS "
                     f"packages of {len(gaps)} images (e.g. {gaps[0]})",
                     hint="import the distribution's feed (`ringfence db import`/`db update`)")
    return None


def _record(fleet: Any, store_url: str) -> None:
    """Each scanned image into the inventory store, as `ringfence image --store` does."""
    from ringfence.cli.inventory import record_of
    from ringfence.store.db import InventoryStore

    with InventoryStore.open(store_url) as store:
        for image in fleet.images:
            if image.outcome.result is not None:
                store.add(record_of(image.outcome.result, image.ref, None))
