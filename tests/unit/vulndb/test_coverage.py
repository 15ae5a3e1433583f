"""Advisory coverage as data: per ecosystem / distribution release, what the database holds
(count, newest modification), schema 1 -> 2 migration on import, and the package sets a
match could not check (no advisories, no feed, no version scheme) -- each set counted once.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from ringfence.catalog import purls
from ringfence.errors import InputError
from ringfence.model.advisory import Advisory, Affected, AffectedRange, Event
from ringfence.model.coverage import NO_ADVISORIES, NO_FEED, NO_VERSION_SCHEME, PackageSet
from ringfence.model.finding import Severity
from ringfence.model.inventory import Distro, Inventory
from ringfence.model.package import Location, Package
from ringfence.vulndb.build import write
from ringfence.vulndb.importers.record import Record, SourceData
from ringfence.vulndb.match import match_all
from ringfence.vulndb.names import normalize
from ringfence.vulndb.store import SCHEMA_VERSION, VulnStore

FIX = AffectedRange("ECOSYSTEM", (Event("introduced", "0"), Event("fixed", "9.0")))


def _rec(adv_id: str, eco: str, pkg: str, modified: str | None,
         withdrawn: str | None = None) -> Record:
    adv = Advisory(adv_id, "t", summary="s", severity=Severity.HIGH, modified=modified,
                   withdrawn=withdrawn)
    return Record(adv, (Affected(adv_id, eco, normalize(eco, pkg), (FIX,)),), ())


def _db(tmp_path: Path, *sources: SourceData) -> Path:
    db = tmp_path / "db.sqlite"
    write(db, sources, 0.0)
    return db


OSV = SourceData("osv:mixed", "osv", "x", (
    _rec("PYSEC-1", "PyPI", "a", "2025-01-01T00:00:00Z"),
    _rec("PYSEC-2", "PyPI", "b", "2026-03-04T05:06:07Z"),
    _rec("PYSEC-3", "PyPI", "c", "2027-01-01T00:00:00Z", withdrawn="2027-01-01T00:00:00Z"),
    _rec("CRAN-1", "CRAN", "ggplot2", None),
))
DEB = SourceData("debian-tracker", "debian-tracker", "y", (
    _rec("CVE-1", "Debian:12", "zlib", "2026-02-02T00:00:00Z"),))


def test_counts_and_newest_modification_per_ecosystem(tmp_path: Path) -> None:
    with VulnStore.open(_db(tmp_path, OSV, DEB)) as store:
        assert store.coverage() == {
            "CRAN": (1, None),  # undated records count, with no date to show
            "Debian:12": (1, "2026-02-02T00:00:00Z"),
            "PyPI": (2, "2026-03-04T05:06:07Z"),  # the withdrawn record is not held
        }


def test_import_over_a_version_1_database_migrates_the_kept_sources(tmp_path: Path) -> None:
    db = _db(tmp_path, OSV, DEB)
    with sqlite3.connect(db) as conn:  # what version 1 wrote: no newest_modified column
        conn.execute("CREATE TABLE c1 AS SELECT source, ecosystem, records FROM "
                     "ecosystem_counts")
        conn.execute("DROP TABLE ecosystem_counts")
        conn.execute("ALTER TABLE c1 RENAME TO ecosystem_counts")
        conn.execute("UPDATE meta SET value='1' WHERE key='schema_version'")
    with pytest.raises(InputError, match="schema_version 1, expected 3"):
        VulnStore.open(db)  # a reader refuses it: re-import
    newer = SourceData("debian-tracker", "debian-tracker", "z", (
        _rec("CVE-2", "Debian:12", "zlib", "2026-09-09T00:00:00Z"),))
    report = write(db, [newer], 0.0)
    assert report.kept == ("osv:mixed",)
    with VulnStore.open(db) as store:
        assert store.version == SCHEMA_VERSION
        assert store.coverage()["PyPI"] == (2, "2026-03-04T05:06:07Z")  # computed
        assert store.coverage()["Debian:12"] == (1, "2026-09-09T00:00:00Z")


def test_a_hostile_schema_version_is_refused_not_a_traceback(tmp_path: Path) -> None:
    db = _db(tmp_path, DEB)
    with sqlite3.connect(db) as conn:
        conn.execute("UPDATE meta SET value='2; DROP' WHERE key='schema_version'")
    with pytest.raises(InputError, match="schema_version 2; DROP"):
        VulnStore.open(db)


def _pkg(ptype: str, name: str, version: str, *, source: str | None = None,
         owner: str | None = None) -> Package:
    return Package(name, version, ptype, purls.make(ptype, name, version), "test",
                   source_name=source, source_version=version if source else None,
                   locations=(Location(f"/{ptype}/{name}"),), owner=owner)


def test_match_coverage_sets(tmp_path: Path) -> None:
    inv = Inventory((
        _pkg("deb", "zlib1g", "1.2", source="zlib"),  # below the fix (9.0)
        _pkg("deb", "libc6", "2.36", source="glibc"),
        _pkg("pypi", "a", "1.0"),
        _pkg("pypi", "z", "1.0"),  # no advisory for z: still a checked package
        _pkg("pypi", "b", "1.0", owner="pkg:deb/debian/python3-b@1.0"),  # through its owner
        _pkg("npm", "left-pad", "1.0.0"),  # the DB holds no npm advisory
        _pkg("conan", "zlib", "1.2.13"),  # no feed is mapped to conan
        _pkg("cran", "ggplot2", "3.4.0"),  # advisories, but no version scheme for CRAN
        _pkg("cran", "dplyr", "1.1.0"),  # no advisory for it: nothing to compare
    ), Distro("debian", "12"))
    with VulnStore.open(_db(tmp_path, OSV, DEB)) as store:
        out = match_all(inv, store)
    assert out.coverage.checked == (
        PackageSet("CRAN", 1, 1, None),
        PackageSet("Debian:12", 2, 1, "2026-02-02T00:00:00Z", os_packages=True),
        PackageSet("PyPI", 2, 2, "2026-03-04T05:06:07Z"),
    )
    assert out.coverage.uncovered == (
        PackageSet("CRAN", 1, 1, None, NO_VERSION_SCHEME),
        PackageSet("conan packages", 1, 0, None, NO_FEED),
        PackageSet("npm", 1, 0, None, NO_ADVISORIES),
    )
    assert not out.coverage.os_gap
    assert {m.package_name for m in out.matches} == {"a", "zlib1g"}  # b: owned, not PyPI
    # the per-package Unknown of "no version scheme" stays (the set counts it)
    assert [u.location for u in out.unknowns] == ["/cran/ggplot2"]
    assert "no version scheme" in out.unknowns[0].reason
    line = out.coverage.line()
    assert line == ("not checked for vulnerabilities: no version scheme for CRAN (1 package); "
                    "no feed for conan packages (1 package); no advisories for npm (1 package)")


def test_a_release_without_advisories_is_an_os_gap(tmp_path: Path) -> None:
    inv = Inventory((_pkg("deb", "zlib1g", "1:1.2", source="zlib"),), Distro("debian", "13"))
    with VulnStore.open(_db(tmp_path, OSV, DEB)) as store:
        out = match_all(inv, store)
    assert out.coverage.uncovered == (
        PackageSet("Debian:13", 1, 0, None, NO_ADVISORIES, os_packages=True),)
    assert out.coverage.os_gap and out.matches == ()
    # an unidentified distribution: no feed for its packages, said so
    inv = Inventory((_pkg("apk", "musl", "1.2"),), None)
    with VulnStore.open(_db(tmp_path, OSV, DEB)) as store:
        gap = match_all(inv, store).coverage.uncovered
    assert gap == (PackageSet("apk packages of an unidentified distro", 1, 0, None, NO_FEED,
                              os_packages=True),)


def test_nuget_advisories_match_with_the_nuget_scheme(tmp_path: Path) -> None:
    src = SourceData("osv:NuGet", "osv", "n", (
        _rec("GHSA-nu-1", "NuGet", "Newtonsoft.Json", "2026-01-01T00:00:00Z"),))
    inv = Inventory((_pkg("nuget", "Newtonsoft.Json", "8.0.0.1-BETA"),  # below 9.0
                     _pkg("nuget", "Newtonsoft.Json", "12.0.3")), None)
    with VulnStore.open(_db(tmp_path, src)) as store:
        out = match_all(inv, store)
    assert [m.installed_version for m in out.matches] == ["8.0.0.1-BETA"]
    assert out.unknowns == () and out.coverage.uncovered == ()
    assert out.coverage.checked == (PackageSet("NuGet", 2, 1, "2026-01-01T00:00:00Z"),)


def test_owned_go_binaries_keep_their_go_advisories(tmp_path: Path) -> None:
    # a Debian-built Go binary (CNI plugins under /usr/lib/cni): its build info is what was
    # compiled in; no distribution advisory covers the static copy of the standard library
    src = SourceData("osv:Go", "osv", "g", (_rec("GO-1", "Go", "stdlib", "2026-01-01"),))
    owner = "pkg:deb/debian/containernetworking-plugins@1.1.1"
    inv = Inventory((_pkg("golang", "stdlib", "1.19.8", owner=owner),
                     _pkg("pypi", "a", "1.0", owner=owner)), Distro("debian", "12"))
    with VulnStore.open(_db(tmp_path, src)) as store:
        out = match_all(inv, store)
    assert [(m.package_name, m.advisory_id) for m in out.matches] == [("stdlib", "GO-1")]
    assert out.coverage.checked == (PackageSet("Go", 1, 1, "2026-01-01"),)
