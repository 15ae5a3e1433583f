"""OSV range evaluation (https://ossf.github.io/osv-schema/#evaluation).

For each ECOSYSTEM or SEMVER range the events are sorted by version (``introduced: "0"``
first) and walked: ``introduced`` at or below the version opens the range, ``fixed`` at or
below closes it, ``last_affected`` strictly below closes it. ``limit`` events cap the range:
a version at or above every limit is outside it. GIT ranges name commits, not versions, and
are not evaluated. A version listed in ``versions`` is affected whatever the ranges say.

Every comparison uses the ecosystem's scheme. ``InvalidVersion`` from the scheme is raised
to the caller, which decides whether the installed version or the advisory is at fault:
an unparseable version is never a match by accident.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass
from functools import cmp_to_key
from typing import Any

from ringfence.model.advisory import Affected, AffectedRange, Event

Compare = Callable[[str, str], int]
VERSION_RANGES = frozenset({"ECOSYSTEM", "SEMVER"})


@dataclass(frozen=True, slots=True)
class Verdict:
    """Whether one ``Affected`` entry covers a version, and the fixes that would end it."""

    affected: bool
    fixed_versions: tuple[str, ...] = ()


def _event_key(compare: Compare) -> Callable[[Event], Any]:
    def cmp(a: Event, b: Event) -> int:
        if a.version == b.version:
            return 0
        if a.kind == "introduced" and a.version == "0":
            return -1
        if b.kind == "introduced" and b.version == "0":
            return 1
        return compare(a.version, b.version)

    return cmp_to_key(cmp)


def in_range(version: str, rng: AffectedRange, compare: Compare) -> bool:
    """OSV's IsAffected for one range (limit events applied after the walk)."""
    walked = [e for e in rng.events if e.kind != "limit"]
    limits = [e.version for e in rng.events if e.kind == "limit" and e.version != "*"]
    vulnerable = False
    for event in sorted(walked, key=_event_key(compare)):
        if event.kind == "introduced":
            if event.version == "0" or compare(version, event.version) >= 0:
                vulnerable = True
        elif event.kind == "fixed":
            if compare(version, event.version) >= 0:
                vulnerable = False
        elif event.kind == "last_affected" and compare(version, event.version) > 0:
            vulnerable = False
    if vulnerable and limits:
        vulnerable = any(compare(version, lim) < 0 for lim in limits)
    return vulnerable


def listed(version: str, versions: tuple[str, ...], compare: Compare) -> bool:
    """``version`` is one of the enumerated ``versions`` (textually or by the scheme)."""
    if version in versions:
        return True
    key = getattr(compare, "key", None)
    if key is None:
        return any(compare(version, v) == 0 for v in versions)
    return key(version) in _key_set(key, versions)


@functools.lru_cache(maxsize=1 << 14)
def _key_set(key: Callable[[str], Any], versions: tuple[str, ...]) -> frozenset[Any]:
    """Parsed keys of an advisory's version list (one parse per list, not per package);
    entries the scheme cannot parse cannot equal a parseable installed version."""
    out = set()
    for v in versions:
        try:
            out.add(key(v))
        except ValueError:  # InvalidVersion
            continue
    return frozenset(out)


def evaluate(affected: Affected, version: str, compare: Compare) -> Verdict:
    """Apply one ``Affected`` entry to an installed version."""
    ranges = [r for r in affected.ranges if r.type in VERSION_RANGES]
    hits = [r for r in ranges if in_range(version, r, compare)]
    if hits:
        return Verdict(True, _fixes(hits, version, compare))
    if affected.versions and listed(version, affected.versions, compare):
        return Verdict(True, _fixes(ranges, version, compare))
    return Verdict(False)


def _fixes(ranges: list[AffectedRange], version: str, compare: Compare) -> tuple[str, ...]:
    """``fixed`` versions above the installed one, in the advisory's order."""
    seen: dict[str, None] = {}
    for rng in ranges:
        for event in rng.events:
            if event.kind == "fixed" and compare(event.version, version) > 0:
                seen.setdefault(event.version, None)
    return tuple(seen)
