"""dpkg versions against dpkg itself and apt's copy of its algorithm (python3-apt)."""

from __future__ import annotations

import random
import re
from itertools import pairwise

import pytest

from ringfence.vulndb.versions import dpkg
from ringfence.vulndb.versions.errors import InvalidVersion

from .corpus import Pair, pairs
from .oracles import apt_pkg_compare, dpkg_compare

ALPHABET = "0123456789.+~-:abgzABZ"
SUFFIXES = ("~rc1", "~", "+deb12u1", "-1", "-0", ".0", "+b1", "1:", "~~", "a", "+really1.0",
            "-1ubuntu0.1", ":", "-", "0:")


def _valid(v: str) -> bool:
    try:
        dpkg.key(v)
    except InvalidVersion:
        return False
    return True


def _apt_safe(p: Pair) -> bool:
    # apt compares a signed epoch ("+1:2") as text where dpkg reads it with strtol.
    return all(_valid(v) and re.fullmatch(r"[0-9]+:.*|[^:]*", v) is not None for v in p)


def _check(corpus: list[Pair]) -> tuple[int, int]:
    """(pairs compared, disagreements); dpkg itself judges syntax and signed epochs."""
    via_apt = [p for p in corpus if _apt_safe(p)]
    via_dpkg = [p for p in corpus if not _apt_safe(p) and not any(v[0] == "-" for v in p)]
    bad = [(p, o) for p, o in zip(via_apt, apt_pkg_compare(via_apt), strict=True)
           if dpkg.compare(*p) != o]
    for p, o in zip(via_dpkg, dpkg_compare(via_dpkg), strict=True):
        mine = dpkg.compare(*p) if _valid(p[0]) and _valid(p[1]) else None
        if mine != o:
            bad.append((p, o))
    assert bad == [], bad[:20]
    return len(via_apt) + len(via_dpkg), len(bad)


def test_apt_pkg_agrees_with_dpkg_on_a_sample(real: dict[str, frozenset[str]]) -> None:
    sample = pairs(frozenset(random.Random(7).sample(sorted(real["dpkg"]), 300)), 600, 7,  # noqa: S311 (seeded test corpus)
                   ALPHABET, SUFFIXES, _valid)
    sample = [p for p in sample if _apt_safe(p) and not any(v[0] == "-" for v in p)]
    assert len(sample) > 500
    assert apt_pkg_compare(sample) == dpkg_compare(sample)


def test_syntax_errors_as_dpkg(real: dict[str, frozenset[str]]) -> None:
    corpus = pairs(real["dpkg"], 20_000, 8, ALPHABET, SUFFIXES)
    strings = sorted({v for p in corpus for v in p if v[0] != "-"})
    rejected = [v for v in strings if not _valid(v)][:400]
    accepted = random.Random(8).sample([v for v in strings if _valid(v)], 200)  # noqa: S311 (seeded test corpus)
    assert len(rejected) > 200
    got = dpkg_compare([(v, v) for v in rejected + accepted])
    assert got == [None] * len(rejected) + [0] * len(accepted)


def test_known_orders() -> None:
    chain = ["0~~", "0~", "0", "0a", "0+", "0.0.1", "1.0~rc1-1", "1.0-0", "1.0-1", "1.0-1+b1",
             "1.0a-1", "1.0+dfsg-1", "1:0.1"]
    assert [dpkg.compare(a, b) for a, b in pairwise(chain)] == [-1] * (len(chain) - 1)
    assert dpkg.compare("1.0", "1.0-0") == 0 and dpkg.compare("0:1.0", "1.0") == 0
    for bad in ("", "1:", "a:1", "1.0-", "1 2", "-1:2", "9999999999:1"):
        with pytest.raises(InvalidVersion):
            dpkg.key(bad)


def test_differential_fast(real: dict[str, frozenset[str]]) -> None:
    sample = frozenset(random.Random(9).sample(sorted(real["dpkg"]), 500))  # noqa: S311 (seeded test corpus)
    compared, bad = _check(pairs(sample, 2_000, 9, ALPHABET, SUFFIXES))
    assert (compared, bad) == (2_000, 0)


@pytest.mark.slow
def test_differential_100k_with_every_advisory_version(real: dict[str, frozenset[str]]) -> None:
    corpus = pairs(real["dpkg"], 110_000, 10, ALPHABET, SUFFIXES)
    assert {v for p in corpus for v in p} >= real["dpkg"]
    compared, bad = _check(corpus)
    assert compared >= 100_000 and bad == 0
