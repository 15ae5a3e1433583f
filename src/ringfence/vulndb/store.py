"""The SQLite vulnerability database, opened read-only by matchers.

Schema (version ``SCHEMA_VERSION``; a file with another version is refused)::

    meta(key PRIMARY KEY, value)              schema_version, built_at
    sources(name PRIMARY KEY, kind, origin, fetched_at, newest_record,
            records, withdrawn, skipped, withdrawn_ids JSON, skipped_list JSON)
    ecosystem_counts(source, ecosystem, records, newest_modified)
                                              per ecosystem and source: records and the
                                              newest ``modified`` among them (coverage)
    advisories(source, id, aliases JSON, summary, severity, cvss_vector, severities JSON,
               published, modified, withdrawn, refs JSON)          PRIMARY KEY (source, id)
    affected(source, advisory_id, ecosystem, package, purl, ranges JSON, versions JSON,
             status, severity)          INDEX (ecosystem, package), (advisory_id, ecosystem)

    advisory_aliases(alias, id)             INDEX (alias): each advisory's own id and its
                                              aliases -> its id (``ids_for``), filled from
                                              ``advisories`` when the file is finished

Version 2 added ``ecosystem_counts.newest_modified``; an import over a version-1 file
migrates the sources it keeps (``MIGRATABLE``, the column computed from their advisories).
Version 3 added ``advisory_aliases`` (an indexed alias lookup instead of a LIKE scan of
every advisory's alias list); a version-2 file is still read (``READABLE``: ``ids_for``
scans as before) and an import over it rebuilds the table for every source it keeps.
Readers refuse any other version (re-import).

Withdrawn advisories keep their ``advisories`` row (``withdrawn`` set) but have no
``affected`` rows, so they never match; they are counted and listed per source.
One advisory id may be held by several sources (a CVE from the Debian tracker and from the
Alpine secdb); ``advisory(id, ecosystem)`` picks the source that holds the ecosystem.
"""

from __future__ import annotations

import hashlib
import json
import os
import sqlite3
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Final

from ringfence.errors import InputError
from ringfence.model.advisory import Advisory, Affected, AffectedRange, Event
from ringfence.model.finding import Severity
from ringfence.model.result import DbInfo

SCHEMA_VERSION: Final = 3
MIGRATABLE: Final = frozenset({1, 2, 3})  # versions whose sources an import can copy
READABLE: Final = frozenset({2, 3})  # versions a reader answers (2: no alias table)

SCHEMA: Final = """
CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE sources (name TEXT PRIMARY KEY, kind TEXT NOT NULL, origin TEXT NOT NULL,
  fetched_at TEXT NOT NULL, newest_record TEXT, records INTEGER NOT NULL,
  withdrawn INTEGER NOT NULL, skipped INTEGER NOT NULL, withdrawn_ids TEXT NOT NULL,
  skipped_list TEXT NOT NULL);
CREATE TABLE ecosystem_counts (source TEXT NOT NULL, ecosystem TEXT NOT NULL,
  records INTEGER NOT NULL, newest_modified TEXT, PRIMARY KEY (source, ecosystem));
CREATE TABLE advisories (source TEXT NOT NULL, id TEXT NOT NULL, aliases TEXT NOT NULL,
  summary TEXT NOT NULL, severity INTEGER NOT NULL, cvss_vector TEXT, severities TEXT NOT NULL,
  published TEXT, modified TEXT, withdrawn TEXT, refs TEXT NOT NULL, PRIMARY KEY (source, id));
CREATE TABLE affected (source TEXT NOT NULL, advisory_id TEXT NOT NULL,
  ecosystem TEXT NOT NULL, package TEXT NOT NULL, purl TEXT, ranges TEXT NOT NULL,
  versions TEXT NOT NULL, status TEXT NOT NULL, severity TEXT);
CREATE TABLE advisory_aliases (alias TEXT NOT NULL, id TEXT NOT NULL,
  PRIMARY KEY (alias, id)) WITHOUT ROWID;
"""
INDEXES: Final = """
CREATE INDEX affected_pkg ON affected (ecosystem, package);
CREATE INDEX affected_adv ON affected (advisory_id, ecosystem);
CREATE INDEX advisories_id ON advisories (id);
"""


def default_path() -> Path:
    """``$XDG_DATA_HOME/ringfence/db.sqlite`` (``~/.local/share`` when unset)."""
    base = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(base) / "ringfence" / "db.sqlite"


@dataclass(frozen=True, slots=True)
class SourceInfo:
    """One data source as recorded in the DB (``db status``)."""

    name: str
    kind: str
    origin: str
    fetched_at: str
    newest_record: str | None
    records: int
    withdrawn: int
    skipped: int
    withdrawn_ids: tuple[str, ...]
    skipped_list: tuple[str, ...]
    ecosystems: dict[str, int]


