"""SQLite rpmdb (rpm >= 4.16): ``rpmdb.sqlite``, table ``Packages(hnum, blob)``.

The file is loaded into an in-memory database with ``Connection.deserialize``: nothing
is written to disk. rpm keeps the database in WAL mode (header bytes 18/19 == 2), which
an in-memory database cannot open, so a copy is switched to rollback-journal mode
first. A ``rpmdb.sqlite-wal`` file beside it is not read: rpm checkpoints on close, so
images normally ship none.
"""

from __future__ import annotations

import sqlite3
from contextlib import closing

from ringfence.catalog.interface import CatalogError
from ringfence.catalog.rpm.header import Blobs

MAGIC = b"SQLite format 3\x00"
# Abort a query after this many progress callbacks (each one is 1000 VM steps):
# bounds the work a crafted database can cause.
_MAX_PROGRESS_CALLS = 200_000
_MAX_RECORDS = 1_000_000


def is_sqlite(data: bytes) -> bool:
    return data.startswith(MAGIC)


def read_blobs(data: bytes) -> Blobs:
    """Every ``(hnum, blob)`` of the ``Packages`` table, in ``hnum`` order."""
    if not is_sqlite(data) or len(data) < 100:
        raise CatalogError("not an SQLite database")
    image = bytearray(data)
    if image[18] == 2 or image[19] == 2:  # WAL -> legacy journal, for the memory copy only
        image[18] = image[19] = 1
    try:
        return _query(bytes(image))
    except sqlite3.Error as exc:
        raise CatalogError(f"rpmdb.sqlite unreadable: {exc}") from exc


def _query(image: bytes) -> Blobs:
    with closing(sqlite3.connect(":memory:")) as conn:
        conn.deserialize(image)
        conn.execute("PRAGMA query_only = ON")
        conn.execute("PRAGMA trusted_schema = OFF")
        calls = [0]

        def progress() -> int:
            calls[0] += 1
            return 1 if calls[0] > _MAX_PROGRESS_CALLS else 0

        conn.set_progress_handler(progress, 1000)
        tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}
        if "Packages" not in tables:
            raise CatalogError("rpmdb.sqlite has no Packages table")
        records: list[tuple[int, bytes]] = []
        problems: list[str] = []
        for hnum, blob in conn.execute("SELECT hnum, blob FROM Packages ORDER BY hnum"):
            if len(records) >= _MAX_RECORDS:
                problems.append(f"more than {_MAX_RECORDS} records; the rest were skipped")
                break
            if not isinstance(blob, bytes) or not isinstance(hnum, int):
                problems.append(f"record {hnum!r}: blob is not binary")
                continue
            records.append((hnum, blob))
        return Blobs(tuple(records), tuple(problems))
