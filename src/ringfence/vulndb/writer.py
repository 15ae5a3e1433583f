"""Writes a new DB file: schema, sources from importers, sources copied from an old DB."""

from __future__ import annotations

import json
import sqlite3
from collections import Counter
from collections.abc import Iterable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from ringfence.model.advisory import Affected
from ringfence.vulndb.importers.record import Record, SourceData
from ringfence.vulndb.store import INDEXES, SCHEMA, SCHEMA_VERSION

_TABLES = ("sources", "ecosystem_counts", "advisories", "affected")


def now_utc() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


class StoreWriter:
    """Builds one fresh DB file; :meth:`finish` adds the indexes and meta and closes it."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._conn = sqlite3.connect(path)
        self._conn.execute("PRAGMA journal_mode=OFF")
        self._conn.execute("PRAGMA synchronous=OFF")
        self._conn.executescript(SCHEMA)

    def add(self, data: SourceData, fetched_at: str | None = None) -> dict[str, int]:
        """Write one source; returns its records per ecosystem (withdrawn excluded)."""
        live = _merge_duplicates(r for r in data.records if not r.advisory.withdrawn)
        counts: Counter[str] = Counter()
        newest: dict[str, str] = {}
        for rec in live:
            modified = rec.advisory.modified
            for eco in {a.ecosystem for a in rec.affected}:
                counts[eco] += 1
                if modified and modified > newest.get(eco, ""):
                    newest[eco] = modified
        withdrawn = data.withdrawn_ids
        now = now_utc()
        self._conn.execute(
            "INSERT INTO sources VALUES (?,?,?,?,?,?,?,?,?,?)",
            (data.name, data.kind, data.origin, fetched_at or now, data.newest_record(now),
             len(live), len(withdrawn), len(data.skipped), json.dumps(list(withdrawn)),
             json.dumps([str(s) for s in data.skipped])))
        self._conn.executemany("INSERT INTO ecosystem_counts VALUES (?,?,?,?)",
                               [(data.name, e, n, newest.get(e))
                                for e, n in sorted(counts.items())])
        kept = {r.advisory.id: r for r in data.records if r.advisory.withdrawn} | {
            r.advisory.id: r for r in live}
        self._conn.executemany("INSERT INTO advisories VALUES (?,?,?,?,?,?,?,?,?,?,?)",
                               [_advisory_row(data.name, r) for r in kept.values()])
        self._conn.executemany("INSERT INTO affected VALUES (?,?,?,?,?,?,?,?,?)",
                               [_affected_row(data.name, a, p) for r in live
                                for a, p in _with_purls(r)])
        return dict(counts)

    def copy_from(self, old: Path, keep: Iterable[str],
                  old_version: int = SCHEMA_VERSION) -> tuple[str, ...]:
        """Copy the sources named in ``keep`` from the DB at ``old`` (schema ``old_version``,
        one of ``MIGRATABLE``); returns those copied."""
        names = sorted(set(keep))
        if not names:
            return ()
        self._conn.execute("ATTACH DATABASE ? AS old", (f"{old.resolve().as_uri()}?mode=ro",))
        marks = ",".join("?" * len(names))
        for table in _TABLES:
            col = "name" if table == "sources" else "source"
            select = f"SELECT * FROM old.{table}"  # noqa: S608 - constant table names
            if table == "ecosystem_counts" and old_version == 1:
                select = _V1_COUNTS
            self._conn.execute(f"INSERT INTO main.{table} {select} "
                               f"WHERE {col} IN ({marks})", names)
        self._conn.commit()
        self._conn.execute("DETACH DATABASE old")
        return tuple(names)

    def finish(self) -> None:
        self._conn.executemany("INSERT OR IGNORE INTO advisory_aliases (alias, id) "
                               "VALUES (?, ?)", _aliases(self._conn))
        self._conn.executescript(INDEXES)
        self._conn.executemany("INSERT INTO meta VALUES (?,?)",
                               [("schema_version", str(SCHEMA_VERSION)),
                                # to the microsecond: the inventory store tells DBs
                                # apart by it (which DB an image's findings reflect)
                                ("built_at", datetime.now(UTC).isoformat(
                                    timespec="microseconds").replace("+00:00", "Z"))])
        self._conn.commit()
        self._conn.close()

    def abort(self) -> None:
        self._conn.close()


# version 1 -> 2: the newest modification per source and ecosystem, from the advisories
_V1_COUNTS = (
    "SELECT c.source, c.ecosystem, c.records, (SELECT MAX(a.modified) FROM old.advisories a "
    "JOIN old.affected f ON f.source = a.source AND f.advisory_id = a.id "
    "WHERE f.source = c.source AND f.ecosystem = c.ecosystem AND a.withdrawn IS NULL) "
    "FROM old.ecosystem_counts c")


def _aliases(conn: sqlite3.Connection) -> Iterator[tuple[str, str]]:
    """(alias, id) of every advisory row of every source, new or copied: its own id and
    each alias in its JSON list. In Python rather than SQLite's json_each, which ends a
    string at an escaped NUL (``"a\\u0000"`` would answer for ``a``); a list that is
    not JSON, or a non-string alias, names nothing."""
    for adv_id, text in conn.execute("SELECT id, aliases FROM advisories").fetchall():
        yield adv_id, adv_id
        try:
            aliases = json.loads(text)
        except (TypeError, ValueError):
            continue
        if isinstance(aliases, list):
            yield from ((a, adv_id) for a in aliases if isinstance(a, str))


def _merge_duplicates(records: Iterable[Record]) -> list[Record]:
    """One record per id: a second copy (AlmaLinux ships 43 ids twice) adds its affected."""
    by_id: dict[str, Record] = {}
    for rec in records:
        first = by_id.get(rec.advisory.id)
        if first is None:
            by_id[rec.advisory.id] = rec
        else:
            extra = tuple(a for a in rec.affected if a not in first.affected)
            purls = tuple(p for a, p in _with_purls(rec) if a in extra)
            by_id[rec.advisory.id] = Record(first.advisory, first.affected + extra,
                                            first.severities, _pad(first) + purls)
    return list(by_id.values())


def _pad(rec: Record) -> tuple[str | None, ...]:
    return rec.purls + (None,) * (len(rec.affected) - len(rec.purls))


def _with_purls(rec: Record) -> list[tuple[Affected, str | None]]:
    return list(zip(rec.affected, _pad(rec), strict=True))


def _advisory_row(source: str, rec: Record) -> tuple[Any, ...]:
    a = rec.advisory
    return (source, a.id, json.dumps(list(a.aliases)), a.summary, int(a.severity),
            a.cvss_vector, json.dumps([list(s) for s in rec.severities]), a.published,
            a.modified, a.withdrawn, json.dumps(list(a.references)))


def _affected_row(source: str, a: Affected, purl: str | None = None) -> tuple[Any, ...]:
    ranges = [{"type": r.type, "events": [[e.kind, e.version] for e in r.events]}
              for r in a.ranges]
    return (source, a.advisory_id, a.ecosystem, a.package, purl, json.dumps(ranges),
            json.dumps(list(a.versions)), a.status, a.severity)
