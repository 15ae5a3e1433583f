"""dpkg versions against dpkg itself (`--validate-version`, `--compare-versions`) and apt's
copy of its algorithm (python3-apt), always on the raw strings."""

from __future__ import annotations

import random
import re
from itertools import pairwise

import pytest

from ringfence.vulndb.versions import dpkg
from ringfence.vulndb.versions.errors import InvalidVersion

from .corpus import Pair, pairs
from .oracles import apt_pkg_compare, dpkg_compare, dpkg_validate

ALPHABET = "0123456789.+~-:abgzABZ"
SUFFIXES = ("~rc1", "~", "+deb12u1", "-1", "-0", ".0", "+b1", "1:", "~~", "a", "+really1.0",
            "-1ubuntu0.1", ":", "-", "0:")


def _reason(v: str) -> str | None:
    try:
        dpkg.key(v)
    except InvalidVersion as exc:
        return exc.reason
    return None


def _valid(v: str) -> bool:
    return _reason(v) is None


def _apt_safe(p: Pair) -> bool:
    # apt compares a signed epoch ("+1:2") as text where dpkg reads it with strtol.
    return all(_valid(v) and re.fullmatch(r"[0-9]+:.*|[^:]*", v) is not None for v in p)


def _check(corpus: list[Pair]) -> tuple[int, int]:
    """(pairs compared, disagreements) of the pairs whose versions ringfence accepts (which
    ones dpkg refuses is the business of the validate-version tests); dpkg itself judges
    signed epochs."""
    valid = [p for p in corpus if _valid(p[0]) and _valid(p[1])]
    via_apt = [p for p in valid if _apt_safe(p)]
    via_dpkg = [p for p in valid if not _apt_safe(p)]
    bad = [(p, o) for p, o in zip(via_apt, apt_pkg_compare(via_apt), strict=True)
           if dpkg.compare(*p) != o]
    bad += [(p, o) for p, o in zip(via_dpkg, dpkg_compare(via_dpkg), strict=True)
            if dpkg.compare(*p) != o]
    assert bad == [], bad[:20]
    return len(via_apt) + len(via_dpkg), len(bad)


def test_apt_pkg_agrees_with_dpkg_on_a_sample(real: dict[str, frozenset[str]]) -> None:
    sample = pairs(frozenset(random.Random(7).sample(sorted(real["dpkg"]), 300)), 600, 7,  # noqa: S311 (seeded test corpus)
                   ALPHABET, SUFFIXES, _valid)
    sample = [p for p in sample if _apt_safe(p) and not any(v[0] == "-" for v in p)]
    assert len(sample) > 500
    assert apt_pkg_compare(sample) == dpkg_compare(sample)


# Every way parseversion refuses a string, errors then warnings, each as dpkg reads it raw.
EVERY_REASON = {
    "version string is empty": ["", " ", "\t", " \t "],
    "version string has embedded spaces": ["1 2", "1\t2", " 1: 2", "1 :2", "1 \x0b", "1.0 -1"],
    "epoch in version is empty": [":1", "a:1", "+:1", "-:1", ":"],
    "epoch in version is not number": ["1a:2", "1.0:2", "+1a:2", "0x1:2", "1+:2", "0-0:1"],
    "epoch in version is negative": ["-1:2", "-2147483648:1", "-99999999999999999999:1"],
    "epoch in version is too big": ["2147483648:1", "99999999999:1", "0999999999999:1",
                                    "99999999999999999999999:1", "+2147483648:1",
                                    "+00000000002147483648:1"],
    "nothing after colon in version number": ["1:", "0:", "+1:"],
    "revision number is empty": ["1.0-", "1-1-", "1:1-", "1:-", "-"],
    "version number is empty": ["1:-1", "0:-1", "-1", "1: ", "1:\t"],
    "version number does not start with digit": ["1:a", "a", "~1", "1:~1", "0:a1", "1:.1",
                                                 ".1-1", "A", "\x0b1", "1:A"],
    "invalid character in version number": ["1.0!", "1_0", "1:1!", "1\x01", "1\x0b",
                                            "1\u00e9", "1.0@-1", "1$"],
    "invalid character in revision number": ["1.0-a!", "1.0-@", "1-a_b", "1-1,2", "1-\u00e9",
                                             "1-1\x7f"],
}
ACCEPTED = ["1", " 1", "1 ", "1\t", "0:1", "-0:1", "+1:2", "01:2", "2147483647:1", "1:1:",
            "1:1:1", "1.0-1", "1-1-1", "1a", "1.0~rc1+dfsg-1ubuntu0.1", "1:2.3+really1.0-0~1",
            "0000000000000000000001:1", "1-A", "9" * 50, "000000000000:1", "-000:1", "+0:1"]


