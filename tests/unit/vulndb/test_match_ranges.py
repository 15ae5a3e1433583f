"""OSV range evaluation (introduced / fixed / last_affected / limit, versions, "0")."""

from __future__ import annotations

import pytest

from ringfence.model.advisory import Affected, AffectedRange, Event
from ringfence.vulndb.matchers.ranges import evaluate, in_range
from ringfence.vulndb.versions import dpkg, pep440
from ringfence.vulndb.versions.errors import InvalidVersion


def _range(*events: tuple[str, str], kind: str = "ECOSYSTEM") -> AffectedRange:
    return AffectedRange(kind, tuple(Event(k, v) for k, v in events))


def _aff(*ranges: AffectedRange, versions: tuple[str, ...] = ()) -> Affected:
    return Affected("X-1", "PyPI", "p", ranges, versions)


@pytest.mark.parametrize(("version", "affected"), [
    ("0.1", True), ("1.0", True), ("1.4.9", True), ("1.5", False), ("1.5.0", False),
    ("2.0", False), ("1.5rc1", True),  # a pre-release of the fix is still before it
])
def test_introduced_zero_fixed(version: str, affected: bool) -> None:
    rng = _range(("introduced", "0"), ("fixed", "1.5"))
    assert in_range(version, rng, pep440.compare) is affected


@pytest.mark.parametrize(("version", "affected"), [
    ("0.9", False), ("1.0", True), ("1.2", True), ("1.2.0", True), ("1.2.1", False),
])
def test_last_affected_is_inclusive(version: str, affected: bool) -> None:
    rng = _range(("introduced", "1.0"), ("last_affected", "1.2"))
    assert in_range(version, rng, pep440.compare) is affected


def test_events_out_of_order_and_several_introduced() -> None:
    # two affected stretches in one range, listed unsorted: [1.0, 1.3) and [2.0, 2.1)
    rng = _range(("fixed", "2.1"), ("introduced", "2.0"), ("fixed", "1.3"),
                 ("introduced", "1.0"))
    got = {v: in_range(v, rng, pep440.compare) for v in ("0.5", "1.0", "1.2.9", "1.3", "1.9",
                                                          "2.0.5", "2.1", "3")}
    assert got == {"0.5": False, "1.0": True, "1.2.9": True, "1.3": False, "1.9": False,
                   "2.0.5": True, "2.1": False, "3": False}


def test_limit_caps_an_open_range() -> None:
    rng = _range(("introduced", "1.0"), ("limit", "1.8"))
    assert [in_range(v, rng, pep440.compare) for v in ("0.9", "1.0", "1.7", "1.8", "5")] == [
        False, True, True, False, False]


def test_versions_list_matches_by_the_scheme_and_fixes_are_above_the_installed() -> None:
    aff = _aff(_range(("introduced", "2.0"), ("fixed", "2.2")), versions=("1.1", "1.2"))
    assert evaluate(aff, "1.1.0", pep440.compare).affected  # 1.1.0 == 1.1 in PEP 440
    assert evaluate(aff, "1.1.0", pep440.compare).fixed_versions == ("2.2",)
    assert not evaluate(aff, "1.3", pep440.compare).affected
    hit = evaluate(aff, "2.1", pep440.compare)
    assert hit.affected and hit.fixed_versions == ("2.2",)


def test_multiple_ranges_fixed_versions_come_from_the_matching_range() -> None:
    aff = _aff(_range(("introduced", "0"), ("fixed", "1.4.2")),
               _range(("introduced", "2.0"), ("fixed", "2.0.7")))
    assert evaluate(aff, "2.0.1", pep440.compare).fixed_versions == ("2.0.7",)
    assert evaluate(aff, "1.0", pep440.compare).fixed_versions == ("1.4.2",)
    assert not evaluate(aff, "2.0.7", pep440.compare).affected


def test_git_ranges_are_not_evaluated() -> None:
    aff = _aff(_range(("introduced", "0"), ("fixed", "abc123"), kind="GIT"))
    assert not evaluate(aff, "1.0", pep440.compare).affected


def test_dpkg_epochs_and_tilde() -> None:
    rng = _range(("introduced", "0"), ("fixed", "1:2.3-1~deb12u1"))
    assert in_range("2.9-1", rng, dpkg.compare)  # no epoch sorts below epoch 1
    assert in_range("1:2.3-1~deb12u0", rng, dpkg.compare)
    assert not in_range("1:2.3-1", rng, dpkg.compare)  # ~ sorts before the empty string
    assert not in_range("1:2.3-1~deb12u1", rng, dpkg.compare)


def test_unparseable_installed_version_raises_not_matches() -> None:
    rng = _range(("introduced", "0"), ("fixed", "1.5"))
    with pytest.raises(InvalidVersion):
        in_range("not a version!", rng, pep440.compare)
