"""Open an SQLite database that several processes may open and write at once, in WAL mode.

``PRAGMA journal_mode=WAL`` on a new database needs an exclusive lock, and SQLite answers
"database is locked" at once, without calling the busy handler, when another connection is
switching the same file at that moment (6 processes opening a new layer cache together:
8 of 180 failed). ``fleet --workers N`` does exactly that with a shared ``--cache-dir`` or
``--store sqlite:///``. So the switch is retried, with a growing pause, until the busy
timeout the connection was opened with has passed; then the error stands.
"""

from __future__ import annotations

import sqlite3
import time
from pathlib import Path

BUSY_TIMEOUT_S = 30  # how long a statement waits for another process's lock
_FIRST_PAUSE_S = 0.005
_MAX_PAUSE_S = 0.2


def connect(path: Path) -> sqlite3.Connection:
    """A connection in autocommit mode (transactions are explicit), usable from any thread,
    its database in WAL mode: the layer cache's and the SQLite inventory store's."""
    conn = sqlite3.connect(path, timeout=BUSY_TIMEOUT_S, isolation_level=None,
                           check_same_thread=False)
    try:
        enable_wal(conn, BUSY_TIMEOUT_S)
    except BaseException:
        conn.close()
        raise
    return conn


def enable_wal(conn: sqlite3.Connection, timeout_s: float) -> None:
    """Switch ``conn``'s database to WAL, retrying while another opener holds it."""
    deadline = time.monotonic() + timeout_s
    pause = _FIRST_PAUSE_S
    while True:
        try:
            conn.execute("PRAGMA journal_mode=WAL")
            return
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) and "busy" not in str(exc):
                raise
            if time.monotonic() + pause > deadline:
                raise
        time.sleep(pause)
        pause = min(pause * 2, _MAX_PAUSE_S)
