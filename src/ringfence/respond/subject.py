"""The image ``fix`` and ``compare`` are about: a stored record (by manifest digest) or a
fresh scan of a reference, as one shape."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Final

from ringfence.model.inventory import Distro, Inventory
from ringfence.model.package import Package
from ringfence.model.result import ScanResult
from ringfence.store.record import ImageRecord

DIGEST: Final = re.compile(r"^sha256:[0-9a-f]{64}$")


@dataclass(frozen=True, slots=True)
class Subject:
    name: str  # what the user named (a ref or a digest)
    digest: str | None
    refs: tuple[str, ...]
    inventory: Inventory
    layers: tuple[str, ...]  # layer diff_ids, bottom first (empty: an SBOM, a directory)
    stored: bool  # read from the inventory store (else scanned now)


def is_digest(text: str) -> bool:
    return DIGEST.match(text) is not None


def from_record(name: str, record: ImageRecord) -> Subject:
    """A stored image; each package gets its layer back (documents are stored without)."""
    packages = tuple(Package.from_dict(p.doc).with_layer(p.layer) for p in record.packages)
    distro = Distro.from_dict(record.distro) if record.distro else None
    return Subject(name, record.digest, record.refs, Inventory(packages, distro),
                   tuple(la.diff_id for la in record.layers), True)


def from_scan(name: str, result: ScanResult) -> Subject:
    layers = tuple(la.diff_id for la in result.image.layers) if result.image else ()
    return Subject(name, result.target.digest, (name,), result.inventory, layers, False)
