"""``ringfence db``: import, update and inspect the local vulnerability database."""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import click

from ringfence.cli.common import ReportOptions, emit, finish, report_options
from ringfence.cli.progress import layer_progress
from ringfence.errors import InputError
from ringfence.vulndb.build import ImportReport, import_paths, update
from ringfence.vulndb.store import VulnStore, default_path

STALE_DAYS = 7  # a database older than this is shown with a warning

_DB_OPTION = click.option("--db", "db_path", type=click.Path(dir_okay=False, path_type=Path),
                          help="Database file (default: $XDG_DATA_HOME/ringfence/db.sqlite).")


@click.group("db")
def db_group() -> None:
    """The local vulnerability database (offline-first)."""


@db_group.command("import")
@click.argument("paths", nargs=-1, required=True, type=click.Path(path_type=Path))
@_DB_OPTION
def import_cmd(paths: tuple[Path, ...], db_path: Path | None) -> None:
    """Import OSV zip/dir/json, Debian DSA/DLA lists or tracker JSON, Alpine secdb files."""
    for path in paths:
        if not path.exists():
            raise InputError(str(path), "no such file or directory")
    with layer_progress() as progress:
        report = import_paths(list(paths), db_path or default_path(), progress)
    click.echo(_summary(report))


@db_group.command("update")
@click.option("--url-base", help="Mirror root instead of the official feed URLs.")
@click.option("--source", "sources", multiple=True,
              help="osv:<ECOSYSTEM>, debian-tracker or alpine-secdb:<branch>/<repo> "
                   "(repeatable; default: the usual feeds).")
@_DB_OPTION
def update_cmd(url_base: str | None, sources: tuple[str, ...], db_path: Path | None) -> None:
    """Download the official feeds (resuming, checked) and import them atomically."""
    with layer_progress() as progress:
        report = update(db_path or default_path(), url_base, sources, progress)
    for line in report.fetched:
        click.echo(f"fetched {line}")
    click.echo(_summary(report))


@db_group.command("status")
@report_options(["table", "json"], fail_on_help="Accepted for the common contract.",
                strict_help="Accepted for the common contract.")
@_DB_OPTION
def status_cmd(report: ReportOptions, db_path: Path | None) -> None:
    """Sources, record counts per ecosystem, newest record and age."""
    with VulnStore.open(db_path or default_path()) as store:
        status = status_dict(store)
    fmt = report.format()
    emit(json.dumps(status, indent=2) + "\n" if fmt == "json" else _table(status),
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
