"""RPM versions against rpm.labelCompare (Debian's python3-rpm, run by /usr/bin/python3)."""

from __future__ import annotations

import random
from itertools import pairwise

import pytest

from ringfence.vulndb.versions import rpm
from ringfence.vulndb.versions.errors import InvalidVersion

from .corpus import Pair, pairs
from .oracles import rpm_label_compare

ALPHABET = "0123456789.~^+_-:abgzAZ%"
SUFFIXES = ("~rc1", "^20240101", "~", "^", ".el8", ".el8_6", "-1", "1:", ".module_el8.5.0+1",
            "a", "git", ".0", "_1", "-")


def _valid(v: str) -> bool:
    try:
        rpm.key(v)
    except InvalidVersion:
        return False
    return True


def _check(corpus: list[Pair]) -> tuple[int, int]:
    got = rpm_label_compare([(rpm.parse(a), rpm.parse(b)) for a, b in corpus])
    bad = [(p, o) for p, o in zip(corpus, got, strict=True) if rpm.compare(*p) != o]
    assert bad == [], bad[:20]
    return len(corpus), len(bad)


def test_known_orders() -> None:
    chain = ["1.0~rc1", "1.0", "1.0^git1", "1.0a", "1.0.1", "1.01.2", "1:0.1"]
    assert [rpm.compare(a, b) for a, b in pairwise(chain)] == [-1] * (len(chain) - 1)
    assert rpm.compare("1.0-1", "0:1.0-1") == 0 and rpm.compare("1.0_1", "1.0.1") == 0
    assert rpm.parse("2:1.2-3.el9") == ("2", "1.2", "3.el9")
    for bad in ("", "1:", "1 2", "-1"):
        with pytest.raises(InvalidVersion):
            rpm.key(bad)


def test_differential_fast(real: dict[str, frozenset[str]]) -> None:
    sample = frozenset(random.Random(3).sample(sorted(real["rpm"]), 500))  # noqa: S311 (seeded test corpus)
    assert _check(pairs(sample, 2_000, 3, ALPHABET, SUFFIXES, _valid)) == (2_000, 0)


@pytest.mark.slow
def test_differential_100k_with_every_advisory_version(real: dict[str, frozenset[str]]) -> None:
    corpus = pairs(real["rpm"], 110_000, 4, ALPHABET, SUFFIXES, _valid)
    assert {v for p in corpus for v in p} >= real["rpm"]
    compared, bad = _check(corpus)
    assert compared >= 100_000 and bad == 0
