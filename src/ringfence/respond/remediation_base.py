"""Base-image advice for ``fix``, as Docker Scout gives it, from the inventory store.

The *base* of an image is the stored image whose layers (diff_ids, bottom first) are a
strict prefix of the image's own; of several, the longest (the nearest ancestor). The
*candidates* are the other stored images of the same distribution family (``ID`` or
``ID_LIKE`` of os-release in common with the base) holding fewer findings than the base,
that are neither the image nor built on the base (those are siblings, not alternatives)
nor on the image; fewest findings first. Findings are those recorded with each image
(``inventory add`` / ``image --store``; re-matched by ``db update --store``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ringfence.store.db import InventoryStore
from ringfence.store.record import ImageRecord


@dataclass(frozen=True, slots=True)
class StoredImage:
    digest: str
    refs: tuple[str, ...]
    distro: str | None  # "debian 12"
    findings: int


@dataclass(frozen=True, slots=True)
class BaseAdvice:
    base: StoredImage | None  # None: no stored image is a layer prefix of this one
    candidates: tuple[StoredImage, ...] = ()


def _family(distro: dict[str, Any] | None) -> set[str]:
    if not distro:
        return set()
    return {str(distro.get("id") or ""), *map(str, distro.get("id_like") or ())} - {""}


def _label(distro: dict[str, Any] | None) -> str | None:
    if not distro:
        return None
    return " ".join(str(x) for x in (distro.get("id"), distro.get("version_id")) if x) or None


def _is_prefix(short: tuple[str, ...], long: tuple[str, ...]) -> bool:
    return 0 < len(short) < len(long) and long[:len(short)] == short


def advise(store: InventoryStore, layers: tuple[str, ...], digest: str | None) -> BaseAdvice:
    """The base of the image with ``layers`` (and ``digest``, when it has one) and the
    stored alternatives to it."""
    chains = store.layer_chains()
    records = {r.digest: r for r in store.images()}
    counts = store.finding_counts()
    bases = [d for d, chain in chains.items() if d != digest and _is_prefix(chain, layers)]
    if not bases:
        return BaseAdvice(None)
    base_digest = max(bases, key=lambda d: (len(chains[d]), d))
    base = _stored(records[base_digest], counts)
    family = _family(records[base_digest].distro)
    out = [_stored(r, counts) for d, r in records.items()
           if d not in (digest, base_digest) and family & _family(r.distro)
           and counts.get(d, 0) < base.findings
           and not _is_prefix(chains[base_digest], chains.get(d, ()))
           and not _is_prefix(layers, chains.get(d, ()))]
    return BaseAdvice(base, tuple(sorted(out, key=lambda s: (s.findings, s.digest))))


def _stored(record: ImageRecord, counts: dict[str, int]) -> StoredImage:
    return StoredImage(record.digest, record.refs, _label(record.distro),
                       counts.get(record.digest, 0))
