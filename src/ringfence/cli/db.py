"""``ringfence db``: import, update and inspect the local vulnerability database."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import click

from ringfence.cli.common import ReportOptions, emit, finish, report_options
from ringfence.cli.progress import layer_progress
from ringfence.errors import InputError, UsageError
from ringfence.report.jsontext import json_text
from ringfence.vulndb.build import ImportReport, import_paths, update
from ringfence.vulndb.store import VulnStore, default_path

STALE_DAYS = 7  # a database older than this is shown with a warning

_DB_OPTION = click.option("--db", "db_path", type=click.Path(dir_okay=False, path_type=Path),
                          help="Database file (default: $XDG_DATA_HOME/ringfence/db.sqlite).")


@click.group("db")
def db_group() -> None:
    """The local vulnerability database (offline-first)."""


_STORE_OPTION = click.option(
    "--store", "store_url", metavar="URL", default=None,
    help="Inventory store to re-match after the import (sqlite:///PATH or postgresql://…; "
         "default: $RINGFENCE_STORE, else none): only packages touched by added, changed or "
         "removed advisories; the change set is stored and printed (`ringfence changes`).")
_REPORT = report_options(["table", "json"], fail_on_help="With a store: exit 1 when a NEW "
                         "finding at or above this severity appeared.", strict_help="With a "
                         "store: exit 4 when a re-matched package could not be matched.")


@db_group.command("import")
@click.argument("paths", nargs=-1, required=True, type=click.Path(path_type=Path))
@_DB_OPTION
@_STORE_OPTION
@_REPORT
def import_cmd(paths: tuple[Path, ...], db_path: Path | None, store_url: str | None,
               report: ReportOptions) -> None:
    """Import OSV zip/dir/json, Debian DSA/DLA lists or tracker JSON, Alpine secdb files.

    With --store (or $RINGFENCE_STORE) the stored images are re-matched afterwards and the
    change set is the report (-f/-o/--fail-on/--strict); the import summary goes to stderr.
    """
    for path in paths:
        if not path.exists():
            raise InputError(str(path), "no such file or directory")
    target = db_path or default_path()

    def run() -> ImportReport:
        with layer_progress(enabled=not report.quiet) as progress:
            return import_paths(list(paths), target, progress)

    _with_store(run, target, store_url, report, "db import")


@db_group.command("update")
@click.option("--url-base", help="Mirror root instead of the official feed URLs.")
@click.option("--source", "sources", multiple=True,
              help="osv:<ECOSYSTEM>, debian-tracker or alpine-secdb:<branch>/<repo> "
                   "(repeatable; default: the usual feeds).")
@_DB_OPTION
@_STORE_OPTION
@_REPORT
def update_cmd(url_base: str | None, sources: tuple[str, ...], db_path: Path | None,
               store_url: str | None, report: ReportOptions) -> None:
    """Download the official feeds (resuming, checked) and import them atomically.

    With --store (or $RINGFENCE_STORE): re-match the stored images, as `db import` does.
    """
    target = db_path or default_path()

    def run() -> ImportReport:
        with layer_progress(enabled=not report.quiet) as progress:
            return update(target, url_base, sources, progress)

    _with_store(run, target, store_url, report, "db update")


def _with_store(run: Callable[[], ImportReport], target: Path, store_url: str | None,
                report: ReportOptions, reason: str) -> None:
    """The import, then (with a store) the re-match and its change set as the report."""
    import os

    from ringfence.store.url import ENV

    if not (store_url or os.environ.get(ENV)):
        if report.fmt or report.output or report.fail_on or report.strict:
            raise UsageError("db import/update", "-f/-o/--fail-on/--strict report the "
                             "re-match of an inventory store", hint="add --store URL")
        result = run()
        for line in result.fetched:
            click.echo(f"fetched {line}")
        click.echo(_summary(result))
        return
    from ringfence.cli.changes import table
    from ringfence.respond.changes import document, new_severities
    from ringfence.respond.rematch import around_import
    from ringfence.store import changes as change_sets
    from ringfence.store.db import InventoryStore

    with InventoryStore.open(store_url) as store:  # unreachable or newer: before importing
        result, rematched = around_import(store, target, run, reason)
        rows = change_sets.read(store, change_set=rematched.change_set)
        doc = document(store.url.display(), rows, None, 1)
    for line in result.fetched:
        report.note(f"fetched {line}")
    report.note(_summary(result))
    doc.update({"schema": "ringfence.rematch/1", "db": str(target),
                "change_set": rematched.change_set, "at": rematched.at,
                "advisories_changed": rematched.advisories_changed,
                "identities": rematched.identities, "images": rematched.images,
                "packages": rematched.packages, "whole": list(rematched.whole),
                "unknowns": [{"location": u.location, "reason": u.reason, "plugin": u.plugin,
                              "layer": u.layer} for u in rematched.unknowns]})
    del doc["since"], doc["change_sets"]
    if report.format() == "json":
        emit(json_text(doc), report.output)
    else:
        head = (f"re-matched {rematched.packages} package(s) in {rematched.images} image(s) "
                f"({len(rematched.whole)} whole) for {rematched.advisories_changed} changed "
                f"advisories ({rematched.identities} package identities); change set "
                f"{rematched.change_set} at {rematched.at}\n")
        emit(head + table(doc), report.output)
    finish(report, severities=new_severities(rematched.changes),
           unknowns=len(rematched.unknowns))


@db_group.command("status")
@report_options(["table", "json"], fail_on_help="Accepted for the common contract.",
                strict_help="Accepted for the common contract.")
@_DB_OPTION
def status_cmd(report: ReportOptions, db_path: Path | None) -> None:
    """Sources, record counts per ecosystem, newest record and age."""
    with VulnStore.open(db_path or default_path()) as store:
        status = status_dict(store)
    fmt = report.format()
    emit(json_text(status) if fmt == "json" else _table(status),
         report.output)
    warning = stale_warning(status["age_days"])
    if warning:
        report.note(warning)
    finish(report, severities=(), unknowns=0)


def stale_warning(age_days: float | None) -> str | None:
    """The warning for a database older than STALE_DAYS (or undated); None when fresh."""
    if age_days is not None and age_days <= STALE_DAYS:
        return None
    age = "undated" if age_days is None else f"{age_days:.0f} days old"
    return (f"warning: the vulnerability database is {age} (over {STALE_DAYS} days): "
            "run `ringfence db update`")


def status_dict(store: VulnStore) -> dict[str, Any]:
    info = store.info()
    return {
        "schema": "ringfence.db-status/1",
        "path": info.path, "schema_version": info.schema_version, "built_at": info.built_at,
        "newest_record": info.newest_record, "age_days": info.age_days,
        "ecosystems": store.ecosystems(),
        # per ecosystem / distribution release: the newest modification of its advisories
        "ecosystem_newest": {eco: newest for eco, (_, newest) in store.coverage().items()},
        "sources": [{"name": s.name, "kind": s.kind, "origin": s.origin,
                     "fetched_at": s.fetched_at, "newest_record": s.newest_record,
                     "records": s.records, "withdrawn": s.withdrawn, "skipped": s.skipped,
                     "withdrawn_ids": list(s.withdrawn_ids), "skipped_list": list(s.skipped_list),
                     "ecosystems": s.ecosystems} for s in store.sources()],
    }


def _table(status: dict[str, Any]) -> str:
    rows = [("SOURCE", "RECORDS", "WITHDRAWN", "SKIPPED", "NEWEST RECORD", "FETCHED")]
    rows += [(s["name"], str(s["records"]), str(s["withdrawn"]), str(s["skipped"]),
              s["newest_record"] or "-", s["fetched_at"]) for s in status["sources"]]
    lines = [*_columns(rows), ""]
    newest = status.get("ecosystem_newest") or {}
    lines += _columns([("ECOSYSTEM", "RECORDS", "NEWEST MODIFIED"), *(
        (eco or "(none)", str(n), newest.get(eco) or "-")
        for eco, n in status["ecosystems"].items())])
    age = status["age_days"]
    lines += ["", f"database {status['path']} (schema {status['schema_version']}, built "
              f"{status['built_at']}); newest record {status['newest_record'] or 'unknown'}"
              + ("" if age is None else f", {age:.1f} days old")]
    return "\n".join(lines) + "\n"


def _columns(rows: Sequence[tuple[str, ...]]) -> list[str]:
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    return ["  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)).rstrip()
            for r in rows]


def _summary(report: ImportReport) -> str:
    records = sum(s.records for s in report.sources)
    withdrawn = sum(len(s.withdrawn) for s in report.sources)
    skipped = sum(len(s.skipped) for s in report.sources)
    lines = [f"imported {len(report.sources)} sources, {records} records ({withdrawn} "
             f"withdrawn, {skipped} skipped) into {report.db_path} in {report.seconds:.1f}s"]
    if report.kept:
        lines.append(f"kept {len(report.kept)} sources from the previous database")
    lines += [f"replaced by a later input: {r}" for r in report.replaced]
    lines += [f"not imported: {u}" for u in report.unsupported]
    lines += [f"skipped {s}" for src in report.sources for s in src.skipped]
    return "\n".join(lines)