def ranges_from_json(text: str) -> tuple[AffectedRange, ...]:
    return tuple(AffectedRange(r["type"], tuple(Event(k, v) for k, v in r["events"]))
                 for r in json.loads(text))


def age_days(newest: str | None, now: datetime | None = None) -> float | None:
    """Days since ``newest`` (an RFC 3339 timestamp), None when unknown."""
    if not newest:
        return None
    try:
        when = datetime.fromisoformat(newest.replace("Z", "+00:00"))
    except ValueError:
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return round(((now or datetime.now(UTC)) - when).total_seconds() / 86400, 2)


class VulnStore:
    """Read-only access to one DB file; every query is a small indexed lookup."""

    def __init__(self, path: Path, conn: sqlite3.Connection,
                 version: int = SCHEMA_VERSION) -> None:
        self.path = path
        self.version = version
        self._conn = conn
        self._affected: dict[tuple[str, str], tuple[Affected, ...]] = {}

    @classmethod
    def open(cls, path: Path | str,
             accept: frozenset[int] = READABLE) -> VulnStore:
        """Open read-only; a file whose schema version is not in ``accept`` is refused
        (only an import reads older versions, to migrate the sources it keeps)."""
        path = Path(path)
        if not path.is_file():
            raise InputError(str(path), "no vulnerability database here",
                             hint="run `ringfence db import PATH…` or `ringfence db update`")
        try:
            conn = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True,
                                   check_same_thread=False)
            row = conn.execute("SELECT value FROM meta WHERE key='schema_version'").fetchone()
        except sqlite3.DatabaseError as exc:
            raise InputError(str(path), "not a ringfence vulnerability database") from exc
        version = int(row[0]) if row is not None and str(row[0]).isdigit() else None
        if version not in accept:
            conn.close()
            found = "none" if row is None else row[0]
            raise InputError(str(path), f"schema_version {found}, expected {SCHEMA_VERSION}",
                             hint="re-import or `ringfence db update` with this version")
        return cls(path, conn, version)

    def close(self) -> None:
        self._conn.close()

    def __enter__(self) -> VulnStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def affected(self, ecosystem: str, package: str) -> tuple[Affected, ...]:
        """What every advisory says about ``package`` in ``ecosystem`` (memoised per store)."""
        key = (ecosystem, package)
        cached = self._affected.get(key)
        if cached is None:
            if len(self._affected) >= _CACHE_SIZE:
                self._affected.clear()
            cached = self._affected[key] = self._query_affected(ecosystem, package)
        return cached

    def _query_affected(self, ecosystem: str, package: str) -> tuple[Affected, ...]:
        rows = self._conn.execute(
            "SELECT advisory_id, ecosystem, package, ranges, versions, status, severity "
            "FROM affected WHERE ecosystem=? AND package=? ORDER BY advisory_id, rowid",
            (ecosystem, package))
        return tuple(Affected(r[0], r[1], r[2], ranges_from_json(r[3]),
                              tuple(json.loads(r[4])), r[5], r[6]) for r in rows)

    def advisory(self, advisory_id: str, ecosystem: str | None = None) -> Advisory | None:
        """The advisory; with ``ecosystem``, from the source that holds it for that ecosystem."""
        row = None
        if ecosystem is not None:
            row = self._conn.execute(
                f"SELECT {_ADV_COLS} FROM advisories a WHERE id=? AND source IN "  # noqa: S608
                "(SELECT source FROM affected WHERE advisory_id=? AND ecosystem=?) "
                "ORDER BY source LIMIT 1", (advisory_id, advisory_id, ecosystem)).fetchone()
        if row is None:
            row = self._conn.execute(
                f"SELECT {_ADV_COLS} FROM advisories a WHERE id=? "  # noqa: S608
                "ORDER BY source LIMIT 1",
                (advisory_id,)).fetchone()
        return None if row is None else _advisory(row)

    def ids_for(self, name: str) -> tuple[str, ...]:
        """Advisory ids that are ``name`` or list it as an alias (a CVE -> its DSA, GHSA,
        PYSEC records), sorted; empty when the database does not know ``name``."""
        if self.version >= 3:
            out = {r[0] for r in self._conn.execute(
                "SELECT id FROM advisory_aliases WHERE alias=?", (name,))}
        else:  # a version-2 file: no alias table (an import adds it)
            pattern = "%" + json.dumps(name).replace("\\", "\\\\").replace(
                "%", "\\%").replace("_", "\\_") + "%"  # LIKE narrows; the JSON decides
            rows = self._conn.execute(
                "SELECT id, aliases FROM advisories WHERE id=? OR aliases LIKE ? ESCAPE '\\'",
                (name, pattern))
            out = {r[0] for r in rows if r[0] == name or name in json.loads(r[1])}
        out.update(r[0] for r in self._conn.execute(
            "SELECT advisory_id FROM affected WHERE advisory_id=? LIMIT 1", (name,)))
        return tuple(sorted(out))

    def packages_for(self, advisory_ids: tuple[str, ...]) -> tuple[tuple[str, str], ...]:
        """The (ecosystem, package) pairs the advisories ``advisory_ids`` name."""
        out: set[tuple[str, str]] = set()
        for advisory_id in advisory_ids:
            out.update((r[0], r[1]) for r in self._conn.execute(
                "SELECT ecosystem, package FROM affected WHERE advisory_id=?", (advisory_id,)))
        return tuple(sorted(out))

    def advisory_digests(self) -> dict[str, str]:
        """Per advisory id: a sha256 of everything every source says about it (its
        advisory rows and affected rows, in a stable order). Two databases' digests
        differ exactly for the advisories an import added, changed or removed."""
        out: dict[str, Any] = {}
        for row in self._conn.execute(
                f"SELECT {_ADV_COLS}, severities FROM advisories "  # noqa: S608
                "ORDER BY id, source"):
            out.setdefault(row[1], hashlib.sha256()).update(_canonical(("a", *row)))
        for row in self._conn.execute(
                "SELECT advisory_id, source, ecosystem, package, purl, ranges, versions, "
                "status, severity FROM affected ORDER BY advisory_id, source, rowid"):
            out.setdefault(row[0], hashlib.sha256()).update(_canonical(("f", *row)))
        return {k: h.hexdigest() for k, h in out.items()}

    def coverage(self) -> dict[str, tuple[int, str | None]]:
        """Per ecosystem (``PyPI``, ``Debian:12``): advisories held and their newest
        modification time, over every source."""
        rows = self._conn.execute("SELECT ecosystem, SUM(records), MAX(newest_modified) FROM "
                                  "ecosystem_counts GROUP BY ecosystem ORDER BY ecosystem")
        return {r[0]: (int(r[1]), r[2]) for r in rows}

    def ecosystems(self) -> dict[str, int]:
        rows = self._conn.execute("SELECT ecosystem, SUM(records) FROM ecosystem_counts "
                                  "GROUP BY ecosystem ORDER BY ecosystem")
        return {r[0]: int(r[1]) for r in rows}

    def sources(self) -> tuple[SourceInfo, ...]:
        counts: dict[str, dict[str, int]] = {}
        for src, eco, n in self._conn.execute("SELECT source, ecosystem, records FROM "
                                              "ecosystem_counts ORDER BY source, ecosystem"):
            counts.setdefault(src, {})[eco] = n
        rows = self._conn.execute(
            "SELECT name, kind, origin, fetched_at, newest_record, records, withdrawn, "
            "skipped, withdrawn_ids, skipped_list FROM sources ORDER BY name").fetchall()
        return tuple(SourceInfo(r[0], r[1], r[2], r[3], r[4], r[5], r[6], r[7],
                                tuple(json.loads(r[8])), tuple(json.loads(r[9])),
                                counts.get(r[0], {})) for r in rows)

    def meta(self, key: str) -> str | None:
        row = self._conn.execute("SELECT value FROM meta WHERE key=?", (key,)).fetchone()
        return None if row is None else str(row[0])

    def info(self) -> DbInfo:
        newest = self._conn.execute("SELECT MAX(newest_record) FROM sources").fetchone()[0]
        return DbInfo(path=str(self.path), schema_version=self.version,
                      built_at=self.meta("built_at") or "", newest_record=newest,
                      age_days=age_days(newest))


_CACHE_SIZE: Final = 8192
_ADV_COLS: Final = (  # constant column list, not input
    "source, id, aliases, summary, severity, cvss_vector, published, modified, "
                    "withdrawn, refs")


def _advisory(row: tuple[Any, ...]) -> Advisory:
    return Advisory(id=row[1], source=row[0], aliases=tuple(json.loads(row[2])), summary=row[3],
                    severity=Severity(row[4]), cvss_vector=row[5], published=row[6],
                    modified=row[7], withdrawn=row[8], references=tuple(json.loads(row[9])))


def _canonical(row: tuple[Any, ...]) -> bytes:
    # repr of a tuple of str/int/None quotes and escapes each value: unambiguous, and
    # several times faster than json.dumps over every row of a large DB
    return repr(row).encode("utf-8", "surrogatepass") + b"\n"
