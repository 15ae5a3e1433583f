"""Packages found in an image or filesystem."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any

from ringfence.model.license import from_json, spdx_of


@dataclass(frozen=True, slots=True, order=True)
class Location:
    """Where a package record was found: a path inside the image and the layer (diffID)."""

    path: str
    layer: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {"path": self.path, "layer": self.layer}

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Location:
        return cls(d["path"], d.get("layer"))


@dataclass(frozen=True, slots=True)
class Package:
    """One installed package.

    ``type`` is the purl type (deb, apk, rpm, pypi, npm, maven, golang, cargo, gem,
    composer). ``source_name``/``source_version`` carry the OS source package
    (dpkg ``Source:``, rpm ``SOURCERPM``, apk ``o:``): distro advisories are keyed by it.
    ``deleted`` marks a package that exists only in a lower layer (removed later but
    still retrievable from the image). ``owner`` is the purl of the OS package that owns
    this (language) package's metadata file (Debian's ``python3-requests`` dist-info): such
    a library is matched against the distribution's advisories only, through its owner
    (``vulndb/matchers/language.py`` DISTRO_PATCHED; Go/Rust binaries keep their own).
    ``licenses`` are ``model.license.SpdxLicense`` where catalog/licenses.py found a valid
    SPDX expression, plain names otherwise.
    """

    name: str
    version: str
    type: str
    purl: str
    cataloger: str
    source_name: str | None = None
    source_version: str | None = None
    arch: str | None = None
    licenses: tuple[str, ...] = ()
    locations: tuple[Location, ...] = ()
    deleted: bool = False
    metadata: tuple[tuple[str, str], ...] = field(default=())
    owner: str | None = None

    @property
    def key(self) -> tuple[str, str, str, str]:
        """Identity used to merge and attribute across layers."""
        return (self.type, self.name, self.version, self.arch or "")

    def sort_key(self) -> tuple[str, str, str, str, str]:
        first = self.locations[0].path if self.locations else ""
        return (self.type, self.name.lower(), self.version, self.arch or "", first)

    def with_layer(self, layer: str | None) -> Package:
        return replace(self, locations=tuple(Location(loc.path, layer) for loc in self.locations))

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "version": self.version,
            "type": self.type,
            "purl": self.purl,
            "cataloger": self.cataloger,
            "source_name": self.source_name,
            "source_version": self.source_version,
            "arch": self.arch,
            # a set of licences: in sorted order, as CycloneDX and SPDX documents hold them,
            # so a document read back from either gives the same JSON
            "licenses": sorted(set(self.licenses)),
            "spdx_licenses": spdx_of(self.licenses),  # those that are SPDX expressions
            "locations": [loc.to_dict() for loc in self.locations],
            "deleted": self.deleted,
            "metadata": dict(self.metadata),
            "owner": self.owner,
        }

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Package:
        return cls(
            name=d["name"],
            version=d["version"],
            type=d["type"],
            purl=d["purl"],
            cataloger=d["cataloger"],
            source_name=d.get("source_name"),
            source_version=d.get("source_version"),
            arch=d.get("arch"),
            licenses=from_json(d.get("licenses", ()), d.get("spdx_licenses", ())),
            locations=tuple(Location.from_dict(x) for x in d.get("locations", ())),
            deleted=bool(d.get("deleted", False)),
            metadata=tuple(sorted((str(k), str(v)) for k, v in d.get("metadata", {}).items())),
            owner=d.get("owner"),
        )
