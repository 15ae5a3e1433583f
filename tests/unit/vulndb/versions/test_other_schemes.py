"""apk, Maven, Go, cargo, RubyGems (no oracle installed) against the vectors their own
projects ship, and the ecosystem registry."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from itertools import combinations, pairwise
from pathlib import Path

import pytest

from ringfence.vulndb.versions import apk, cargo, gem, golang, maven, registry
from ringfence.vulndb.versions.errors import InvalidVersion

# alpinelinux/apk-tools test/version.data (commit 50ab589e9a5a, via the code search index),
# a selection. Deviation: "0.1.0_alpha_pre2 < 0.1.0_alpha" is an apk-tools 3 rule; the
# 2.x token rules implemented here order it the other way.
APK_VECTORS = """2.34 > 0.1.0_alpha|23_foo > 4_beta|0.1.0_alpha2 > 0.1.0_alpha|1.1 > 1.1_alpha1
3.10.18-r1 > 2.3.0b-r1|1.06-r6 < 006|3.1_p16 < 3.1_p17|2.5.1-r8 < 2.5.1a-r1
1.0.4-r3 < 1.0.4-r4|0.9.28-r2 < 0.9.28.1|1.2.12.04 < 1.2.12.05|20060720 > 3.0.20060720
2.12r-r4 < 2.12r-r5|0.59s-r11 < 0.65|4.5_p1-r1 > 4.5_p1|1.3-r0 < 1.3.1-r0
1.3_pre1-r1 < 1.3.2|1.0_p10-r0 > 1.0_p9-r0|1.2.07.8 < 1.2.12.04|1.8.5 < 1.8.5_p2
1.0.0_pre20191002222144-r0 < 1.0.0_pre20210530193627-r0|0.20070118 < 0.20070207_rc1
2.9.11_pre20051101-r3 > 2.9.11_pre20051101|0.2.0-r1 = 0.2.0-r1|1.0 < 1.0bc"""
# apache/maven ComparableVersionTest.java (commit 09d64bdf5ceb): VERSIONS_QUALIFIER and
# VERSIONS_NUMBER are strictly increasing; the equal pairs of testVersionsEqual. Left out of
# VERSIONS_NUMBER: "2.0.a" and "2.0.0.a", which Maven 3.8.7 (followed, see maven.py) makes
# equal and orders before "2-1" (pinned in test_maven_oracle.py).
MAVEN_ORDERS = (
    ["1-alpha2snapshot", "1-alpha2", "1-alpha-123", "1-beta-2", "1-beta123", "1-m2", "1-m11",
     "1-rc", "1-cr2", "1-rc123", "1-SNAPSHOT", "1", "1-sp", "1-sp2", "1-sp123", "1-abc",
     "1-def", "1-pom-1", "1-1-snapshot", "1-1", "1-2", "1-123"],
    ["2.0", "2-1", "2.0.2", "2.0.123", "2.1.0", "2.1-a", "2.1b", "2.1-c",
     "2.1-1", "2.1.0.1", "2.2", "2.123", "11.a2", "11.a11", "11.b2", "11.b11", "11.m2",
     "11.m11", "11", "11.a", "11b", "11c", "11m"],
)
MAVEN_EQUAL = [("1", "1.0.0"), ("1", "1-0"), ("1.0", "1.0-0"), ("1a", "1-a"), ("1a", "1.0.0-a"),
               ("1.0.0x", "1.0.0.x"),
               ("1ga", "1"), ("1final", "1"), ("1cr", "1rc"),
               ("1a1", "1alpha1"), ("1b2", "1beta2"), ("1m3", "1MILESTONE3"), ("1Cr", "1Rc"),
               ("1-abcdefghijklmnopqrstuvwxyz", "1-ABCDEFGHIJKLMNOPQRSTUVWXYZ")]


def _sign(op: str) -> int:
    return {"<": -1, "=": 0, ">": 1}[op]


@pytest.mark.parametrize("line", APK_VECTORS.replace("\n", "|").split("|"))
def test_apk_vectors(line: str) -> None:
    a, op, b = line.split()
    assert apk.compare(a, b) == _sign(op) and apk.compare(b, a) == -_sign(op)


# Where ringfence (apk-tools 2.x token rules) answers otherwise than version.data, with why.
APK_DEVIATIONS = {("0.1.0_alpha_pre2", "<", "0.1.0_alpha"): "an apk-tools 3 rule (a suffix "
                  "after a suffix); the 2.x rules order it after 0.1.0_alpha"}


def test_apk_tools_version_data(data_dir: Path) -> None:
    """Every comparison of apk-tools' own test/version.data, both ways round."""
    lines = (data_dir / "apk-tools/version.data").read_text().splitlines()
    checked = 0
    for line in lines:
        a, op, b = line.partition("#")[0].split()
        if (a, op, b) in APK_DEVIATIONS:
            assert apk.compare(a, b) == -_sign(op)  # the listed deviation, still as listed
            continue
        assert (apk.compare(a, b), apk.compare(b, a)) == (_sign(op), -_sign(op)), line
        checked += 1
    assert checked == len(lines) - len(APK_DEVIATIONS) == 728


def test_apk_every_secdb_version_sorts(data_dir: Path) -> None:
    import json
    versions = {v for p in sorted((data_dir / "advisories/alpine-secdb").glob("*/*.json"))
                for pkg in json.loads(p.read_text())["packages"] for v in pkg["pkg"]["secfixes"]}
    assert len(versions) > 1000
    ordered = sorted(versions, key=apk.key)
    assert all(apk.compare(a, b) <= 0 for a, b in pairwise(ordered))
    with pytest.raises(InvalidVersion):
        apk.key("r1")


