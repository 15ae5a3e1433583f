"""PEP 440 versions against packaging.version (the reference implementation)."""

from __future__ import annotations

import random
from itertools import pairwise

import pytest
from packaging.version import InvalidVersion as PackagingInvalid
from packaging.version import Version

from ringfence.vulndb.versions import pep440
from ringfence.vulndb.versions.errors import InvalidVersion

from .corpus import Pair, pairs

ALPHABET = "0123456789.-_+!abcdeilmnoprstvABCRV "
SUFFIXES = (".dev0", "a1", "b2", "rc1", ".post1", "-1", "+local.7", "+abc", "!", "1!", ".0",
            "pre", "preview", "alpha", "c3", "rev", "r", "_dev", "-post2", "+1.a", "v")


def _oracle(v: str) -> Version | None:
    try:
        return Version(v)
    except PackagingInvalid:
        return None


def _mine(v: str) -> tuple[object, ...] | None:
    try:
        return pep440.key(v)
    except InvalidVersion:
        return None


def _check(corpus: list[Pair]) -> tuple[int, int]:
    bad = []
    for a, b in corpus:
        va, vb, ka, kb = _oracle(a), _oracle(b), _mine(a), _mine(b)
        if (va is None, vb is None) != (ka is None, kb is None):
            bad.append((a, b, "validity"))
        elif va is not None and vb is not None and pep440.compare(a, b) != (va > vb) - (va < vb):
            bad.append((a, b, "order"))
    assert bad == [], bad[:20]
    return len(corpus), len(bad)


def test_known_orders() -> None:
    chain = ["1.0.dev1", "1.0a1.dev1", "1.0a1", "1.0b1", "1.0rc1", "1.0", "1.0+abc", "1.0+1",
             "1.0.post1.dev0", "1.0.post1", "1.1", "1!0.1"]
    assert [pep440.compare(a, b) for a, b in pairwise(chain)] == [-1] * (len(chain) - 1)
    assert pep440.compare("1.0.0", "v1") == 0 and pep440.compare("1.0-1", "1.0.post1") == 0
    with pytest.raises(InvalidVersion):
        pep440.key("1.0-beta-x")


def test_differential_fast(real: dict[str, frozenset[str]]) -> None:
    sample = frozenset(random.Random(1).sample(sorted(real["pep440"]), 500))  # noqa: S311 (seeded test corpus)
    assert _check(pairs(sample, 2_000, 1, ALPHABET, SUFFIXES)) == (2_000, 0)


@pytest.mark.slow
def test_differential_100k_with_every_advisory_version(real: dict[str, frozenset[str]]) -> None:
    corpus = pairs(real["pep440"], 110_000, 2, ALPHABET, SUFFIXES)
    assert {v for p in corpus for v in p} >= real["pep440"]
    compared, bad = _check(corpus)
    assert compared >= 100_000 and bad == 0
