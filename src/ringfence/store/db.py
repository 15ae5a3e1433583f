"""One data-access layer over SQLite and PostgreSQL.

Plain DB-API with two dialects rather than SQLAlchemy Core: the schema is a dozen tables
queried by a handful of indexed statements, written once with ``?`` placeholders (turned
into psycopg's ``%s``) and one DDL difference (the auto-numbered key); SQLite needs no
dependency at all and PostgreSQL only psycopg 3, so the embedded default stays light and
there is no second query language to learn or to keep in step.

Every write runs in one transaction: an error leaves the store as it was.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager, suppress
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from ringfence import sqlitewal
from ringfence.errors import Error
from ringfence.store.record import (
    Carrier,
    Holder,
    ImageRecord,
    StoredFinding,
    StoredLayer,
    StoredPackage,
)
from ringfence.store.schema import ID_COLUMN, MIGRATIONS, SCHEMA_VERSION
from ringfence.store.url import StoreUrl, resolve

CONNECT_TIMEOUT_S = 5
_MIGRATION_LOCK = 0x52464953  # pg_advisory_xact_lock key of schema migrations


class StoreError(Error):
    """The store could not be opened, read or written (exit 3)."""


def _now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


class InventoryStore:
    """An open store; use as a context manager, or ``close()``."""

    def __init__(self, url: StoreUrl, conn: Any) -> None:
        self.url = url
        self._conn = conn
        self._pg = url.dialect == "postgresql"

    # -- opening ---------------------------------------------------------------------
    @classmethod
    def open(cls, url: str | StoreUrl | None = None) -> InventoryStore:
        """Open (creating or migrating) the store; a newer schema is refused."""
        where = url if isinstance(url, StoreUrl) else resolve(url)
        store = cls(where, _connect(where))
        try:
            store._migrate()
        except BaseException:
            store.close()
            raise
        return store

    def close(self) -> None:
        self._conn.close()

    def __enter__(self) -> InventoryStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def schema_version(self) -> int:
        return self._version()

    # -- SQL plumbing ------------------------------------------------------------------
    def _sql(self, text: str) -> str:
        return text.replace("?", "%s") if self._pg else text

    def _rows(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        try:
            cur = self._conn.execute(self._sql(sql), tuple(params))
            rows = list(cur.fetchall())
        except Exception as exc:
            self._rollback()
            raise self._error(exc) from exc
        if self._pg:
            self._conn.rollback()  # end the read's implicit transaction
        return rows

    @contextmanager
    def _transaction(self) -> Iterator[Any]:
        """A cursor whose statements commit together, or not at all."""
        cur = self._conn.cursor()
        try:
            if not self._pg:
                cur.execute("BEGIN IMMEDIATE")
            yield cur
            self._conn.commit()
        except BaseException as exc:
            self._rollback()
            if isinstance(exc, Error) or not isinstance(exc, Exception):
                raise
            raise self._error(exc) from exc
        finally:
            cur.close()

    def _exec(self, cur: Any, sql: str, params: Sequence[Any] = ()) -> Any:
        return cur.execute(self._sql(sql), tuple(params))

    def _many(self, cur: Any, sql: str, rows: Iterable[Sequence[Any]]) -> None:
        cur.executemany(self._sql(sql), [tuple(r) for r in rows])

    def _rollback(self) -> None:
        # when the connection is gone, the error that got us here says why
        with suppress(Exception):
            self._conn.rollback()

    def _error(self, exc: Exception) -> StoreError:
        return StoreError(self.url.display(), f"store error: {type(exc).__name__}: {exc}")

    # -- schema ------------------------------------------------------------------------
    def _version(self) -> int:
        if not self._has_meta():
            return 0
        row = self._rows("SELECT value FROM meta WHERE key='schema_version'")
        value = row[0][0] if row else ""
        if not str(value).isdigit():
            raise StoreError(self.url.display(), f"not a ringfence inventory store "
                             f"(schema_version {value!r})")
        return int(value)

    def _has_meta(self) -> bool:
        if self._pg:
            sql = ("SELECT 1 FROM information_schema.tables WHERE table_name='meta' "
                   "AND table_schema=current_schema()")
        else:
            sql = "SELECT 1 FROM sqlite_master WHERE type='table' AND name='meta'"
        return bool(self._rows(sql))

    def _migrate(self) -> None:
        version = self._version()
        if version > SCHEMA_VERSION:
            raise StoreError(self.url.display(), f"inventory store schema version {version} is "
                             f"newer than this ringfence's ({SCHEMA_VERSION})",
                             hint="upgrade ringfence; the store was left untouched")
        if version == SCHEMA_VERSION:
            return
        with self._transaction() as cur:
            # one migrator at a time (SQLite: BEGIN IMMEDIATE holds the write lock); the
            # others wait, then find the version the first one wrote and stop there
            if self._pg:
                self._exec(cur, "SELECT pg_advisory_xact_lock(?)", (_MIGRATION_LOCK,))
                has_meta = self._exec(cur, "SELECT to_regclass('meta')").fetchone()[0]
            else:
                has_meta = self._exec(cur, "SELECT 1 FROM sqlite_master WHERE type='table' "
                                      "AND name='meta'").fetchone()
            if has_meta is not None:
                row = self._exec(cur, "SELECT value FROM meta WHERE key='schema_version'"
                                 ).fetchone()
                if row is not None and row[0] != str(version):
                    return  # another process migrated while this one waited
            for step in range(version, SCHEMA_VERSION):
                for statement in MIGRATIONS[step]:
                    self._exec(cur, statement.format(id=ID_COLUMN[self.url.dialect]))
            if version == 0:
                self._many(cur, "INSERT INTO meta (key, value) VALUES (?, ?)",
                           [("schema_version", str(SCHEMA_VERSION)), ("created_at", _now())])
            else:
                self._exec(cur, "UPDATE meta SET value=? WHERE key='schema_version'",
                           (str(SCHEMA_VERSION),))

    # -- writes ------------------------------------------------------------------------
    def add(self, *records: ImageRecord) -> list[bool]:
        """Record ``records`` in one transaction (all or none); per record, True when the
        image is new, False when only its ref was added (the same digest is the same
        content: one record, several refs)."""
        now = _now()
        out: list[bool] = []
        with self._transaction() as cur:
            for record in records:
                out.append(self._add(cur, record, now))
        return out

    def _add(self, cur: Any, record: ImageRecord, now: str) -> bool:
        found = self._exec(cur, "SELECT id FROM images WHERE digest=?",
                           (record.digest,)).fetchone()
        new = found is None
        if found is not None:
            image_id = found[0]
        else:
            image_id = self._exec(
                cur, "INSERT INTO images (digest, kind, distro, os, architecture, "
                "config_digest, added_at, scanned_with) VALUES (?, ?, ?, ?, ?, ?, ?, ?) "
                "RETURNING id",
                (record.digest, record.kind, _json(record.distro), record.os,
                 record.architecture, record.config_digest, now,
                 record.scanned_with)).fetchone()[0]
            self._insert_contents(cur, image_id, record)
        known = self._exec(cur, "SELECT 1 FROM refs WHERE image_id=? AND ref=?",
                           (image_id, record.ref)).fetchone()
        if known is None:
            self._exec(cur, "INSERT INTO refs (image_id, ref, added_at) VALUES (?, ?, ?)",
                       (image_id, record.ref, now))
        return new

    def _insert_contents(self, cur: Any, image_id: int, record: ImageRecord) -> None:
        self._many(cur, "INSERT INTO layers (image_id, position, digest, diff_id, size) "
                   "VALUES (?, ?, ?, ?, ?)",
                   [(image_id, i, la.digest, la.diff_id, la.size)
                    for i, la in enumerate(record.layers)])
        docs = {p.ord: _json(p.doc) or "" for p in record.packages}
        keys = {o: "sha256:" + hashlib.sha256(d.encode()).hexdigest() for o, d in docs.items()}
        self._many(cur, "INSERT INTO package_docs (digest, doc) VALUES (?, ?) "
                   "ON CONFLICT (digest) DO NOTHING",
                   sorted({(keys[o], d) for o, d in docs.items()}))
        self._many(cur, "INSERT INTO packages (image_id, ord, purl, purl_base, name, version, "
                   "type, layer, owner, doc) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                   [(image_id, p.ord, p.purl, p.purl_base, p.name, p.version, p.type, p.layer,
                     p.owner, keys[p.ord]) for p in record.packages])
        self._many(cur, "INSERT INTO package_index (ecosystem, name, image_id, ord) "
                   "VALUES (?, ?, ?, ?)",
                   [(eco, name, image_id, p.ord) for p in record.packages
                    for eco, name in sorted(set(p.identities))])
        self._many(cur, "INSERT INTO findings (image_id, ord, advisory_id, aliases, severity, "
                   "fixed, status) VALUES (?, ?, ?, ?, ?, ?, ?)",
                   [(image_id, f.ord, f.advisory_id, _json(list(f.aliases)), f.severity,
                     _json(list(f.fixed)), f.status) for f in record.findings])

    def optimize(self) -> None:
        """Refresh the planner's statistics after a bulk write (``inventory add``). On
        PostgreSQL ``VACUUM (ANALYZE)``: besides the row estimates it sets the visibility
        map, without which the identity index cannot be read index-only (a heap visit
        per row); on SQLite ``ANALYZE`` bounded by ``analysis_limit``."""
        try:
            if self._pg:
                self._conn.rollback()
                self._conn.autocommit = True  # VACUUM runs outside a transaction
                try:
                    self._conn.execute(f"VACUUM (ANALYZE) {', '.join(_WRITTEN)}")
                finally:
                    self._conn.autocommit = False
            else:
                self._conn.execute("PRAGMA analysis_limit=1000")
                self._conn.execute("ANALYZE")
        except Exception as exc:
            self._rollback()
            raise self._error(exc) from exc

    def remove(self, digest: str) -> bool:
        """Forget the image ``digest`` (all its refs); False when it is not stored."""
        with self._transaction() as cur:
            found = self._exec(cur, "SELECT id FROM images WHERE digest=?", (digest,)).fetchone()
            if found is None:
                return False
            for table in ("changes", "findings", "package_index", "packages", "layers", "refs"):
                self._exec(cur, f"DELETE FROM {table} WHERE image_id=?",  # noqa: S608
                           (found[0],))
            self._exec(cur, "DELETE FROM images WHERE id=?", (found[0],))
        return True

    # -- reads -------------------------------------------------------------------------
    def images(self) -> list[ImageRecord]:
        """Every stored image (without packages), by digest."""
        refs = self._refs(None)
        rows = self._rows(f"SELECT {_IMAGE_COLS} FROM images ORDER BY digest")  # noqa: S608
        counts = dict(self._rows("SELECT image_id, COUNT(*) FROM packages GROUP BY image_id"))
        return [_image(r, refs.get(r[0], ()), count=counts.get(r[0], 0)) for r in rows]

    def image(self, digest: str) -> ImageRecord | None:
        """The whole record of ``digest`` (packages, layers, findings), or None."""
        rows = self._rows(f"SELECT {_IMAGE_COLS} FROM images WHERE digest=?",  # noqa: S608
                          (digest,))
        if not rows:
            return None
        image_id = rows[0][0]
        layers = tuple(StoredLayer(d, i, s) for d, i, s in self._rows(
            "SELECT digest, diff_id, size FROM layers WHERE image_id=? ORDER BY position",
            (image_id,)))
        packages = tuple(self._packages("WHERE p.image_id=?", (image_id,)).get(image_id, ()))
        findings = tuple(StoredFinding(o, a, tuple(json.loads(al)), s, tuple(json.loads(f)), st)
                         for o, a, al, s, f, st in self._rows(
            "SELECT ord, advisory_id, aliases, severity, fixed, status FROM findings "
            "WHERE image_id=? ORDER BY ord, advisory_id", (image_id,)))
        return _image(rows[0], self._refs(image_id).get(image_id, ()), layers=layers,
                      packages=packages, findings=findings)

    def carrying(self, identities: Iterable[tuple[str, str]]
                 ) -> list[tuple[ImageRecord, list[StoredPackage]]]:
        """Images holding a package with one of ``identities`` (ecosystem, name) -- the
        index lookup behind ``affected`` -- with those packages only (documents not read:
        ``docs()`` reads each distinct one once)."""
        packages: dict[int, list[StoredPackage]] = {}
        for where, params in _identity_chunks(identities):
            for image_id, held in self._packages(
                    f"JOIN package_index i ON i.image_id=p.image_id AND i.ord=p.ord "
                    f"WHERE {where}", params, with_docs=False).items():
                packages.setdefault(image_id, []).extend(held)
        for image_id, held in packages.items():  # a package in two chunks: once, by ord
            packages[image_id] = sorted({p.ord: p for p in held}.values(), key=_ord)
        return self._with_images(packages)

    def holding(self, purl_base: str, version: str | None) -> list[Holder]:
        """Every stored copy of ``purl_base`` (at ``version`` when given), with its image's
        digest, by image id then ord (one join; refs from ``refs_of``)."""
        where, params = "p.purl_base=?", [purl_base]
        if version is not None:
            where, params = where + " AND p.version=?", [purl_base, version]
        return [Holder(*r) for r in self._rows(
            "SELECT p.image_id, m.digest, p.ord, p.purl, p.name, p.version, "  # noqa: S608
            f"p.layer FROM packages p JOIN images m ON m.id=p.image_id WHERE {where} "
            "ORDER BY p.image_id, p.ord", params)]

    def findings_holding(self, purl_base: str, version: str | None
                         ) -> dict[tuple[int, int], list[StoredFinding]]:
        """The stored findings of the packages ``holding`` names, by (image id, ord)."""
        where, params = "p.purl_base=?", [purl_base]
        if version is not None:
            where, params = where + " AND p.version=?", [purl_base, version]
        rows = self._rows(
            "SELECT f.image_id, f.ord, f.advisory_id, f.aliases, f.severity, "  # noqa: S608
            "f.fixed, f.status FROM findings f JOIN packages p ON p.image_id=f.image_id "
            f"AND p.ord=f.ord WHERE {where} ORDER BY f.image_id, f.ord, f.advisory_id",
            params)
        lists: dict[str, tuple[str, ...]] = {}  # the same JSON lists recur across images

        def parsed(text: str) -> tuple[str, ...]:
            if text not in lists:
                lists[text] = tuple(json.loads(text))
            return lists[text]

        out: dict[tuple[int, int], list[StoredFinding]] = {}
        for i, o, a, al, sev, fixed, st in rows:
            out.setdefault((i, o), []).append(
                StoredFinding(o, a, parsed(al), sev, parsed(fixed), st))
        return out

    def carriers(self, identities: Iterable[tuple[str, str]]) -> list[Carrier]:
        """One row per stored package with one of ``identities`` (the index lookup behind
        ``affected``), with its image's digest, distro and refs: no per-image record is
        built. Rows by image id, then ord."""
        out: list[Carrier] = []
        seen: set[tuple[int, int]] = set()
        for where, params in _identity_chunks(identities):
            # the images once each (not one join per package row), with their refs
            images: dict[int, tuple[str, str | None, list[tuple[str, str]]]] = {}
            for image_id, digest, distro, added, ref in self._rows(
                    "SELECT m.id, m.digest, m.distro, r.added_at, r.ref FROM images m "  # noqa: S608
                    "LEFT JOIN refs r ON r.image_id=m.id WHERE m.id IN "
                    f"(SELECT i.image_id FROM package_index i WHERE {where})", params):
                held = images.setdefault(image_id, (digest, distro, []))[2]
                if ref is not None:
                    held.append((added, ref))
            refs = {i: tuple(r for _, r in sorted(v[2])) for i, v in images.items()}
            for r in self._rows(
                    "SELECT p.image_id, p.ord, p.doc, p.layer FROM package_index i "  # noqa: S608
                    "JOIN packages p ON p.image_id=i.image_id AND p.ord=i.ord "
                    f"WHERE {where}", params):  # index-only (schema v3)
                key = (r[0], r[1])
                if key not in seen and r[0] in images:
                    seen.add(key)
                    image = images[r[0]]
                    out.append(Carrier(r[0], r[1], image[0], image[1], r[2], r[3],
                                       refs[r[0]]))
        out.sort()
        return out

    def refs_of(self, image_ids: Iterable[int]) -> dict[int, tuple[str, ...]]:
        """The refs of each image id (in the order they were added)."""
        ids = sorted(set(image_ids))
        out: dict[int, tuple[str, ...]] = {}
        for i in range(0, len(ids), 5000):
            out.update(self._refs_of(ids[i:i + 5000]))
        return out

    def layer_chains(self) -> dict[str, tuple[str, ...]]:
        """Every stored image's layer diff_ids, bottom first, by digest (base-image advice)."""
        out: dict[str, tuple[str, ...]] = {}
        for digest, diff_id in self._rows(
                "SELECT m.digest, l.diff_id FROM layers l JOIN images m ON m.id=l.image_id "
                "ORDER BY m.digest, l.position"):
            out[digest] = (*out.get(digest, ()), diff_id)
        return out

    def finding_counts(self) -> dict[str, int]:
        """Stored findings per image digest (images without findings: absent)."""
        return dict(self._rows("SELECT m.digest, COUNT(*) FROM findings f JOIN images m "
                               "ON m.id=f.image_id GROUP BY m.digest"))

    def docs(self, digests: Iterable[str]) -> dict[str, dict[str, Any]]:
        """The package documents (``Package.to_dict()`` without layers) by digest."""
        wanted = sorted(set(digests))
        out: dict[str, dict[str, Any]] = {}
        for i in range(0, len(wanted), 500):
            chunk = wanted[i:i + 500]
            marks = ", ".join("?" * len(chunk))
            out.update((d, json.loads(doc)) for d, doc in self._rows(
                f"SELECT digest, doc FROM package_docs WHERE digest IN ({marks})",  # noqa: S608
                chunk))
        return out

    def _packages(self, where: str, params: Sequence[Any], *, with_docs: bool = True
                  ) -> dict[int, list[StoredPackage]]:
        out: dict[int, list[StoredPackage]] = {}
        seen: set[tuple[int, int]] = set()
        rows = self._rows(
            "SELECT p.image_id, p.ord, p.purl, p.purl_base, p.name, p.version, "  # noqa: S608
            f"p.type, p.layer, p.owner, p.doc FROM packages p {where} "
            "ORDER BY p.image_id, p.ord", params)
        docs = self.docs(r[9] for r in rows) if with_docs else {}
        for r in rows:
            if (r[0], r[1]) in seen:
                continue
            seen.add((r[0], r[1]))
            out.setdefault(r[0], []).append(StoredPackage(
                r[1], r[2], r[3], r[4], r[5], r[6], r[7], r[8], docs.get(r[9], {}),
                doc_digest=r[9]))
        return out

    def _with_images(self, packages: dict[int, list[StoredPackage]]
                     ) -> list[tuple[ImageRecord, list[StoredPackage]]]:
        if not packages:
            return []
        ids = sorted(packages)
        marks = ", ".join("?" * len(ids))
        rows = self._rows(f"SELECT {_IMAGE_COLS} FROM images "  # noqa: S608
                          f"WHERE id IN ({marks}) ORDER BY digest", ids)
        refs = self._refs_of(ids)
        return [(_image(r, refs.get(r[0], ())), packages[r[0]]) for r in rows]

    def _refs(self, image_id: int | None) -> dict[int, tuple[str, ...]]:
        if image_id is None:
            rows = self._rows("SELECT image_id, ref FROM refs ORDER BY image_id, added_at, ref")
        else:
            rows = self._rows("SELECT image_id, ref FROM refs WHERE image_id=? "
                              "ORDER BY added_at, ref", (image_id,))
        out: dict[int, tuple[str, ...]] = {}
        for i, ref in rows:
            out[i] = (*out.get(i, ()), ref)
        return out

    def _refs_of(self, ids: list[int]) -> dict[int, tuple[str, ...]]:
        marks = ", ".join("?" * len(ids))
        out: dict[int, tuple[str, ...]] = {}
        for i, ref in self._rows(f"SELECT image_id, ref FROM refs "  # noqa: S608
                                 f"WHERE image_id IN ({marks}) ORDER BY added_at, ref", ids):
            out[i] = (*out.get(i, ()), ref)
        return out