def test_every_reason_as_dpkg_validate_version() -> None:
    cases = [(v, reason) for reason, vs in EVERY_REASON.items() for v in vs]
    cases += [(v, None) for v in ACCEPTED]
    theirs = dpkg_validate([v for v, _ in cases])
    assert [r for _, r in cases] == theirs  # the table is dpkg's own answer
    assert [_reason(v) for v, _ in cases] == theirs
    for v, reason in cases:
        if reason is not None:
            with pytest.raises(InvalidVersion) as exc:
                dpkg.key(v)
            assert (exc.value.scheme, exc.value.version) == ("dpkg", v)


def test_huge_epochs_are_too_big_not_a_python_error() -> None:
    """An epoch of 5,000 digits is read as dpkg reads it (too big, or negative), never
    through Python's int() of more than 4300 digits (a ValueError)."""
    for v, reason in (("9" * 5_000 + ":1", "epoch in version is too big"),
                      ("0" * 4_990 + "9" * 11 + ":1", "epoch in version is too big"),
                      ("-" + "9" * 5_000 + ":1", "epoch in version is negative")):
        assert _reason(v) == reason
    assert dpkg.parse("0" * 5_000 + "7:1") == (7, "1", "")


def test_refusals_as_dpkg_validate_version(real: dict[str, frozenset[str]]) -> None:
    """Generated near misses of real versions, with dpkg's odd characters: refused for the
    reason dpkg gives, or accepted as dpkg accepts them."""
    corpus = pairs(real["dpkg"], 20_000, 8, ALPHABET + "_!@ \t\x01\u00e9", SUFFIXES)
    strings = sorted({v for p in corpus for v in p if "\n" not in v})
    rejected = random.Random(8).sample([v for v in strings if not _valid(v)], 300)  # noqa: S311 (seeded test corpus)
    accepted = random.Random(8).sample([v for v in strings if _valid(v)], 200)  # noqa: S311 (seeded test corpus)
    sample = rejected + accepted
    assert dpkg_validate(sample) == [_reason(v) for v in sample]
    assert len({_reason(v) for v in rejected}) >= 6


def test_known_orders() -> None:
    chain = ["0~~", "0~", "0", "0a", "0+", "0.0.1", "1.0~rc1-1", "1.0-0", "1.0-1", "1.0-1+b1",
             "1.0a-1", "1.0+dfsg-1", "1:0.1"]
    assert [dpkg.compare(a, b) for a, b in pairwise(chain)] == [-1] * (len(chain) - 1)
    assert dpkg.compare("1.0", "1.0-0") == 0 and dpkg.compare("0:1.0", "1.0") == 0
    for bad in ("", "1:", "a:1", "1.0-", "1 2", "-1:2", "9999999999:1", "1:a", "a"):
        with pytest.raises(InvalidVersion):
            dpkg.key(bad)


def test_differential_fast(real: dict[str, frozenset[str]]) -> None:
    sample = frozenset(random.Random(9).sample(sorted(real["dpkg"]), 500))  # noqa: S311 (seeded test corpus)
    compared, bad = _check(pairs(sample, 2_000, 9, ALPHABET, SUFFIXES, _valid))
    assert compared >= 1_990 and bad == 0


@pytest.mark.slow
def test_differential_100k_with_every_advisory_version(real: dict[str, frozenset[str]]) -> None:
    corpus = pairs(real["dpkg"], 120_000, 10, ALPHABET, SUFFIXES)
    assert {v for p in corpus for v in p} >= real["dpkg"]
    compared, bad = _check(corpus)
    assert compared >= 100_000 and bad == 0
