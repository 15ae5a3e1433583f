"""Match an inventory against the vulnerability database.

For each package every matcher (``MATCHERS``, the explicit list) names the lookups; each
``Affected`` entry found is evaluated with the ecosystem's version scheme
(``versions/registry.py``) by OSV's range rules (``matchers/ranges.py``); hits are merged
by aliases (``matchers/aliases.py``). A version the scheme cannot parse, or an ecosystem
without a scheme, is an ``Unknown`` -- never a match by accident.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Final

from ringfence.model.advisory import (
    FIXED,
    NOT_AFFECTED,
    UNFIXED,
    Advisory,
    Affected,
    VulnerabilityMatch,
)
from ringfence.model.finding import Severity
from ringfence.model.inventory import Inventory
from ringfence.model.unknown import Unknown
from ringfence.vulndb.cvss import evaluate as cvss_evaluate
from ringfence.vulndb.matchers.aliases import Hit, merge_hits
from ringfence.vulndb.matchers.distro import DistroMatcher
from ringfence.vulndb.matchers.interface import Matcher, Query
from ringfence.vulndb.matchers.language import LanguageMatcher
from ringfence.vulndb.matchers.ranges import Verdict, evaluate
from ringfence.vulndb.store import VulnStore
from ringfence.vulndb.versions.errors import InvalidVersion
from ringfence.vulndb.versions.registry import compare_for

PLUGIN: Final = "vulndb"
MATCHERS: Final[tuple[Matcher, ...]] = (DistroMatcher(), LanguageMatcher())
Compare = Callable[[str, str], int]


@dataclass(frozen=True, slots=True)
class MatchOutcome:
    matches: tuple[VulnerabilityMatch, ...]
    hits: tuple[Hit, ...]  # before alias merging (one per advisory record)
    unknowns: tuple[Unknown, ...]
    # packages whose ecosystems the database holds no advisory for: "0 vulnerabilities"
    # would be a lie for them. Each ecosystem (as the matcher names it) -> package count.
    uncovered: tuple[tuple[str, int], ...] = ()
    uncovered_distro: bool = False  # an OS package of the image's distro is among them


def match_inventory(inventory: Inventory, store: VulnStore) -> tuple[VulnerabilityMatch, ...]:
    """Findings for ``inventory``: aliases merged, sorted by package then id."""
    return match_all(inventory, store).matches


def match_all(inventory: Inventory, store: VulnStore,
              matchers: tuple[Matcher, ...] = MATCHERS) -> MatchOutcome:
    session = _Session(store)
    covered = {eco for eco, records in store.ecosystems().items() if records > 0}
    uncovered: dict[str, int] = {}
    distro_gap = False
    for package in inventory.packages:
        ecosystems: list[str] = []
        for matcher in matchers:
            for query in matcher.queries(package, inventory.distro):
                ecosystems.append(query.ecosystem)
                session.run(query)
        os_package = package.type in DistroMatcher.types
        if os_package and not ecosystems:  # no distro, or one no feed covers
            where = inventory.distro.id if inventory.distro else "an unidentified distro"
            ecosystems = [f"{package.type} packages of {where}"]
        if ecosystems and not covered.intersection(ecosystems):
            uncovered[ecosystems[0]] = uncovered.get(ecosystems[0], 0) + 1
            distro_gap = distro_gap or os_package
    gaps = tuple(sorted(uncovered.items()))
    unknowns = {*session.unknowns, *(_gap(eco, n) for eco, n in gaps)}
    hits = tuple(session.hits)
    return MatchOutcome(merge_hits(hits), hits, tuple(sorted(unknowns)), gaps, distro_gap)


def _gap(ecosystem: str, packages: int) -> Unknown:
    return Unknown(f"vulndb:{ecosystem}", f"the vulnerability database has no advisories for "
                   f"{ecosystem}: {packages} package(s) not checked", PLUGIN)


class _Session:
    """Caches advisories and schemes for one inventory; collects hits and unknowns."""

    def __init__(self, store: VulnStore) -> None:
        self.store = store
        self.hits: list[Hit] = []
        self.unknowns: list[Unknown] = []
        self._advisories: dict[tuple[str, str], Advisory | None] = {}

    def run(self, query: Query) -> None:
        affected = self.store.affected(query.ecosystem, query.name)
        if not affected:
            return
        try:
            compare = compare_for(query.ecosystem)
        except KeyError:
            self._unknown(query, f"no version scheme for ecosystem {query.ecosystem}")
            return
        try:
            compare(query.version, query.version)
        except InvalidVersion as exc:
            self._unknown(query, f"not matched against {query.ecosystem}: {exc}")
            return
        for entry in affected:
            try:
                verdict = _verdict(entry, query.version, compare)
            except InvalidVersion as exc:
                self._unknown(query, f"advisory {entry.advisory_id} not evaluated: {exc}")
                continue
            if verdict.affected:
                self.hits.append(self._hit(query, entry, verdict))

    def _unknown(self, query: Query, reason: str) -> None:
        loc = query.package.locations[0] if query.package.locations else None
        where = loc.path if loc else query.package.purl
        self.unknowns.append(Unknown(where, f"{query.package.purl}: {reason}", PLUGIN,
                                     loc.layer if loc else None))

    def _advisory(self, advisory_id: str, ecosystem: str) -> Advisory | None:
        key = (advisory_id, ecosystem)
        if key not in self._advisories:
            self._advisories[key] = self.store.advisory(advisory_id, ecosystem)
        return self._advisories[key]

    def _hit(self, query: Query, entry: Affected, verdict: Verdict) -> Hit:
        adv = self._advisory(entry.advisory_id, entry.ecosystem)
        aliases = adv.aliases if adv else ()
        severity, score, vector = _severity(entry, adv)
        pkg = query.package
        loc = pkg.locations[0] if pkg.locations else None
        status = entry.status or (FIXED if verdict.fixed_versions else UNFIXED)
        match = VulnerabilityMatch(
            advisory_id=entry.advisory_id, aliases=tuple(a for a in aliases
                                                         if a != entry.advisory_id),
            package_purl=pkg.purl, package_name=pkg.name, installed_version=pkg.version,
            fixed_versions=verdict.fixed_versions, status=status, severity=severity,
            cvss_score=score, cvss_vector=vector,
            data_source=adv.source if adv else entry.ecosystem, matched_by=query.matched_by,
            location=loc.path if loc else "", layer=loc.layer if loc else None,
            summary=adv.summary if adv else "")
        distro = query.ecosystem != query.ecosystem.split(":", 1)[0] or pkg.type == "rpm"
        return Hit(match, frozenset({entry.advisory_id, *aliases}), distro)


def _verdict(entry: Affected, version: str, compare: Compare) -> Verdict:
    """Ranges decide; a distro status without ranges (unfixed / will-not-fix) covers every
    version; ``not-affected`` never matches."""
    if entry.status == NOT_AFFECTED:
        return Verdict(False)
    if not entry.ranges and not entry.versions:
        return Verdict(bool(entry.status))
    return evaluate(entry, version, compare)


def _severity(entry: Affected, adv: Advisory | None) -> tuple[Severity, float | None,
                                                                 str | None]:
    """CVSS-derived when the advisory has a valid vector, else the database's label."""
    vector = adv.cvss_vector if adv else None
    if vector:
        scored = cvss_evaluate(vector)
        if scored.score is not None:
            return scored.severity, scored.score, vector
    label = Severity.parse(entry.severity) if entry.severity else Severity.UNKNOWN
    if label is Severity.UNKNOWN and adv is not None:
        label = adv.severity
    return label, None, vector