_WRITTEN = ("images", "refs", "layers", "packages", "package_docs", "package_index",
            "findings")  # the tables ``add`` writes
_CHUNK = 200  # (ecosystem, name) pairs per statement: SQLite refuses an expression
# tree deeper than 1,000 (SQLITE_MAX_EXPR_DEPTH), and an OR chain is one level per term


def _identity_chunks(identities: Iterable[tuple[str, str]]
                     ) -> Iterator[tuple[str, list[str]]]:
    """``identities`` (deduplicated, sorted) as WHERE clauses over ``package_index i`` of
    at most ``_CHUNK`` pairs each, with their parameters."""
    wanted = sorted(set(identities))
    for i in range(0, len(wanted), _CHUNK):
        chunk = wanted[i:i + _CHUNK]
        yield (" OR ".join(["(i.ecosystem=? AND i.name=?)"] * len(chunk)),
               [x for pair in chunk for x in pair])


def _ord(package: StoredPackage) -> int:
    return package.ord


_IMAGE_COLS = ("id, digest, kind, distro, os, architecture, config_digest, added_at, "
               "scanned_with")


def _image(row: tuple[Any, ...], refs: tuple[str, ...], *, count: int = 0,
           layers: tuple[StoredLayer, ...] = (), packages: tuple[StoredPackage, ...] = (),
           findings: tuple[StoredFinding, ...] = ()) -> ImageRecord:
    _, digest, kind, distro, os_, arch, config, added, scanned = row
    return ImageRecord(digest=digest, kind=kind, ref=refs[0] if refs else "",
                       distro=json.loads(distro) if distro else None, os=os_,
                       architecture=arch, config_digest=config, layers=layers,
                       packages=packages, findings=findings, scanned_with=scanned,
                       refs=refs, added_at=added, package_count=count)


def _json(value: Any) -> str | None:
    return None if value is None else json.dumps(value, sort_keys=True, separators=(",", ":"))


def _connect(url: StoreUrl) -> Any:
    if url.dialect == "sqlite":
        path = Path(url.target)
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            conn = sqlitewal.connect(path)
            conn.execute("PRAGMA foreign_keys=ON")
            # reads through the OS page cache (no read() per page) and a 64 MiB page
            # cache: an ``affected`` answer walks ~3 index pages per package it names
            conn.execute("PRAGMA mmap_size=1073741824")
            conn.execute("PRAGMA cache_size=-65536")
            return conn
        except (OSError, sqlite3.Error) as exc:
            raise StoreError(str(path), f"cannot open the inventory store: {exc}") from exc
    try:
        import psycopg
    except ImportError as exc:
        raise StoreError(url.display(), "PostgreSQL stores need psycopg 3",
                         hint="pip install 'ringfence[postgresql]'") from exc
    try:
        return psycopg.connect(url.target, connect_timeout=CONNECT_TIMEOUT_S)
    except psycopg.Error as exc:
        raise StoreError(url.display(), f"cannot connect to the inventory store: "
                         f"{str(exc).strip()}",
                         hint="is the server running, and the URL right?") from exc
