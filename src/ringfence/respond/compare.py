"""``compare``: what changed between two images -- packages added, removed and changed
(version), vulnerabilities introduced and fixed (both images matched against the same,
current database, so a difference is the images', not the databases').

A package is identified by its purl without version, qualifiers other than ``arch``, and
subpath (``deb`` libc6 on amd64, ``pypi`` requests). An image may hold several copies of
one package (two virtualenvs): per identity, the versions both hold cancel out, the rest
are paired in version order as changes, and what is left over is added or removed. A
finding is identified by its package identity and advisory id.
"""

from __future__ import annotations

from dataclasses import dataclass

from packageurl import PackageURL

from ringfence.model.advisory import VulnerabilityMatch
from ringfence.model.inventory import Inventory
from ringfence.model.package import Package
from ringfence.model.unknown import Unknown
from ringfence.vulndb.match import match_all
from ringfence.vulndb.store import VulnStore


@dataclass(frozen=True, slots=True)
class Changed:
    purl: str  # the identity (no version)
    name: str
    type: str
    old: str
    new: str


@dataclass(frozen=True, slots=True)
class Comparison:
    added: tuple[Package, ...]
    removed: tuple[Package, ...]
    changed: tuple[Changed, ...]
    introduced: tuple[VulnerabilityMatch, ...] | None  # None: no database, not compared
    fixed: tuple[VulnerabilityMatch, ...] | None
    unknowns: tuple[Unknown, ...] = ()


def identity(purl: str) -> str:
    """The package's identity across versions: purl without version (``arch`` kept)."""
    try:
        p = PackageURL.from_string(purl)
    except ValueError:
        return purl.split("@", 1)[0].split("?", 1)[0]
    arch = (p.qualifiers or {}).get("arch") if isinstance(p.qualifiers, dict) else None
    return str(PackageURL(type=p.type, namespace=p.namespace, name=p.name,
                          qualifiers={"arch": arch} if arch else None).to_string())


def _by_identity(packages: tuple[Package, ...]) -> dict[str, list[Package]]:
    out: dict[str, list[Package]] = {}
    for p in packages:
        out.setdefault(identity(p.purl), []).append(p)
    return out


def packages(old: Inventory, new: Inventory
             ) -> tuple[list[Package], list[Package], list[Changed]]:
    a, b = _by_identity(old.packages), _by_identity(new.packages)
    added: list[Package] = []
    removed: list[Package] = []
    changed: list[Changed] = []
    for key in sorted(a.keys() | b.keys()):
        left = sorted(a.get(key, []), key=lambda p: p.version)
        right = sorted(b.get(key, []), key=lambda p: p.version)
        for p in list(left):  # a copy at the same version on each side cancels
            same = next((q for q in right if q.version == p.version), None)
            if same is not None:
                left.remove(p)
                right.remove(same)
        for x, y in zip(left, right, strict=False):
            changed.append(Changed(key, y.name, y.type, x.version, y.version))
        removed.extend(left[len(right):])
        added.extend(right[len(left):])
    return added, removed, changed


def _findings(inventory: Inventory, vulns: VulnStore
              ) -> tuple[dict[tuple[str, str], VulnerabilityMatch], tuple[Unknown, ...]]:
    outcome = match_all(inventory, vulns)
    return ({(identity(m.package_purl), m.advisory_id): m for m in outcome.matches},
            outcome.unknowns)


def compare(old: Inventory, new: Inventory, vulns: VulnStore | None) -> Comparison:
    added, removed, changed = packages(old, new)
    if vulns is None:
        return Comparison(tuple(added), tuple(removed), tuple(changed), None, None)
    before, u1 = _findings(old, vulns)
    after, u2 = _findings(new, vulns)
    return Comparison(
        tuple(added), tuple(removed), tuple(changed),
        tuple(after[k] for k in sorted(after.keys() - before.keys())),
        tuple(before[k] for k in sorted(before.keys() - after.keys())),
        tuple(sorted({*u1, *u2})))
