"""Match an inventory against the vulnerability database.

For each package every matcher (``MATCHERS``, the explicit list) names the lookups; each
``Affected`` entry found is evaluated with the ecosystem's version scheme
(``versions/registry.py``) by OSV's range rules (``matchers/ranges.py``); hits are merged
by aliases (``matchers/aliases.py``). A version the scheme cannot parse, or an ecosystem
without a scheme, is an ``Unknown`` -- never a match by accident.

Every package lands in one package set of the outcome's :class:`Coverage`: checked (the
database holds advisories for its ecosystem and can compare its versions) or not, and why
(no advisories for the ecosystem or distribution release, no feed for the package type, no
version scheme). A package an OS package owns is matched through its owner and is in no set.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Final

from ringfence.model.advisory import (
    FIXED,
    NOT_AFFECTED,
    UNFIXED,
    Advisory,
    Affected,
    VulnerabilityMatch,
)
from ringfence.model.coverage import (
    NO_ADVISORIES,
    NO_FEED,
    NO_VERSION_SCHEME,
    Coverage,
    PackageSet,
)
from ringfence.model.finding import Severity
from ringfence.model.inventory import Inventory
from ringfence.model.package import Package
from ringfence.model.unknown import Unknown
from ringfence.vulndb.cvss import evaluate as cvss_evaluate
from ringfence.vulndb.matchers.aliases import Hit, merge_hits
from ringfence.vulndb.matchers.distro import DistroMatcher
from ringfence.vulndb.matchers.interface import Matcher, Query
from ringfence.vulndb.matchers.language import LanguageMatcher, is_distro_patched
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
    coverage: Coverage = field(default_factory=Coverage)


def match_inventory(inventory: Inventory, store: VulnStore) -> tuple[VulnerabilityMatch, ...]:
    """Findings for ``inventory``: aliases merged, sorted by package then id."""
    return match_all(inventory, store).matches


def match_all(inventory: Inventory, store: VulnStore,
              matchers: tuple[Matcher, ...] = MATCHERS) -> MatchOutcome:
    session = _Session(store)
    held = store.coverage()
    sets: dict[tuple[str, str, bool], int] = {}  # (ecosystem, reason, os) -> packages
    for package in inventory.packages:
        ecosystems: list[str] = []
        for matcher in matchers:
            for query in matcher.queries(package, inventory.distro):
                ecosystems.append(query.ecosystem)
                session.run(query)
        key = _package_set(package, ecosystems, held, inventory)
        if key is not None:
            sets[key] = sets.get(key, 0) + 1
    for eco, n in session.no_scheme_counts().items():
        sets[(eco, "", False)] = sets.get((eco, "", False), 0) - n
        sets[(eco, NO_VERSION_SCHEME, False)] = n
    checked: list[PackageSet] = []
    uncovered: list[PackageSet] = []
    for (eco, reason, os_pkgs), n in sorted(sets.items()):
        if n <= 0:
            continue
        records, newest = held.get(eco, (0, None))
        out = PackageSet(eco, n, records, newest, reason, os_pkgs)
        (uncovered if reason else checked).append(out)
    hits = tuple(session.hits)
    return MatchOutcome(merge_hits(hits), hits, tuple(sorted(set(session.unknowns))),
                        Coverage(tuple(checked), tuple(uncovered)))


def _package_set(package: Package, ecosystems: list[str],
                 held: dict[str, tuple[int, str | None]],
                 inventory: Inventory) -> tuple[str, str, bool] | None:
    """(ecosystem, why not checked or "", OS package) of ``package``; None when it is
    matched through the OS package that owns it."""
    os_package = package.type in DistroMatcher.types
    if ecosystems:
        covered = [e for e in ecosystems if held.get(e, (0, None))[0] > 0]
        return (covered[0], "", os_package) if covered else (ecosystems[0], NO_ADVISORIES,
                                                               os_package)
    if is_distro_patched(package):
        return None
    if os_package:
        where = inventory.distro.id if inventory.distro else "an unidentified distro"
        return (f"{package.type} packages of {where}", NO_FEED, True)
    return (f"{package.type} packages", NO_FEED, False)


class _Session:
    """Caches advisories and schemes for one inventory; collects hits and unknowns."""

    def __init__(self, store: VulnStore) -> None:
        self.store = store
        self.hits: list[Hit] = []
        self.unknowns: list[Unknown] = []
        self._no_scheme: dict[str, set[tuple[str, str]]] = {}  # ecosystem -> packages
        self._advisories: dict[tuple[str, str], Advisory | None] = {}

    def run(self, query: Query) -> None:
        affected = self.store.affected(query.ecosystem, query.name)
        if not affected:
            return
        try:
            compare = compare_for(query.ecosystem)
        except KeyError:
            self._unknown(query, f"{NO_VERSION_SCHEME} for ecosystem {query.ecosystem}: its "
                          "advisories cannot be compared with the installed version")
            pkg = query.package
            where = pkg.locations[0].path if pkg.locations else ""
            self._no_scheme.setdefault(query.ecosystem, set()).add((pkg.purl, where))
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

    def no_scheme_counts(self) -> dict[str, int]:
        """Packages per ecosystem whose advisories no version scheme can compare."""
        return {eco: len(pkgs) for eco, pkgs in self._no_scheme.items()}

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
