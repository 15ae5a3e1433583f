"""``fix``: per vulnerable package, the smallest version that clears every advisory matched
on it (and brings in none of the package's other advisories); per image, a plan ordered
by findings cleared.

The findings are ``vulndb/match``'s (the same lookups, schemes and range rules as a scan).
For one package, the ``Affected`` entries behind its hits are read again through the same
matcher query; the candidates are every version the package's entries name where an
advisory stops applying (``fixed`` and ``limit`` events above the installed version),
sorted by the ecosystem's scheme (``vulndb/versions``). The first candidate that none of
the matched entries covers, and none of the package's other advisories covers either (an
upgrade must not trade one flaw for another), is the answer (OSV's range rules,
``matchers/ranges``). An entry without ranges (a distribution's ``unfixed`` /
``will-not-fix``) covers every version, and a range with only ``last_affected`` names no
version that ends it: then no candidate clears every advisory and the package has *no
fix* (``target`` None), with the advisories that block it.

Only versions an advisory names can be recommended: they are the only ones known to
exist. Every other version an advisory names (``introduced``, ``last_affected``, an
enumerated version) is covered by that advisory, so the smallest clearing candidate is the
smallest known version that clears everything (checked against a brute force over every
version the advisories name, ordered by dpkg, node's semver and packaging).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from functools import cmp_to_key

from ringfence.model.advisory import NOT_AFFECTED, Affected, VulnerabilityMatch
from ringfence.model.finding import Severity
from ringfence.model.inventory import Inventory
from ringfence.model.package import Package
from ringfence.model.unknown import Unknown
from ringfence.vulndb.match import MATCHERS, match_all
from ringfence.vulndb.matchers.interface import Query
from ringfence.vulndb.matchers.ranges import evaluate
from ringfence.vulndb.store import VulnStore
from ringfence.vulndb.versions.errors import InvalidVersion
from ringfence.vulndb.versions.registry import compare_for

Compare = Callable[[str, str], int]
PLUGIN = "remediation"


@dataclass(frozen=True, slots=True)
class Upgrade:
    """What to do about one vulnerable package."""

    purl: str
    name: str
    type: str
    installed: str
    ecosystem: str  # the matcher's lookup (``Debian:12``, ``PyPI``…)
    lookup_name: str  # the name the advisories use (a deb/apk *source* package)
    matched_version: str  # the version compared (a deb/apk source version)
    target: str | None  # the smallest version clearing every advisory; None: no fix
    findings: tuple[VulnerabilityMatch, ...]  # the merged findings on this package
    blocking: tuple[str, ...] = ()  # advisory records no candidate clears (no fix)
    location: str = ""
    layer: str | None = None

    @property
    def cleared(self) -> int:
        """Findings this upgrade clears (all of them, or none when there is no fix)."""
        return len(self.findings) if self.target is not None else 0

    @property
    def worst(self) -> Severity:
        return max((m.severity for m in self.findings), default=Severity.UNKNOWN)


@dataclass(frozen=True, slots=True)
class Plan:
    upgrades: tuple[Upgrade, ...]  # ordered by findings cleared, then severity, then purl
    findings: int  # every finding of the image
    unknowns: tuple[Unknown, ...] = ()

    @property
    def cleared(self) -> int:
        return sum(u.cleared for u in self.upgrades)


def plan(inventory: Inventory, vulns: VulnStore) -> Plan:
    """The remediation plan of ``inventory`` against the database ``vulns``."""
    outcome = match_all(inventory, vulns)
    unknowns: list[Unknown] = list(outcome.unknowns)
    hit_ids: dict[tuple[str, str], set[str]] = {}  # (purl, location) -> matched record ids
    for hit in outcome.hits:
        hit_ids.setdefault((hit.match.package_purl, hit.match.location), set()).add(
            hit.match.advisory_id)
    merged: dict[tuple[str, str], list[VulnerabilityMatch]] = {}
    for m in outcome.matches:
        merged.setdefault((m.package_purl, m.location), []).append(m)
    upgrades: list[Upgrade] = []
    for package in inventory.packages:
        where = (package.purl, package.locations[0].path if package.locations else "")
        if where not in merged or where not in hit_ids:
            continue
        found = _upgrade(package, inventory, vulns, hit_ids.pop(where), merged.pop(where))
        if isinstance(found, Unknown):
            unknowns.append(found)
        else:
            upgrades.append(found)
    upgrades.sort(key=lambda u: (-u.cleared, -u.worst.value, -len(u.findings), u.purl,
                                 u.location))
    return Plan(tuple(upgrades), len(outcome.matches), tuple(sorted(set(unknowns))))


def _upgrade(package: Package, inventory: Inventory, vulns: VulnStore, ids: set[str],
             findings: list[VulnerabilityMatch]) -> Upgrade | Unknown:
    queries = [q for m in MATCHERS for q in m.queries(package, inventory.distro)]
    # the entries behind the hits, per lookup: one package is normally one lookup; an
    # LTS Ubuntu or RHEL-like image looks one package up in several ecosystems, whose
    # versions are all the same package's (one scheme per family)
    entries: list[tuple[Query, Affected]] = [
        (q, e) for q in queries for e in vulns.affected(q.ecosystem, q.name)
        if e.advisory_id in ids and _covers(e, q.version, compare_for(q.ecosystem))]
    loc = package.locations[0] if package.locations else None
    if not entries:  # matched through a lookup this package no longer makes: say so
        return Unknown(loc.path if loc else package.purl, f"{package.purl}: findings without "
                       "the advisory entries behind them; no upgrade computed", PLUGIN,
                       loc.layer if loc else None)
    query = entries[0][0]
    compare = compare_for(query.ecosystem)
    # the target must not bring in an advisory the installed version escapes either
    matched = {e for _, e in entries}
    others = [e for e in vulns.affected(query.ecosystem, query.name) if e not in matched]
    try:
        target, blocking = smallest_clearing(query.version, [e for _, e in entries], compare,
                                             others)
    except InvalidVersion as exc:
        return Unknown(loc.path if loc else package.purl,
                       f"{package.purl}: no upgrade computed: {exc}", PLUGIN,
                       loc.layer if loc else None)
    return Upgrade(package.purl, package.name, package.type, package.version,
                   query.ecosystem, query.name, query.version, target, tuple(findings), blocking,
                   loc.path if loc else "", loc.layer if loc else None)


def _covers(entry: Affected, version: str, compare: Compare) -> bool:
    """``entry`` applies to ``version`` (``vulndb/match``'s verdict: ranges decide; a
    distribution status without ranges covers every version; ``not-affected`` none)."""
    if entry.status == NOT_AFFECTED:
        return False
    if not entry.ranges and not entry.versions:
        return bool(entry.status)
    return evaluate(entry, version, compare).affected


def candidates(installed: str, entries: Iterable[Affected], compare: Compare) -> list[str]:
    """Versions above ``installed`` where one of ``entries`` stops applying, ascending."""
    out: dict[str, None] = {}
    for entry in entries:
        for rng in entry.ranges:
            for event in rng.events:
                if event.kind in ("fixed", "limit") and event.version not in ("", "*", "0"):
                    out.setdefault(event.version, None)
    above = [v for v in out if _valid(v, compare) and compare(v, installed) > 0]
    return sorted(above, key=cmp_to_key(compare))


def smallest_clearing(installed: str, entries: list[Affected], compare: Compare,
                      others: Sequence[Affected] = ()) -> tuple[str | None, tuple[str, ...]]:
    """The smallest candidate that none of ``entries`` (the advisories matched on the
    installed version) covers and that brings in none of ``others`` (the package's other
    advisories), and -- when there is none -- the advisories every candidate still meets.
    Raises InvalidVersion for an unparseable installed version."""
    compare(installed, installed)
    every = [*entries, *others]
    options = candidates(installed, every, compare)
    for version in options:
        if not any(_covers_safe(e, version, compare) for e in every):
            return version, ()
    blocking = sorted({e.advisory_id for e in every
                       if options and all(_covers_safe(e, v, compare) for v in options)}
                      or {e.advisory_id for e in entries})
    return None, tuple(blocking)


def _covers_safe(entry: Affected, version: str, compare: Compare) -> bool:
    try:
        return _covers(entry, version, compare)
    except InvalidVersion:
        return True  # an entry that cannot be evaluated at a version is not cleared by it


def _valid(version: str, compare: Compare) -> bool:
    try:
        compare(version, version)
    except InvalidVersion:
        return False
    return True
