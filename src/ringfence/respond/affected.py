"""``affected``: every stored image that carries an advisory or a package.

By advisory id or alias: the vulnerability DB names the packages (ecosystem + name) its
records cover; the store's package index names the images holding them; those packages
are matched again through ``vulndb/match`` against the *current* DB, so an advisory
published after an image was recorded is answered too. By purl: the stored packages with
that purl (at that version when given), with the findings their scan recorded.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import NamedTuple

from packageurl import PackageURL

from ringfence.errors import InputError
from ringfence.model.advisory import VulnerabilityMatch
from ringfence.model.inventory import Distro, Inventory
from ringfence.model.package import Package
from ringfence.model.unknown import Unknown
from ringfence.respond.affected_range import parse, split
from ringfence.respond.record import base_purl
from ringfence.store.db import InventoryStore
from ringfence.store.record import Holder
from ringfence.vulndb.match import match_all
from ringfence.vulndb.store import VulnStore
from ringfence.vulndb.versions.errors import InvalidVersion


class AffectedRow(NamedTuple):
    """One image's copy of a package, and one advisory on it (a named tuple: an answer
    at 10,000 images has thousands)."""

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
    carriers = store.carriers(vulns.packages_for(ids))  # one join: no per-image record
    # images share packages: each distinct (distro, package document) is matched once,
    # then fanned out; the layer of each image's copy is its own
    docs = store.docs(c.doc_digest for c in carriers)
    distros: dict[str | None, Distro | None] = {}
    groups: dict[str | None, dict[str, Package]] = {}  # stored distro text -> docs
    for c in carriers:
        if c.distro not in distros:
            distros[c.distro] = Distro.from_dict(json.loads(c.distro)) if c.distro else None
        group = groups.setdefault(c.distro, {})
        if c.doc_digest not in group:
            group[c.doc_digest] = Package.from_dict(docs[c.doc_digest])
    hits: dict[tuple[str | None, str], list[VulnerabilityMatch]] = {}  # (distro, doc)
    unknowns: set[Unknown] = set()
    for distro, members in groups.items():
        for batch in _batches(members):  # a match names its package by purl and location
            outcome = match_all(Inventory(tuple(batch.values()), distros[distro]), vulns)
            unknowns.update(outcome.unknowns)
            by_where = {_where(pkg): doc_key for doc_key, pkg in batch.items()}
            for m in outcome.matches:
                hit = by_where.get((m.package_purl, m.location))
                if hit is not None and wanted & {m.advisory_id, *m.aliases}:
                    hits.setdefault((distro, hit), []).append(m)
    # what a match says is the same in every image holding the document: made once
    said = {key: [(m.package_purl, m.package_name, m.installed_version, m.advisory_id,
                   m.aliases, m.severity.name, m.fixed_versions, m.status) for m in ms]
            for key, ms in hits.items()}
    rows = [AffectedRow(c.digest, c.refs, purl, name, version, c.layer, adv, aliases, sev,
                        fixed, status)
            for c in carriers
            for purl, name, version, adv, aliases, sev, fixed, status
            in said.get((c.distro, c.doc_digest), ())]
    return AffectedAnswer(query, "advisory", ids, tuple(sorted(rows, key=_order)),
                          len({c.image_id for c in carriers}), tuple(sorted(unknowns)))


def _where(pkg: Package) -> tuple[str, str]:
    return (pkg.purl, pkg.locations[0].path if pkg.locations else "")


def _batches(members: dict[str, Package]) -> list[dict[str, Package]]:
    """``members`` split so that no two packages of one batch share purl and location."""
    batches: list[tuple[set[tuple[str, str]], dict[str, Package]]] = []
    for doc_key, pkg in members.items():
        free = next((b for b in batches if _where(pkg) not in b[0]), None)
        if free is None:
            free = (set(), {})
            batches.append(free)
        taken, batch = free
        taken.add(_where(pkg))
        batch[doc_key] = pkg
    return [b for _, b in batches]


def by_purl(store: InventoryStore, query: str) -> AffectedAnswer:
    """``pkg:TYPE/NAME`` (any version), ``…@VERSION`` (that version) or
    ``…@vers:TYPE/CONSTRAINTS`` (a range, ``respond/affected_range.py``). A stored version
    the range's scheme cannot parse is an Unknown, never silently in or out."""
    head, vers = split(query)
    try:
        purl = PackageURL.from_string(head)
    except ValueError as exc:
        raise InputError(query, f"not a package URL: {exc}",
                         hint="pkg:TYPE/[NAMESPACE/]NAME[@VERSION|@vers:TYPE/RANGE]") from exc
    rng = parse(vers, purl.type) if vers is not None else None
    base = base_purl(purl.to_string())
    version = None if rng is not None else purl.version
    rows: list[AffectedRow] = []
    unknowns: set[Unknown] = set()
    found = store.holding(base, version)
    findings = store.findings_holding(base, version)
    held: list[Holder] = []
    for p in found:
        if rng is not None:
            try:
                if not rng.contains(p.version):
                    continue
            except InvalidVersion as exc:
                unknowns.add(Unknown(p.digest, f"{p.purl}: not compared with {vers}: {exc}",
                                     "affected", p.layer))
                continue
        held.append(p)
    refs = store.refs_of({p.image_id for p in held})
    for p in held:
        mine = findings.get((p.image_id, p.ord), [])
        image_refs = refs.get(p.image_id, ())
        if not mine:
            rows.append(AffectedRow(p.digest, image_refs, p.purl, p.name, p.version, p.layer,
                                    None))
        rows.extend(AffectedRow(p.digest, image_refs, p.purl, p.name, p.version, p.layer,
                                f.advisory_id, f.aliases, f.severity, f.fixed, f.status)
                    for f in mine)
    return AffectedAnswer(query, "purl", (), tuple(sorted(rows, key=_order)),
                          len({p.image_id for p in held}), tuple(sorted(unknowns)))


def _order(row: AffectedRow) -> tuple[str, str, str, str]:
    return (row.digest, row.purl, row.advisory_id or "", row.layer or "")
