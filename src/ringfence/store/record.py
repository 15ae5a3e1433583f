"""What the store holds for one image (plain data; ``respond/record.py`` builds it)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, NamedTuple


@dataclass(frozen=True, slots=True)
class StoredPackage:
    ord: int
    purl: str
    purl_base: str  # the purl without version, qualifiers and subpath
    name: str
    version: str
    type: str
    layer: str | None
    owner: str | None
    doc: dict[str, Any]  # Package.to_dict() without layers, to re-match without the image
    # the vulnerability DB's identities of this package: (ecosystem, name) per matcher lookup
    identities: tuple[tuple[str, str], ...] = ()
    doc_digest: str = ""  # read back: the key of ``doc`` in package_docs (doc left empty)


@dataclass(frozen=True, slots=True)
class StoredFinding:
    ord: int  # the package's ord
    advisory_id: str
    aliases: tuple[str, ...]
    severity: str
    fixed: tuple[str, ...]
    status: str


class Carrier(NamedTuple):
    """A stored package as ``affected`` reads it: with its image, without a record (a
    named tuple: thousands are made per answer)."""

    image_id: int
    ord: int
    digest: str  # the image's
    distro: str | None  # the image's distro, as stored (JSON text)
    doc_digest: str  # the package itself: its document (name, version, purl...)
    layer: str | None
    refs: tuple[str, ...] = ()  # the image's, in the order they were added


class Holder(NamedTuple):
    """A stored copy of a package as a purl query reads it (``affected pkg:…``)."""

    image_id: int
    digest: str  # the image's
    ord: int
    purl: str
    name: str
    version: str
    layer: str | None


@dataclass(frozen=True, slots=True)
class StoredLayer:
    digest: str
    diff_id: str
    size: int


@dataclass(frozen=True, slots=True)
class ImageRecord:
    digest: str  # manifest digest (an image) or the SBOM file's sha256 (an SBOM)
    kind: str  # "image" | "sbom"
    ref: str
    distro: dict[str, Any] | None
    os: str | None = None
    architecture: str | None = None
    config_digest: str | None = None
    layers: tuple[StoredLayer, ...] = ()
    packages: tuple[StoredPackage, ...] = ()
    findings: tuple[StoredFinding, ...] = ()
    scanned_with: str | None = None  # the vulnerability DB's built_at, None: not matched
    refs: tuple[str, ...] = field(default=())  # filled when read back
    added_at: str = ""
    package_count: int = 0  # in listings, where packages are not read