@pytest.mark.parametrize("chain", MAVEN_ORDERS)
def test_maven_orders(chain: list[str]) -> None:
    for low, high in combinations(chain, 2):
        assert (maven.compare(low, high), maven.compare(high, low)) == (-1, 1), (low, high)


@pytest.mark.parametrize(("a", "b"), MAVEN_EQUAL)
def test_maven_equal(a: str, b: str) -> None:
    assert maven.compare(a, b) == 0 == maven.compare(b, a)


def test_go_versions() -> None:
    chain = ["v0.0.0-20191109021931-daa7c04131f5", "v0.0.0-20200101000000-aaaaaaaaaaaa",
             "v0.1.0", "v1.2.3-pre", "v1.2.4-0.20191109021931-daa7c04131f5", "v1.2.4", "v1.10.0",
             "v2.0.0+incompatible"]
    assert [golang.compare(a, b) for a, b in pairwise(chain)] == [-1] * 7
    assert golang.compare("v2.0.0+incompatible", "2.0.0") == 0
    assert golang.compare("v1.2", "v1.2.0") == 0 and golang.compare("1", "v1.0.0") == 0
    for bad in ("v1.02.0", "", "vx", "v1.0.0-01"):
        with pytest.raises(InvalidVersion):
            golang.key(bad)


def test_cargo_semver_2_precedence() -> None:
    # The example chain of semver.org section 11.
    chain = ["1.0.0-alpha", "1.0.0-alpha.1", "1.0.0-alpha.beta", "1.0.0-beta", "1.0.0-beta.2",
             "1.0.0-beta.11", "1.0.0-rc.1", "1.0.0"]
    assert [cargo.compare(a, b) for a, b in pairwise(chain)] == [-1] * 7
    with pytest.raises(InvalidVersion):
        cargo.key("v1.0.0")


def test_gem_versions() -> None:
    # Gem::Version examples (rubygems test_gem_version.rb semantics).
    chain = ["1.0.a", "1.0.b1", "1.0-rc1", "1.0.pre", "1.0.rc1", "1.0", "1.0.1", "1.9", "1.10"]
    assert [gem.compare(a, b) for a, b in pairwise(chain)] == [-1] * 8
    assert gem.compare("1.0.0", "1") == 0 and gem.compare("1.0.a", "1.a") == 0
    with pytest.raises(InvalidVersion):
        gem.key("junk")


@pytest.mark.parametrize(("ecosystem", "module"), [
    ("Debian:12", "dpkg"), ("Ubuntu:22.04:LTS", "dpkg"), ("Alpine:v3.18", "apk"),
    ("AlmaLinux:9", "rpm"), ("Rocky Linux:8", "rpm"), ("Red Hat", "rpm"), ("SUSE", "rpm"),
    ("openSUSE", "rpm"), ("PyPI", "pep440"), ("npm", "semver"), ("Go", "golang"),
    ("crates.io", "cargo"), ("Maven", "maven"), ("RubyGems", "gem"), ("Packagist", "semver"),
    ("Hex", "cargo"), ("Pub", "semver")])
def test_registry(ecosystem: str, module: str) -> None:
    assert registry.compare_for(ecosystem).__module__.endswith("." + module)


def test_registry_unknown() -> None:
    with pytest.raises(KeyError):
        registry.compare_for("Nope")


@pytest.fixture
def cold_registry() -> Iterator[None]:
    """The registry's comparisons remember answers: empty their caches, so a test reaches the
    checks behind them instead of an answer remembered from another test."""

    def clear() -> None:
        for compare in {registry.compare_for(e) for e in ECOSYSTEMS}:
            getattr(compare, "key", compare).cache_clear()  # type: ignore[attr-defined]

    clear()
    yield
    clear()


ECOSYSTEMS = ["Debian", "Alpine", "Red Hat", "PyPI", "npm", "Go", "crates.io", "Maven",
              "RubyGems", "NuGet"]


@pytest.mark.usefixtures("cold_registry")
@pytest.mark.parametrize("ecosystem", ECOSYSTEMS)
def test_registry_refuses_versions_past_the_length_limit(ecosystem: str) -> None:
    """A hostile 5,000-digit version is an InvalidVersion (an Unknown), in every scheme: not
    Python's ValueError for reading a number of more than 4300 digits, which no caller
    expects."""
    compare = registry.compare_for(ecosystem)
    scheme = sys.modules[compare.__module__].SCHEME
    for huge in ("1" * 5_000, "1." + "1" * 5_000 + ".0", "1.0.0-" + "1" * 5_000):
        for a, b in ((huge, "1.0.0"), ("1.0.0", huge), (huge, huge)):
            with pytest.raises(InvalidVersion) as exc:
                compare(a, b)
            assert (exc.value.scheme, exc.value.version, exc.value.reason) == (
                scheme, huge[:64] + "...", f"longer than {registry.MAX_LENGTH} characters")


@pytest.mark.usefixtures("cold_registry")
def test_registry_length_limit_is_inclusive() -> None:
    longest = "1" * registry.MAX_LENGTH
    assert registry.compare_for("Debian")(longest, "1") == 1
    assert registry.compare_for("Maven")("1", longest) == -1
