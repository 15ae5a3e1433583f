"""On-disk cache of per-layer results (SQLite, WAL: safe with concurrent scanners).

Keyed by sha256(diffID + every cataloger's name and version + options), so a result
is reused only when nothing that shapes it changed. Values are JSON, never pickle:
a cache file is data, not code.
"""

from __future__ import annotations

import hashlib
import json
import os
import sqlite3
import zlib
from pathlib import Path

from ringfence.catalog.layer_result import LayerResult

SCHEMA_VERSION = 1


def default_dir() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "ringfence"


def cache_key(diff_id: str, fingerprint: str, options: str) -> str:
    return hashlib.sha256(f"{SCHEMA_VERSION}\0{diff_id}\0{fingerprint}\0{options}".encode()
                          ).hexdigest()


class LayerCache:
    def __init__(self, directory: Path) -> None:
        directory.mkdir(parents=True, exist_ok=True, mode=0o700)
        self.path = directory / "layers.sqlite"
        self._db = sqlite3.connect(self.path, timeout=30, check_same_thread=False,
                                   isolation_level=None)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("CREATE TABLE IF NOT EXISTS layers (key TEXT PRIMARY KEY, "
                         "diff_id TEXT NOT NULL, value BLOB NOT NULL)")

    def get(self, key: str) -> LayerResult | None:
        row = self._db.execute("SELECT value FROM layers WHERE key = ?", (key,)).fetchone()
        if row is None:
            return None
        try:
            return LayerResult.from_dict(json.loads(zlib.decompress(row[0])))
        except (zlib.error, ValueError, KeyError, TypeError):
            return None  # a damaged entry is recomputed and overwritten

    def put(self, key: str, result: LayerResult) -> None:
        value = zlib.compress(json.dumps(result.to_dict(), separators=(",", ":")).encode(), 6)
        self._db.execute("INSERT OR REPLACE INTO layers (key, diff_id, value) VALUES (?, ?, ?)",
                         (key, result.diff_id, value))

    def close(self) -> None:
        self._db.close()
