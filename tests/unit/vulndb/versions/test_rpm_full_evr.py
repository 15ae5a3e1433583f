"""RPM versions against rpm itself, fed the FULL ``[epoch:]version[-release]`` strings.

test_rpm.py's differential hands rpm.labelCompare the (epoch, version, release) triples that
ringfence's own ``rpm.parse`` produced, so a wrong split (issue 17's planted bug: the
release cut at the first hyphen instead of the last) fed the oracle the same wrong parts and
passed. Here the oracles see only the raw strings:

- python3-rpm (run by /usr/bin/python3): ``rpm.ver(evr)`` parses with rpm's own rpmverParse,
  and its ordering is rpmverCmp; its ``e``/``v``/``r`` are rpm's split;
- ``rpm --eval '%{lua: print(rpm.vercmp(a, b))}'``: the rpm CLI's comparator.

| planted bug (issue 17)                   | test here that fails with it                    |
|------------------------------------------|-------------------------------------------------|
| rpm release split at the first hyphen    | test_split_matches_rpm_on_multi_hyphen_strings,  |
|                                          | test_order_matches_rpm_on_full_strings,          |
|                                          | test_order_matches_the_rpm_cli                   |

The corpus is built at test time (seeded): versions with one to three hyphens, epochs,
``~``/``^`` and dist tags. Pairs where exactly one side has no release are left out of the
order tests: rpm treats a missing release as matching any, ringfence as the empty release
(the documented deviation in ringfence.vulndb.versions.rpm).
"""

from __future__ import annotations

import json
import random
import shutil
import subprocess
from pathlib import Path

import pytest

from ringfence.vulndb.versions import rpm

from .oracles import SYSTEM_PYTHON

_ORACLE = """
import json, rpm, sys
out = []
for a, b in json.load(sys.stdin):
    va, vb = rpm.ver(a), rpm.ver(b)
    out.append([[va.e, va.v, va.r], [vb.e, vb.v, vb.r], (va > vb) - (va < vb)])
json.dump(out, sys.stdout)
"""
HYPHENATED = [  # (a, b): rpm orders these by the part after the LAST hyphen
    ("1.0-1-2", "1.0-1.1"), ("1.0-1.1", "1.0-1-2"), ("2:1.2-3-4.el9", "2:1.2-3-10.el9"),
    ("1.2-3-4", "1.2-3"), ("1.2-3-4", "1.2.3-4"), ("0:4.18-rc-1", "4.18-rc-2"),
    ("1.0-beta-2.fc40", "1.0-beta-10.fc40"), ("5-6-7-8", "5-6-7-9"), ("5-6-7-8", "5-7-7-1"),
    ("3.1-a-1", "3.1-b-0"), ("1~rc-1-1", "1-1-1"), ("1.0-1-2", "1.0-2-1"),
]


def _segment(rng: random.Random) -> str:
    kind = rng.randrange(4)
    if kind == 0:
        return str(rng.randrange(0, 30))
    if kind == 1:
        return rng.choice(["a", "b", "rc", "el", "git", "beta", "fc", "Z"])
    if kind == 2:
        return f"{rng.randrange(10)}{rng.choice(['a', 'rc', 'el'])}{rng.randrange(10)}"
    return rng.choice(["el8", "el8_6", "module_el8.5.0+1", "fc40", "1", "0"])


def _part(rng: random.Random) -> str:
    out = _segment(rng)
    for _ in range(rng.randrange(3)):
        out += rng.choice([".", ".", "_", "+", "~", "^"]) + _segment(rng)
    return out


def _evr(rng: random.Random) -> str:
    epoch = rng.choice(["", "", "", "0:", "1:", "2:"])
    parts = [_part(rng) for _ in range(rng.choice([1, 2, 2, 3, 3, 4]))]
    return epoch + "-".join(parts)


def _corpus(n: int) -> list[tuple[str, str]]:
    rng = random.Random(17)  # noqa: S311 (seeded test corpus)
    out: list[tuple[str, str]] = list(HYPHENATED)
    while len(out) < n:
        a = _evr(rng)
        # a near neighbour: same prefix, one part changed, so the release decides often
        parts = a.split("-")
        i = rng.randrange(len(parts))
        b = "-".join([*parts[:i], _part(rng), *parts[i + 1:]]) if rng.random() < 0.7 \
            else _evr(rng)
        out.append((a, b))
    return out


def _rpm_oracle(pairs: list[tuple[str, str]]) -> list[tuple[list[str | None],
                                                          list[str | None], int]]:
    probe = subprocess.run([SYSTEM_PYTHON, "-c", "import rpm; rpm.ver"], capture_output=True,
                           check=False) if Path(SYSTEM_PYTHON).exists() else None
    if probe is None or probe.returncode:
        pytest.skip(f"{SYSTEM_PYTHON} lacks rpm.ver (Debian python3-rpm, rpm >= 4.16)")
    out = subprocess.run([SYSTEM_PYTHON, "-c", _ORACLE], input=json.dumps(pairs),
                         capture_output=True, text=True, check=True, timeout=120)
    return [(a, b, c) for a, b, c in json.loads(out.stdout)]


def _split(rpm_parts: list[str | None]) -> tuple[str, str, str]:
    e, v, r = rpm_parts
    return (e or "0", v or "", r or "")  # missing epoch is 0; missing release compares as ""


def _same_release_presence(a: str, b: str) -> bool:
    return ("-" in a.partition(":")[2] if ":" in a else "-" in a) == \
        ("-" in b.partition(":")[2] if ":" in b else "-" in b)


CORPUS = _corpus(3_000)


def test_corpus_is_hyphen_heavy() -> None:
    multi = sum(1 for a, b in CORPUS for v in (a, b) if v.count("-") >= 2)
    assert multi >= 2_000


def test_split_matches_rpm_on_multi_hyphen_strings() -> None:
    got = _rpm_oracle(CORPUS)
    bad = [(v, rpm.parse(v), _split(parts)) for (a, b), (pa, pb, _) in zip(CORPUS, got, strict=True)
           for v, parts in ((a, pa), (b, pb)) if rpm.parse(v) != _split(parts)]
    assert bad == [], bad[:20]


def test_order_matches_rpm_on_full_strings() -> None:
    pairs = [p for p in CORPUS if _same_release_presence(*p)]
    assert len(pairs) >= 2_000
    got = _rpm_oracle(pairs)
    bad = [(a, b, rpm.compare(a, b), o) for (a, b), (_, _, o) in zip(pairs, got, strict=True)
           if rpm.compare(a, b) != o]
    assert bad == [], bad[:20]


def test_order_matches_the_rpm_cli() -> None:
    if shutil.which("rpm") is None:
        pytest.skip("the rpm CLI is not installed")
    assert all(set(v) <= set("0123456789.:-~^_+abcdefghijklmnopqrstuvwxyzZ")
               for p in HYPHENATED for v in p)
    calls = " ".join(f'print(rpm.vercmp("{a}", "{b}") .. " ")' for a, b in HYPHENATED)
    out = subprocess.run(["rpm", "--eval", f"%{{lua: {calls}}}"], capture_output=True,
                         text=True, check=True, timeout=60).stdout.split()
    assert [rpm.compare(a, b) for a, b in HYPHENATED] == [int(x) for x in out]
