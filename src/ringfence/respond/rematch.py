"""Re-match the stored inventories after the vulnerability DB changed -- only what changed.

1. ``changed_advisories``: the advisory ids whose content differs between the DB before and
   after an import (``VulnStore.advisory_digests``: added, modified or removed).
2. Their package identities (ecosystem, name) -- from both DBs, so a package an advisory no
   longer names is re-matched too -- name the stored packages through the store's
   ``package_index``.
3. Those packages are matched again through ``vulndb/match`` (the matcher ``ringfence
   image`` uses), each distinct (distro, package document) once, and their new findings
   compared with the stored ones: ``new``, ``resolved``, ``severity`` changes.
4. Images whose findings do not reflect the DB before the import (recorded without a DB, or
   with another one) cannot be diffed advisory by advisory: they are re-matched whole.

The change set, the replaced findings and the images' new DB stamp are written in one
transaction (``store/changes.py``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

from ringfence.model.advisory import VulnerabilityMatch
from ringfence.model.inventory import Distro, Inventory
from ringfence.model.package import Package
from ringfence.model.unknown import Unknown
from ringfence.store import changes as change_sets
from ringfence.store.changes import NEW, RESOLVED, SEVERITY, Change, Rematched
from ringfence.store.db import InventoryStore
from ringfence.store.record import ImageRecord, StoredFinding, StoredPackage
from ringfence.vulndb.match import match_all
from ringfence.vulndb.store import MIGRATABLE, VulnStore

T = TypeVar("T")
_CHUNK = 400  # identities per index lookup (SQLite: expression depth under 1000)


@dataclass(frozen=True, slots=True)
class RematchReport:
    change_set: int
    at: str
    advisories_changed: int  # advisory ids added, modified or removed by the import
    identities: int  # package identities those advisories name (before or after)
    images: int  # images re-matched (partly or whole)
    packages: int  # (image, package) pairs re-matched
    whole: tuple[str, ...]  # images re-matched whole (not matched with the previous DB)
    changes: tuple[Change, ...]
    unknowns: tuple[Unknown, ...]


def changed_advisories(before: dict[str, str], after: dict[str, str]) -> tuple[str, ...]:
    """Advisory ids added, removed or whose content changed."""
    return tuple(sorted(k for k in before.keys() | after.keys()
                        if before.get(k) != after.get(k)))


def identities_of(ids: Iterable[str], *dbs: VulnStore | None) -> set[tuple[str, str]]:
    """The (ecosystem, package) pairs the advisories ``ids`` name in any of ``dbs``."""
    wanted = tuple(ids)
    out: set[tuple[str, str]] = set()
    for db in dbs:
        if db is not None and wanted:
            out.update(db.packages_for(wanted))
    return out


def rematch(store: InventoryStore, vulns: VulnStore, *, before: dict[str, str],
            before_built_at: str | None, previous: VulnStore | None = None,
            reason: str = "db import") -> RematchReport:
    """Re-match what the change from ``before`` (the previous DB's advisory digests; its
    open store ``previous`` names what removed advisories covered) to ``vulns`` touches,
    and record the change set."""
    changed = changed_advisories(before, vulns.advisory_digests())
    identities = identities_of(changed, vulns, previous)
    stamps = change_sets.matched_with(store)
    whole = sorted(d for d, s in stamps.items() if s is None or s != before_built_at)
    taken_whole = set(whole)
    targets: dict[str, tuple[ImageRecord, dict[int, StoredPackage]]] = {}
    ordered = sorted(identities)
    for i in range(0, len(ordered), _CHUNK):  # one OR-term per identity: bounded SQL
        for image, held in store.carrying(ordered[i:i + _CHUNK]):
            if image.digest not in taken_whole:
                mine = targets.setdefault(image.digest, (image, {}))[1]
                mine.update((p.ord, p) for p in held)
    for digest in whole:
        full = store.image(digest)
        if full is not None:
            targets[digest] = (full, {p.ord: p for p in full.packages})
    found, unknowns = _match(store, vulns, targets)
    old = change_sets.stored_findings(store, targets)
    rematched: list[Rematched] = []
    diff: list[Change] = []
    for digest, (image, packages) in sorted(targets.items()):
        key = _distro(image)
        for ord_, pkg in sorted(packages.items()):
            new = tuple(_stored(ord_, m) for m in found.get((key, pkg.doc_digest), ()))
            rematched.append(Rematched(digest, ord_, new))
            diff.extend(compare(digest, pkg.purl, old.get((digest, ord_), ()), new))
    built_at = vulns.meta("built_at")
    set_id, at = change_sets.record(store, reason=reason, db_built_at=built_at,
                                    matched_from=before_built_at, seen=stamps,
                                    rematched=rematched, changes=diff)
    return RematchReport(set_id, at, len(changed), len(identities), len(targets),
                         len(rematched), tuple(whole), tuple(diff), unknowns)


def compare(digest: str, purl: str, old: Iterable[StoredFinding],
            new: Iterable[StoredFinding]) -> list[Change]:
    """The changes from ``old`` to ``new`` findings of one package, by advisory id."""
    before = {f.advisory_id: f.severity for f in old}
    after = {f.advisory_id: f.severity for f in new}
    out = [Change(digest, purl, a, NEW, None, after[a]) for a in sorted(after.keys() - before)]
    out += [Change(digest, purl, a, RESOLVED, before[a], None)
            for a in sorted(before.keys() - after)]
    out += [Change(digest, purl, a, SEVERITY, before[a], after[a])
            for a in sorted(before.keys() & after) if before[a] != after[a]]
    return out


def _stored(ord_: int, m: VulnerabilityMatch) -> StoredFinding:
    return StoredFinding(ord_, m.advisory_id, m.aliases, m.severity.name, m.fixed_versions,
                         m.status)


def _match(store: InventoryStore, vulns: VulnStore,
           targets: dict[str, tuple[ImageRecord, dict[int, StoredPackage]]]
           ) -> tuple[dict[tuple[Distro | None, str], list[VulnerabilityMatch]],
                      tuple[Unknown, ...]]:
    """Each distinct (distro, package document) matched once; matches by that key."""
    wanted = {p.doc_digest for _, packages in targets.values() for p in packages.values()
              if not p.doc}
    docs = store.docs(wanted)
    groups: dict[Distro | None, dict[str, Package]] = {}
    for image, packages in targets.values():
        group = groups.setdefault(_distro(image), {})
        for p in packages.values():
            if p.doc_digest not in group:
                group[p.doc_digest] = Package.from_dict(p.doc or docs[p.doc_digest])
    found: dict[tuple[Distro | None, str], list[VulnerabilityMatch]] = {}
    unknowns: set[Unknown] = set()
    for distro, members in groups.items():
        for batch in _batches(members):  # a match names its package by purl and location
            outcome = match_all(Inventory(tuple(batch.values()), distro), vulns)
            unknowns.update(outcome.unknowns)
            by_where = {_where(pkg): key for key, pkg in batch.items()}
            for m in outcome.matches:
                key = by_where.get((m.package_purl, m.location))
                if key is not None:
                    found.setdefault((distro, key), []).append(m)
    return found, tuple(sorted(unknowns))


def _where(pkg: Package) -> tuple[str, str]:
    return (pkg.purl, pkg.locations[0].path if pkg.locations else "")


def _batches(members: dict[str, Package]) -> list[dict[str, Package]]:
    """``members`` split so that no two packages of one batch share purl and location
    (the same split as ``affected``: two documents of one package at one path differ
    only in what the matchers ignore)."""
    batches: list[tuple[set[tuple[str, str]], dict[str, Package]]] = []
    for key, pkg in members.items():
        free = next((b for b in batches if _where(pkg) not in b[0]), None)
        if free is None:
            free = (set(), {})
            batches.append(free)
        free[0].add(_where(pkg))
        free[1][key] = pkg
    return [b for _, b in batches]


def _distro(image: ImageRecord) -> Distro | None:
    return Distro.from_dict(image.distro) if image.distro else None


def around_import(store: InventoryStore, db_path: Path, run: Callable[[], T],
                  reason: str) -> tuple[T, RematchReport]:
    """Run the import ``run`` (which replaces ``db_path``) and re-match what it changed.

    The previous DB stays open across the import (its file is replaced by a rename, so the
    open connection still reads the old one) to name what removed advisories covered. If
    the re-match fails after the import, the images keep the previous DB's stamp and the
    next re-match takes them whole: nothing is lost."""
    previous = VulnStore.open(db_path, accept=MIGRATABLE) if db_path.is_file() else None
    try:
        before = previous.advisory_digests() if previous is not None else {}
        built_at = previous.meta("built_at") if previous is not None else None
        result = run()
        with VulnStore.open(db_path) as vulns:
            report = rematch(store, vulns, before=before, before_built_at=built_at,
                             previous=previous, reason=reason)
    finally:
        if previous is not None:
            previous.close()
    return result, report
