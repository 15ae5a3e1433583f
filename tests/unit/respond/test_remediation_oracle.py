""""The smallest version clearing every advisory" against a brute force on real advisory
data (tests/data/advisories: Debian's DSA/DLA lists, the Node.js security WG, OSV PyPI).

For each package with several advisories, the known versions are every version the
advisories name (range events and enumerated ``versions``). They are ordered by the raw
comparators -- ``dpkg --compare-versions`` for Debian, node's semver 7 for npm,
``packaging.version`` for PyPI -- as a chain checked pair by pair, so the order is theirs.
For each known version that some advisory covers, the brute force walks every known
version above it (in the oracle's order) and takes the first that none of the package's
advisories covers (those on the installed version cleared, no other brought in), with
OSV's rule written here over ranks (the last
event at or below a version decides; ``last_affected`` ends a range above its version;
``limit`` caps it; an enumerated version is covered). ``smallest_clearing`` must give the
same answer, or both none.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Sequence
from functools import cmp_to_key
from itertools import pairwise
from pathlib import Path

import pytest

from ringfence.model.advisory import Affected
from ringfence.respond.remediation import smallest_clearing
from ringfence.vulndb.build import import_paths
from ringfence.vulndb.store import VulnStore
from ringfence.vulndb.versions.errors import InvalidVersion
from ringfence.vulndb.versions.registry import compare_for
from tests.unit.vulndb.versions.oracles import dpkg_compare, install_node_semver, node_semver

SOURCES = {"debian": ("debian-security-tracker/DSA-list", "debian-security-tracker/DLA-list"),
           "npm": ("nodejs-security-wg.tar.gz",), "pypi": ("osv/PyPI.zip",)}
ECOSYSTEM = {"debian": "Debian:11", "npm": "npm", "pypi": "PyPI"}
PACKAGES = 60  # packages sampled per ecosystem (those with >= 2 advisories)


def _pep440(pairs: list[tuple[str, str]]) -> list[int | None]:
    from packaging.version import InvalidVersion as Bad
    from packaging.version import Version

    out: list[int | None] = []
    for a, b in pairs:
        try:
            va, vb = Version(a), Version(b)
        except Bad:
            out.append(None)
            continue
        out.append((va > vb) - (va < vb))
    return out


def _oracle(kind: str, tmp: Path) -> Callable[[list[tuple[str, str]]], list[int | None]]:
    if kind == "debian":
        return dpkg_compare
    if kind == "npm":
        module = install_node_semver(tmp)
        return lambda pairs: [c for _, _, c in node_semver(module, pairs)]
    return _pep440


def _known(entries: Sequence[Affected]) -> set[str]:
    out = {v for e in entries for v in e.versions}
    out |= {ev.version for e in entries for r in e.ranges for ev in r.events
            if ev.version not in ("0", "*", "")}
    return out


def _covers(entry: Affected, rank: int, ranks: dict[str, int]) -> bool:
    """OSV's rule over oracle ranks (written apart from matchers/ranges.py)."""
    if not entry.ranges and not entry.versions:
        return bool(entry.status)
    if any(ranks.get(v) == rank for v in entry.versions):
        return True
    for r in entry.ranges:
        if r.type not in ("ECOSYSTEM", "SEMVER"):
            continue
        state, best = False, -2  # the event nearest at or below ``rank`` decides
        for ev in r.events:
            if ev.kind == "introduced" and ev.version == "0":
                at = -1
            elif ev.kind == "limit" or ev.version not in ranks:
                continue
            else:
                at = ranks[ev.version]
            if ev.kind == "last_affected":
                if at < rank and at >= best:
                    state, best = False, at
                elif at <= rank and at > best:  # at == rank: still affected
                    state, best = True, at
            elif at <= rank and (at > best or (at == best and ev.kind == "fixed")):
                state, best = ev.kind == "introduced", at
        limits = [ranks[ev.version] for ev in r.events
                  if ev.kind == "limit" and ev.version in ranks]
        if state and (not limits or any(rank < lim for lim in limits)):
            return True
    return False


def _chain(kind: str, versions: list[str], compare: Callable[[str, str], int],
           oracle: Callable[[list[tuple[str, str]]], list[int | None]]) -> dict[str, int]:
    """Ranks of ``versions`` (equal versions share one), the order checked by the oracle
    on each adjacent pair."""
    ordered = sorted(versions, key=cmp_to_key(compare))
    signs = oracle(list(pairwise(ordered)))
    assert all(s in (-1, 0) for s in signs), (kind, [
        (a, b, s) for a, b, s in zip(ordered, ordered[1:], signs, strict=False)
        if s not in (-1, 0)][:5])
    ranks, rank = {}, 0
    for i, v in enumerate(ordered):
        if i and signs[i - 1] != 0:
            rank += 1
        ranks[v] = rank
    return ranks


@pytest.mark.parametrize("kind", sorted(SOURCES))
def test_smallest_clearing_matches_a_brute_force_over_known_versions(
        kind: str, data_dir: Path, tmp_path: Path) -> None:
    db = tmp_path / "db.sqlite"
    import_paths([data_dir / "advisories" / s for s in SOURCES[kind]], db)
    eco = ECOSYSTEM[kind]
    compare = compare_for(eco)
    oracle = _oracle(kind, tmp_path)
    rng = random.Random(13)  # noqa: S311 - a reproducible sample
    with VulnStore.open(db) as vulns:
        names = [r[0] for r in vulns._conn.execute(  # the test's own DB
            "SELECT package FROM affected WHERE ecosystem=? GROUP BY package "
            "HAVING COUNT(DISTINCT advisory_id) >= 2 ORDER BY package", (eco,))]
        assert len(names) >= 20, (kind, len(names))
        checked = fixes = nofix = 0
        for name in rng.sample(names, min(PACKAGES, len(names))):
            entries = vulns.affected(eco, name)
            try:
                known = sorted(v for v in _known(entries) if compare(v, v) == 0)
            except InvalidVersion:
                continue  # a version the scheme refuses: that package is not compared
            ranks = _chain(kind, known, compare, oracle)
            by_rank: dict[int, str] = {}
            for v in known:
                by_rank.setdefault(ranks[v], v)
            for installed in known:
                hits = [e for e in entries if _covers(e, ranks[installed], ranks)]
                if not hits:
                    continue
                expected = next((by_rank[r] for r in sorted(by_rank) if r > ranks[installed]
                                 and not any(_covers(e, r, ranks) for e in entries)), None)
                others = [e for e in entries if e not in hits]
                got, blocking = smallest_clearing(installed, hits, compare, others)
                assert (got is None) == (expected is None), (name, installed, got, expected)
                if got is not None:
                    assert ranks[got] == ranks[str(expected)], (name, installed, got, expected)
                    fixes += 1
                else:
                    assert blocking, (name, installed)
                    nofix += 1
                checked += 1
    assert checked >= 50 and fixes > 0, (kind, checked, fixes, nofix)
