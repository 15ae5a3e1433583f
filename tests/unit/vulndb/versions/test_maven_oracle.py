"""Maven versions against Maven itself: Debian's maven 3.8.7 ComparableVersion, run by Java
on the raw strings (tests/unit/vulndb/versions/oracles.py), on pairs generated here at test
time. Every generated pair must agree; the inputs ringfence refuses on purpose are listed
below with the reason, and newer Maven's vectors that 3.8.7 answers otherwise too."""

from __future__ import annotations

import random
from collections import Counter
from itertools import pairwise

import pytest

from ringfence.vulndb.versions import maven
from ringfence.vulndb.versions.errors import InvalidVersion

from .oracles import maven_compare_chain

NUMBERS = ("0", "1", "2", "9", "10", "11", "00", "01", "007", "0000", "1000000000",
           "2147483647", "2147483648", "999999999999999999", "9223372036854775808",
           "123456789012345678901234567890", "00000000000000000000001")
QUALIFIERS = ("alpha", "beta", "milestone", "rc", "cr", "snapshot", "ga", "final", "release",
              "sp", "a", "b", "m", "c", "x", "z", "pre", "redhat", "jre", "android", "abc",
              "Alpha", "BETA", "Milestone", "RC", "CR", "SNAPSHOT", "GA", "Final", "RELEASE",
              "SP", "A", "B", "M")
SEPARATORS = (".", "-", "")
# whole tails the issue names: "-1", ".0", "-SNAPSHOT", trailing separators, mixed runs
TAILS = ("-1", ".0", "-0", ".0.0", "-SNAPSHOT", ".Final", ".GA", "-sp1", "-rc1", "-M1", "a1",
         "b2", "m3", "-", ".", "--", "..", ".-", "-.", "x1y2", "1a1", "-1-1", ".RELEASE")


def _component(rng: random.Random) -> str:
    roll = rng.random()
    if roll < 0.45:
        return rng.choice(NUMBERS)
    if roll < 0.85:
        return rng.choice(QUALIFIERS)
    # mixed letters and digits in one component
    return "".join(rng.choice((rng.choice(NUMBERS[:6]), rng.choice(QUALIFIERS[:20])))
                   for _ in range(rng.randint(2, 3)))


def _structured(rng: random.Random) -> str:
    head = rng.choice(("1", "2", "0", "1.0", "10", "1.0.0")) if rng.random() < 0.85 else \
        _component(rng)
    text = head
    for _ in range(rng.randint(0, 5)):
        text += rng.choice(SEPARATORS) + _component(rng)
    if rng.random() < 0.3:
        text += rng.choice(TAILS)
    return text


RAW = "0123456789012..--abmxyzABGLSPRCF_+ "


def _raw(rng: random.Random) -> str:
    while True:
        text = "".join(rng.choice(RAW) for _ in range(rng.randint(1, 14)))
        if text.strip():
            return text


def _chain(seed: int, make: object, size: int) -> list[str]:
    rng = random.Random(seed)  # noqa: S311 - a reproducible corpus, not a secret
    out: list[str] = []
    for _ in range(size):
        v = make(rng)  # type: ignore[operator]
        # a near neighbour half of the time, so equal and barely-different pairs are common
        if out and rng.random() < 0.5:
            v = out[-1] + rng.choice(TAILS) if rng.random() < 0.5 else _mutate(rng, out[-1])
        out.append(v)
    return out


def _mutate(rng: random.Random, v: str) -> str:
    """The same version spelled another way: a separator swapped, dropped or a zero added."""
    i = rng.randrange(len(v) + 1)
    return rng.choice((v[:i] + rng.choice(SEPARATORS) + v[i:], v[:i] + ".0" + v[i:],
                       v.replace(".", "-", 1), v.replace("-", ".", 1), v.upper(),
                       v[:i] + "0" + v[i:]))


ZEROS = "ten or more zeros in a row before another item: Maven orders them above every number"


def _mine(a: str, b: str) -> int | str:
    try:
        return maven.compare(a, b)
    except InvalidVersion as exc:
        return exc.reason


def _disagreements(chain: list[str]) -> tuple[list[tuple[str, str, int, int | str]],
                                               Counter[int | str]]:
    """Pairs where ringfence answers otherwise than Maven, and the count of each answer;
    a pair ringfence refuses for a listed reason (below) counts under that reason."""
    theirs = maven_compare_chain(chain)
    bad: list[tuple[str, str, int, int | str]] = []
    answers: Counter[int | str] = Counter()
    for (a, b), o in zip(pairwise(chain), theirs, strict=True):
        mine = _mine(a, b)
        answers[mine] += 1
        if mine != o and mine != ZEROS:
            bad.append((a, b, o, mine))
    return bad, answers


