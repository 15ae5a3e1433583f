"""The merged result of cataloging an image: packages, distro, unknowns."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ringfence.model.package import Package
from ringfence.model.unknown import Unknown


@dataclass(frozen=True, slots=True)
class Distro:
    """Parsed ``os-release`` (or equivalent) of the image."""

    id: str
    version_id: str | None = None
    version_codename: str | None = None
    id_like: tuple[str, ...] = ()
    pretty_name: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {"id": self.id, "version_id": self.version_id,
                "version_codename": self.version_codename, "id_like": list(self.id_like),
                "pretty_name": self.pretty_name}

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Distro:
        return cls(d["id"], d.get("version_id"), d.get("version_codename"),
                   tuple(d.get("id_like", ())), d.get("pretty_name"))


@dataclass(frozen=True, slots=True)
class Inventory:
    """Packages visible in the final filesystem, plus those deleted in a later layer."""

    packages: tuple[Package, ...]
    distro: Distro | None = None
    unknowns: tuple[Unknown, ...] = ()
    deleted: tuple[Package, ...] = ()

    def by_type(self) -> dict[str, list[Package]]:
        out: dict[str, list[Package]] = {}
        for p in self.packages:
            out.setdefault(p.type, []).append(p)
        return out
