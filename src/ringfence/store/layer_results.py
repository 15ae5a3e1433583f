"""Layer results shared through the inventory store, so the workers of a fleet on several
hosts (or one local cluster on a SQLite store) analyse each unique layer once.

Keyed exactly as the layer cache (``cache/layer_cache.py``): the analyzer variant and the
digest of the blob bytes that were hashed when the result was computed. ``put`` is called
only with such a verified digest; ``get`` is asked only with a digest hashed by the
caller in this run. A row is trusted only when its value names the same variant, blob and
diffID as its key (a row copied under another key, damaged, or over ``MAX_VALUE`` bytes
decompressed is no result: the layer is analysed again and the row overwritten).

What the store cannot tell: a result forged by someone who may write the store, under the
right key. The store is as trusted as the layer cache directory it stands in for.

Values are base64 of zlib-compressed JSON (TEXT: one column type for SQLite and
PostgreSQL), never pickle.
"""

from __future__ import annotations

import base64
import binascii
import json
import zlib
from typing import TYPE_CHECKING, Final

from ringfence.layers.result import LayerResult

if TYPE_CHECKING:
    from ringfence.store.db import InventoryStore

MAX_VALUE: Final = 256 * 1024 * 1024  # decompressed bytes of one row's JSON


def has_candidate(store: InventoryStore, variant: str, blob: str) -> bool:
    """Whether a row might serve ``blob`` (worth hashing the blob first; trusts nothing)."""
    return bool(store._rows("SELECT 1 FROM layer_results WHERE variant=? AND blob=?",
                            (variant, blob)))


def get(store: InventoryStore, variant: str, blob: str) -> tuple[LayerResult, int] | None:
    """The result for blob bytes verified (by the caller, in this run) to hash to ``blob``
    and the decompressed bytes its analysis read, or None (no row, or a row whose content
    does not match its key)."""
    rows = store._rows("SELECT diff_id, value FROM layer_results WHERE variant=? AND blob=?",
                       (variant, blob))
    if not rows:
        return None
    diff_id, value = rows[0]
    return decode(str(value), variant, blob, str(diff_id))


def put(store: InventoryStore, variant: str, blob: str, result: LayerResult,
        inflated: int = 0) -> None:
    """Record ``result``, computed from blob bytes that hashed to ``blob`` in this run and
    whose tar hashed to ``result.diff_id``, reading ``inflated`` decompressed bytes."""
    value = encode(variant, blob, result, inflated)
    with store._transaction() as cur:
        store._exec(cur, "INSERT INTO layer_results (variant, blob, diff_id, value) "
                    "VALUES (?, ?, ?, ?) ON CONFLICT (variant, blob) DO UPDATE SET "
                    "diff_id=excluded.diff_id, value=excluded.value",
                    (variant, blob, result.diff_id, value))


def encode(variant: str, blob: str, result: LayerResult, inflated: int = 0) -> str:
    doc = {"variant": variant, "blob": blob, "inflated": inflated,
           "result": result.to_dict()}
    packed = zlib.compress(json.dumps(doc, separators=(",", ":")).encode(), 6)
    return base64.b64encode(packed).decode("ascii")


def decode(value: str, variant: str, blob: str, diff_id: str
           ) -> tuple[LayerResult, int] | None:
    """The result in ``value`` (and its decompressed bytes) when it names this key
    (variant, blob, diffID), else None."""
    try:
        inflate = zlib.decompressobj()
        raw = inflate.decompress(base64.b64decode(value, validate=True), MAX_VALUE)
        if inflate.unconsumed_tail or not inflate.eof:
            return None  # over MAX_VALUE, or truncated
        doc = json.loads(raw)
        if not isinstance(doc, dict) or doc.get("variant") != variant \
                or doc.get("blob") != blob:
            return None
        result = LayerResult.from_dict(doc["result"])
        inflated = doc.get("inflated")
        if type(inflated) is not int or inflated < 0:
            return None
    except (binascii.Error, zlib.error, ValueError, KeyError, TypeError, AttributeError):
        return None
    return (result, inflated) if result.diff_id == diff_id else None


__all__ = ["MAX_VALUE", "decode", "encode", "get", "has_candidate", "put"]
