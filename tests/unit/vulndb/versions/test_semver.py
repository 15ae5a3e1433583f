"""npm versions against node's semver package (7.x: the copy .ci/deps installs, else installed
by the test into tmp; missing under CI is a failure, not a skip)."""

from __future__ import annotations

import random
from itertools import pairwise
from pathlib import Path

import pytest

from ringfence.vulndb.versions import semver
from ringfence.vulndb.versions.errors import InvalidVersion

from .corpus import Pair, pairs
from .oracles import node_semver

ALPHABET = "0123456789.-+abrcxvA"
SUFFIXES = ("-alpha", "-alpha.1", "-beta.2", "-rc.1", "-0", "+build.5", "+001", "-01", ".0",
            "-x-y", "-1a", "v", " ", "9007199254740992", "-9007199254740993", ".", "-a..b")


def _valid(v: str) -> bool:
    try:
        semver.key(v)
    except InvalidVersion:
        return False
    return True


def _check(module: Path, corpus: list[Pair]) -> tuple[int, int]:
    bad = []
    for (a, b), (oa, ob, c) in zip(corpus, node_semver(module, corpus), strict=True):
        if (oa, ob) != (_valid(a), _valid(b)) or (c is not None and c != semver.compare(a, b)):
            bad.append((a, b, oa, ob, c))
    assert bad == [], bad[:20]
    return len(corpus), len(bad)


def test_known_orders() -> None:
    chain = ["1.0.0-0", "1.0.0-2", "1.0.0-10", "1.0.0-alpha", "1.0.0-alpha.1",
             "1.0.0-alpha.beta", "1.0.0-beta", "1.0.0-rc.1", "1.0.0", "v1.0.1", "2.0.0"]
    assert [semver.compare(a, b) for a, b in pairwise(chain)] == [-1] * (len(chain) - 1)
    assert semver.compare("1.0.0+a", "1.0.0+b") == 0
    for bad in ("1.0", "01.0.0", "1.0.0-01", "=1.0.0", "1.0.0-a..b"):
        with pytest.raises(InvalidVersion):
            semver.key(bad)


def test_differential_fast(node_semver_dir: Path, real: dict[str, frozenset[str]]) -> None:
    sample = frozenset(random.Random(5).sample(sorted(real["semver"]), 500))  # noqa: S311 (seeded test corpus)
    assert _check(node_semver_dir, pairs(sample, 2_000, 5, ALPHABET, SUFFIXES)) == (2_000, 0)


@pytest.mark.slow
def test_differential_100k_with_every_advisory_version(
        node_semver_dir: Path, real: dict[str, frozenset[str]]) -> None:
    corpus = pairs(real["semver"], 110_000, 6, ALPHABET, SUFFIXES)
    assert {v for p in corpus for v in p} >= real["semver"]
    valid = sum(_valid(a) and _valid(b) for a, b in corpus)
    compared, bad = _check(node_semver_dir, corpus)
    assert compared >= 100_000 and bad == 0 and valid > 60_000