@pytest.mark.parametrize(("seed", "make"), [(1, _structured), (2, _structured), (3, _raw)])
def test_generated_pairs_agree_with_maven_3_8_7(seed: int, make: object) -> None:
    chain = [v for v in _chain(seed, make, 3_000) if v.strip()]
    bad, answers = _disagreements(chain)
    assert bad == [], bad[:20]
    # the corpus exercises every answer, equal pairs included; few pairs are refused
    assert min(answers[-1], answers[1]) > 300 and answers[0] > 100, answers
    assert answers[ZEROS] < 150, answers


def test_every_listed_component_pair_agrees() -> None:
    """Each number and qualifier after a dot, a hyphen and directly, against each other."""
    forms = [f"1{sep}{c}" for c in (*NUMBERS, *QUALIFIERS, *TAILS) for sep in SEPARATORS]
    forms += [f"1{sep}{c}1" for c in QUALIFIERS for sep in SEPARATORS]
    rng = random.Random(4)  # noqa: S311 - a reproducible corpus, not a secret
    chain = forms + rng.sample(forms, len(forms)) + rng.sample(forms, len(forms))
    bad, _ = _disagreements(chain)
    assert bad == [], bad[:20]


# --- intended disagreements: Java accepts these, ringfence refuses them ---------------------
# An empty or blank version names no release: as an advisory bound or a package version it is
# a data error, reported (InvalidVersion -> Unknown), not ordered before "0" as Java does.
# Non-ASCII: Java's Character.isDigit and toLowerCase(Locale.ENGLISH) use Java's Unicode
# tables (ARABIC-INDIC DIGIT ONE is the digit 1 there), which Python's differ from by
# release; no Maven Central version has one, so it is refused rather than half-followed.
# Ten or more zeros in a row: see maven.py (_LONG_DIGITS); Maven orders "1.0000000000.1"
# above "1.5" and "1.00000000000000000000.1" above "1.999999999999999999".
REFUSED = [("", "empty"), (" ", "empty"), ("\t", "empty"), ("\u0661", "not ASCII"),
           ("1.0-\u00e9", "not ASCII"), ("1\uff10", "not ASCII"),
           ("1.0000000000.1", ZEROS), ("1-00000000000000000000.1", ZEROS), ("0000000000.1", ZEROS)]


@pytest.mark.parametrize(("version", "reason"), REFUSED)
def test_refused_on_purpose(version: str, reason: str) -> None:
    with pytest.raises(InvalidVersion) as exc:
        maven.key(version)
    assert (exc.value.scheme, exc.value.version, exc.value.reason) == ("Maven", version, reason)


def test_maven_accepts_what_ringfence_refuses() -> None:
    """The list above is a real disagreement: Java orders each refused string."""
    chain = ["1", *[v for v, _ in REFUSED if "\t" not in v]]
    assert len(maven_compare_chain(chain)) == len(chain) - 1
    assert maven_compare_chain(["\u0661", "1"]) == [0]
    # the zeros: a long 0 above an int 5, a BigInteger 0 above a long
    assert maven_compare_chain(["1.0000000000.1", "1.5", "1.00000000000000000000.1",
                                "1.999999999999999999"]) == [1, -1, 1]
    assert maven.compare("1.000000000.1", "1.5") == -1  # nine zeros: an int, by value
    assert maven.compare("1.0000000000", "1") == 0  # trailing, so dropped (as in Maven)


# --- newer Maven (ComparableVersionTest after MNG-7644) answers these otherwise --------------
# ringfence follows 3.8.7 (see maven.py); the pairs are pinned so a change is deliberate.
AS_3_8_7 = [("2.0.a", "2.0.0.a", 0), ("2-1", "2.0.a", 1), ("2-1", "2.0.0.a", 1)]


@pytest.mark.parametrize(("a", "b", "sign"), AS_3_8_7)
def test_answers_of_3_8_7_where_newer_maven_differs(a: str, b: str, sign: int) -> None:
    assert maven.compare(a, b) == sign and maven.compare(b, a) == -sign
    assert maven_compare_chain([a, b]) == [sign]
