"""``affected``: every stored image that carries an advisory or a package.

By advisory id or alias: the vulnerability DB names the packages (ecosystem + name) its
records cover; the store's package index names the images holding them; those packages
are matched again through ``vulndb/match`` against the *current* DB, so an advisory
published after an image was recorded is answered too. By purl: the stored packages with
that purl (at that version when given), with the findings their scan recorded.
"""

from __future__ import annotations

from dataclasses import dataclass

from packageurl import PackageURL

from ringfence.errors import InputError
from ringfence.model.inventory import Distro, Inventory
from ringfence.model.package import Package
from ringfence.model.unknown import Unknown
from ringfence.respond.record import base_purl
from ringfence.store.db import InventoryStore
from ringfence.store.record import ImageRecord, StoredPackage
from ringfence.vulndb.match import match_all
from ringfence.vulndb.store import VulnStore


@dataclass(frozen=True, slots=True)
class AffectedRow:
    digest: str
    refs: tuple[str, ...]
    purl: str
    package: str
    version: str
    layer: str | None
    advisory_id: str | None  # None: a purl query on a package without findings
    aliases: tuple[str, ...] = ()
    severity: str | None = None
    fixed_versions: tuple[str, ...] = ()
    status: str | None = None


@dataclass(frozen=True, slots=True)
class AffectedAnswer:
    query: str
    kind: str  # "advisory" | "purl"
    advisory_ids: tuple[str, ...]  # the DB records the query names (advisory queries)
    rows: tuple[AffectedRow, ...]
    images_checked: int  # images the index named (advisory) or holding the purl
    unknowns: tuple[Unknown, ...] = ()


def is_purl(query: str) -> bool:
    return query.startswith("pkg:")


def by_advisory(store: InventoryStore, vulns: VulnStore, query: str) -> AffectedAnswer:
    ids = vulns.ids_for(query)
    if not ids:
        raise InputError(query, "no advisory with this id or alias in the vulnerability "
                         "database", hint="check the id, or import/update the database")
    wanted = {query, *ids}
    rows: list[AffectedRow] = []
    unknowns: list[Unknown] = []
    candidates = store.carrying(vulns.packages_for(ids))
    for image, packages in candidates:
        inventory = _inventory(image, packages)
        outcome = match_all(inventory, vulns)
        unknowns.extend(outcome.unknowns)
        layer_of = {p.purl: p.layer for p in packages}
        for m in outcome.matches:
            if not wanted & {m.advisory_id, *m.aliases}:
                continue
            rows.append(AffectedRow(image.digest, image.refs, m.package_purl, m.package_name,
                                    m.installed_version, m.layer or layer_of.get(m.package_purl),
                                    m.advisory_id, m.aliases, m.severity.name,
                                    m.fixed_versions, m.status))
    return AffectedAnswer(query, "advisory", ids, tuple(sorted(rows, key=_order)),
                          len(candidates), tuple(sorted(set(unknowns))))


def by_purl(store: InventoryStore, query: str) -> AffectedAnswer:
    try:
        purl = PackageURL.from_string(query)
    except ValueError as exc:
        raise InputError(query, f"not a package URL: {exc}",
                         hint="pkg:TYPE/[NAMESPACE/]NAME[@VERSION]") from exc
    base = base_purl(purl.to_string())
    rows: list[AffectedRow] = []
    found = store.by_purl(base, purl.version)
    for image, packages in found:
        findings = store.findings_of(image.digest, [p.ord for p in packages])
        for p in packages:
            mine = [f for f in findings if f.ord == p.ord]
            if not mine:
                rows.append(AffectedRow(image.digest, image.refs, p.purl, p.name, p.version,
                                        p.layer, None))
            rows.extend(AffectedRow(image.digest, image.refs, p.purl, p.name, p.version,
                                    p.layer, f.advisory_id, f.aliases, f.severity, f.fixed,
                                    f.status) for f in mine)
    return AffectedAnswer(query, "purl", (), tuple(sorted(rows, key=_order)), len(found))


def _inventory(image: ImageRecord, packages: list[StoredPackage]) -> Inventory:
    distro = Distro.from_dict(image.distro) if image.distro else None
    return Inventory(tuple(Package.from_dict(p.doc) for p in packages), distro)


def _order(row: AffectedRow) -> tuple[str, str, str, str]:
    return (row.digest, row.purl, row.advisory_id or "", row.layer or "")
