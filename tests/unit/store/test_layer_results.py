"""Layer results shared through the inventory store (SQLite here; PostgreSQL with a real
server and a fleet in tests/integration/test_fleet.py): a row is a result only under its
own key, and a poisoned row is no result."""

from __future__ import annotations

import base64
import json
import sqlite3
import zlib
from pathlib import Path

import pytest

from ringfence.layers.result import LayerResult
from ringfence.store import layer_results
from ringfence.store.db import InventoryStore
from ringfence.store.schema import MIGRATIONS, SCHEMA_VERSION

VARIANT = "v" * 64
BLOB = "sha256:" + "b" * 64
DIFF = "sha256:" + "d" * 64


def _result(diff_id: str = DIFF) -> LayerResult:
    return LayerResult(diff_id, files=("etc/os-release",), dirs=("etc",), entries=2)


def _store(tmp_path: Path) -> InventoryStore:
    return InventoryStore.open(f"sqlite:///{tmp_path / 'store.sqlite'}")


def _raw(doc: object) -> str:
    return base64.b64encode(zlib.compress(json.dumps(doc).encode())).decode()


def test_written_under_its_key_and_read_back(tmp_path: Path) -> None:
    with _store(tmp_path) as store:
        assert not layer_results.has_candidate(store, VARIANT, BLOB)
        assert layer_results.get(store, VARIANT, BLOB) is None
        layer_results.put(store, VARIANT, BLOB, _result(), inflated=1234)
        assert layer_results.has_candidate(store, VARIANT, BLOB)
        assert layer_results.get(store, VARIANT, BLOB) == (_result(), 1234)
        assert layer_results.get(store, "w" * 64, BLOB) is None  # another variant
        assert layer_results.get(store, VARIANT, "sha256:" + "c" * 64) is None
        layer_results.put(store, VARIANT, BLOB, _result(), inflated=99)  # replaced
        assert layer_results.get(store, VARIANT, BLOB) == (_result(), 99)


def _poison(store: InventoryStore, diff_id: str, value: str) -> None:
    with store._transaction() as cur:
        store._exec(cur, "UPDATE layer_results SET diff_id=?, value=? WHERE blob=?",
                    (diff_id, value, BLOB))


OTHER = "sha256:" + "e" * 64
POISONS = {
    # a good row of another blob copied under this key
    "other blob": (DIFF, layer_results.encode(VARIANT, OTHER, _result(), 1)),
    "other variant": (DIFF, layer_results.encode("w" * 64, BLOB, _result(), 1)),
    # the key's diffID is not the result's
    "other diffID": (OTHER, layer_results.encode(VARIANT, BLOB, _result(), 1)),
    "result of another diffID": (DIFF, layer_results.encode(VARIANT, BLOB, _result(OTHER), 1)),
    "not base64": (DIFF, "%%%"),
    "not zlib": (DIFF, base64.b64encode(b"plain").decode()),
    "truncated": (DIFF, base64.b64encode(zlib.compress(b"{" * 100)[:-4]).decode()),
    "not JSON": (DIFF, _raw("x")[:-4] + "AAAA"),
    "a list": (DIFF, _raw([1, 2])),
    "no result": (DIFF, _raw({"variant": VARIANT, "blob": BLOB, "inflated": 1})),
    "bad result": (DIFF, _raw({"variant": VARIANT, "blob": BLOB, "inflated": 1,
                               "result": {"records": 5}})),
    "negative bytes": (DIFF, layer_results.encode(VARIANT, BLOB, _result(), -1)),
    "bytes not a number": (DIFF, _raw({"variant": VARIANT, "blob": BLOB, "inflated": "1",
                                       "result": _result().to_dict()})),
}


@pytest.mark.parametrize("poison", sorted(POISONS))
def test_a_poisoned_row_is_no_result(tmp_path: Path, poison: str) -> None:
    with _store(tmp_path) as store:
        layer_results.put(store, VARIANT, BLOB, _result(), inflated=7)
        _poison(store, *POISONS[poison])
        assert layer_results.get(store, VARIANT, BLOB) is None
        layer_results.put(store, VARIANT, BLOB, _result(), inflated=7)  # overwritten
        assert layer_results.get(store, VARIANT, BLOB) == (_result(), 7)


def test_a_row_that_inflates_past_the_cap_is_no_result(tmp_path: Path,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    value = layer_results.encode(VARIANT, BLOB, _result(), 1)
    assert layer_results.decode(value, VARIANT, BLOB, DIFF) == (_result(), 1)
    size = len(zlib.decompress(base64.b64decode(value)))
    monkeypatch.setattr(layer_results, "MAX_VALUE", size - 1)
    assert layer_results.decode(value, VARIANT, BLOB, DIFF) is None
    monkeypatch.setattr(layer_results, "MAX_VALUE", size)
    assert layer_results.decode(value, VARIANT, BLOB, DIFF) == (_result(), 1)


def test_a_version_3_store_is_migrated_with_its_images_kept(tmp_path: Path) -> None:
    """Schema 4 adds layer_results to a store made by the previous version."""
    assert SCHEMA_VERSION == 4 and 3 in MIGRATIONS
    path = tmp_path / "store.sqlite"
    db = sqlite3.connect(path)
    for step in range(3):
        for statement in MIGRATIONS[step]:
            db.execute(statement.format(id="INTEGER PRIMARY KEY AUTOINCREMENT"))
    db.execute("INSERT INTO meta VALUES ('schema_version', '3')")
    db.execute("INSERT INTO images (digest, kind, added_at) VALUES ('sha256:1', 'oci', 'now')")
    db.commit()
    db.close()
    with InventoryStore.open(f"sqlite:///{path}") as store:
        assert store.schema_version() == 4
        assert store._rows("SELECT digest FROM images") == [("sha256:1",)]
        layer_results.put(store, VARIANT, BLOB, _result())
        assert layer_results.get(store, VARIANT, BLOB) == (_result(), 0)
