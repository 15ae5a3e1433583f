"""sqlitewal.enable_wal: the WAL switch of a new database is retried while another opener
holds it (SQLite answers "database is locked" without its busy handler), and only then.
The real race: processes released together open a new layer cache and a new SQLite
inventory store in one directory (before the retry, 8 of 180 openers of the layer cache
failed, over 30 such rounds of 6)."""

from __future__ import annotations

import multiprocessing
import sqlite3
from pathlib import Path
from typing import Any

import pytest

from ringfence import sqlitewal
from ringfence.cache.layer_cache import LayerCache
from ringfence.store.db import InventoryStore


class _Conn:
    """A connection whose WAL switch fails ``locked`` times, then answers."""

    def __init__(self, locked: int, message: str = "database is locked") -> None:
        self.locked, self.message, self.calls = locked, message, 0

    def execute(self, sql: str) -> None:
        assert sql == "PRAGMA journal_mode=WAL"
        self.calls += 1
        if self.calls <= self.locked:
            raise sqlite3.OperationalError(self.message)


def test_a_locked_switch_is_retried_until_it_answers(monkeypatch: pytest.MonkeyPatch) -> None:
    pauses: list[float] = []
    monkeypatch.setattr(sqlitewal.time, "sleep", pauses.append)
    conn = _Conn(locked=5)
    sqlitewal.enable_wal(conn, 30)  # type: ignore[arg-type]
    assert conn.calls == 6 and len(pauses) == 5 and pauses == sorted(pauses)


def test_a_switch_locked_past_the_timeout_fails() -> None:
    conn = _Conn(locked=10**6)
    with pytest.raises(sqlite3.OperationalError, match="locked"):
        sqlitewal.enable_wal(conn, 0.05)  # type: ignore[arg-type]
    assert 2 <= conn.calls < 100


def test_other_errors_are_not_retried() -> None:
    conn = _Conn(locked=1, message="disk I/O error")
    with pytest.raises(sqlite3.OperationalError, match="disk I/O"):
        sqlitewal.enable_wal(conn, 30)  # type: ignore[arg-type]
    assert conn.calls == 1


def _open(kind: str, where: str, start: Any, out: Any) -> None:
    start.wait(30)
    try:
        if kind == "cache":
            LayerCache(Path(where)).close()
        else:
            InventoryStore.open(f"sqlite:///{where}/store.sqlite").close()
        out.put("ok")
    except Exception as exc:  # reported to the parent, which names it
        out.put(repr(exc))


@pytest.mark.parametrize("kind", ["cache", "store"])
def test_processes_opening_one_new_database_together_all_succeed(kind: str,
                                                                 tmp_path: Path) -> None:
    ctx = multiprocessing.get_context("fork")
    outcomes: list[str] = []
    for round_ in range(12):
        start, out = ctx.Barrier(6), ctx.Queue()
        where = tmp_path / f"r{round_}"
        where.mkdir()
        procs = [ctx.Process(target=_open, args=(kind, str(where), start, out))
                 for _ in range(6)]
        for p in procs:
            p.start()
        outcomes += [out.get(timeout=120) for _ in procs]
        for p in procs:
            p.join(60)
    assert [o for o in outcomes if o != "ok"] == []
    assert len(outcomes) == 72
