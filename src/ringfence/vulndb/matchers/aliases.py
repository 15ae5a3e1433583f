"""Alias merging: one finding per (package, vulnerability), whichever records reported it.

Hits on the same package whose ids or aliases overlap (transitively) are one finding: a
PYSEC record and a GHSA record for the same CVE become one match listing every id.

Primary id rule (documented in the report): for OS packages (deb, apk, rpm) a distribution
advisory (DSA/DLA/USN/ALSA/RLSA/... or a distro feed's own record id) is preferred; otherwise
a CVE id; otherwise the lowest id in string order. The other ids are the aliases, sorted.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace
from typing import Final

from ringfence.model.advisory import FIXED, UNFIXED, WILL_NOT_FIX, VulnerabilityMatch

OS_TYPES: Final = frozenset({"deb", "apk", "rpm"})
DISTRO_PREFIXES: Final = ("DSA-", "DLA-", "DTSA-", "DEBIAN-", "USN-", "UBUNTU-", "ALSA-",
                          "ALBA-", "ALEA-", "RLSA-", "RLBA-", "RLEA-", "RXSA-", "RHSA-",
                          "ALPINE-", "SUSE-", "openSUSE-")
# When merged hits disagree, the status that tells the user most: a fix exists > none yet
# > the distribution will not fix it.
STATUS_ORDER: Final = {FIXED: 0, UNFIXED: 1, WILL_NOT_FIX: 2}


@dataclass(frozen=True, slots=True)
class Hit:
    """One advisory record that matched one package, before merging."""

    match: VulnerabilityMatch
    record_ids: frozenset[str]  # the record's id plus its aliases
    distro_record: bool  # found through a distribution ecosystem


def primary_id(ids: Iterable[str], distro_ids: Iterable[str], os_package: bool) -> str:
    """The id a merged finding is reported under (module docstring)."""
    ids = sorted(set(ids))
    if os_package:
        own = sorted(i for i in set(distro_ids) if i.startswith(DISTRO_PREFIXES))
        own = own or sorted(i for i in ids if i.startswith(DISTRO_PREFIXES))
        if own:
            return own[0]
    cves = [i for i in ids if i.startswith("CVE-")]
    return cves[0] if cves else ids[0]


def _groups(hits: list[Hit]) -> list[list[Hit]]:
    """Connected components of hits sharing any id (union-find over ids)."""
    parent = list(range(len(hits)))

    def find(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    owner: dict[str, int] = {}
    for i, hit in enumerate(hits):
        for ident in hit.record_ids:
            j = owner.setdefault(ident, i)
            parent[find(i)] = find(j)
    out: dict[int, list[Hit]] = {}
    for i, hit in enumerate(hits):
        out.setdefault(find(i), []).append(hit)
    return list(out.values())


def _merge(group: list[Hit]) -> VulnerabilityMatch:
    ids = set().union(*(h.record_ids for h in group))
    first = group[0].match
    os_package = first.package_purl.removeprefix("pkg:").split("/", 1)[0] in OS_TYPES
    distro_ids = [h.match.advisory_id for h in group if h.distro_record]
    primary = primary_id(ids, distro_ids, os_package)
    best = max(group, key=lambda h: (h.match.cvss_score or -1.0, h.match.severity))
    fixes: dict[str, None] = {}
    for h in group:
        fixes.update(dict.fromkeys(h.match.fixed_versions))
    status = min((h.match.status for h in group), key=lambda s: STATUS_ORDER.get(s, 9))
    summary = next((h.match.summary for h in group if h.match.advisory_id == primary),
                   first.summary)
    return replace(
        first, advisory_id=primary, aliases=tuple(sorted(ids - {primary})),
        fixed_versions=tuple(fixes), status=status,
        severity=max(h.match.severity for h in group), cvss_score=best.match.cvss_score,
        cvss_vector=best.match.cvss_vector, summary=summary or first.summary,
        data_source=", ".join(sorted({h.match.data_source for h in group})),
        matched_by="; ".join(sorted({h.match.matched_by for h in group})))


def merge_hits(hits: Iterable[Hit]) -> tuple[VulnerabilityMatch, ...]:
    """Merge per package (purl and location), then sort deterministically."""
    per_package: dict[tuple[str, str, str | None], list[Hit]] = {}
    for hit in hits:
        m = hit.match
        per_package.setdefault((m.package_purl, m.location, m.layer), []).append(hit)
    merged = [_merge(sorted(g, key=lambda h: h.match.advisory_id))
              for group in per_package.values() for g in _groups(group)]
    return tuple(sorted(merged, key=sort_key))


def sort_key(m: VulnerabilityMatch) -> tuple[str, str, str, str]:
    return (m.package_name.lower(), m.package_purl, m.location, m.advisory_id)
