"""Which OSV ecosystem and name a package is looked up as."""

from __future__ import annotations

import pytest

from ringfence.catalog import purls
from ringfence.model.inventory import Distro
from ringfence.model.package import Package
from ringfence.vulndb.matchers.aliases import primary_id
from ringfence.vulndb.matchers.distro import DistroMatcher, ecosystems_for
from ringfence.vulndb.matchers.language import LanguageMatcher


@pytest.mark.parametrize(("ptype", "distro", "expected"), [
    ("deb", Distro("debian", "12", "bookworm"), ("Debian:12",)),
    ("deb", Distro("debian", None, "trixie"), ("Debian:13",)),
    ("deb", Distro("debian", None, "sid"), ("Debian:sid",)),
    ("deb", Distro("ubuntu", "22.04", "jammy"), ("Ubuntu:22.04:LTS", "Ubuntu:22.04")),
    ("deb", Distro("ubuntu", "23.10", "mantic"), ("Ubuntu:23.10",)),
    ("apk", Distro("alpine", "3.18.4"), ("Alpine:v3.18",)),
    ("rpm", Distro("almalinux", "9.3", id_like=("rhel", "centos", "fedora")), ("AlmaLinux:9",)),
    ("rpm", Distro("rocky", "8.9"), ("Rocky Linux:8",)),
    ("rpm", Distro("rhel", "9.2"), ("Red Hat:9", "AlmaLinux:9", "Rocky Linux:9")),
    ("rpm", Distro("centos", "8"), ("Red Hat:8", "AlmaLinux:8", "Rocky Linux:8")),
    ("rpm", Distro("fedora", "39"), ()),  # no Fedora data: no guess
    ("deb", Distro("raspbian", "12", id_like=("debian",)), ()),  # derivative: not Debian's
    ("apk", None, ()),
])
def test_distro_ecosystems(ptype: str, distro: Distro | None, expected: tuple[str, ...]) -> None:
    assert ecosystems_for(ptype, distro) == expected


def test_deb_by_source_rpm_by_binary() -> None:
    deb = Package("libssl3", "3.0.11-1~deb12u2+b1", "deb", "pkg:deb/debian/libssl3", "dpkg",
                  source_name="openssl", source_version="3.0.11-1~deb12u2")
    (q,) = DistroMatcher().queries(deb, Distro("debian", "12"))
    assert (q.ecosystem, q.name, q.version) == ("Debian:12", "openssl", "3.0.11-1~deb12u2")
    rpm = Package("glibc-common", "2.34-60.el9", "rpm", "pkg:rpm/almalinux/glibc-common", "rpm",
                  source_name="glibc", source_version="2.34-60.el9")
    (q,) = DistroMatcher().queries(rpm, Distro("almalinux", "9.2"))
    assert (q.ecosystem, q.name) == ("AlmaLinux:9", "glibc-common")


@pytest.mark.parametrize(("ptype", "name", "ns", "ecosystem", "osv_name"), [
    ("pypi", "pyyaml", None, "PyPI", "pyyaml"),
    ("npm", "core", "@angular", "npm", "@angular/core"),
    ("maven", "log4j-core", "org.apache.logging.log4j", "Maven",
     "org.apache.logging.log4j:log4j-core"),
    ("golang", "net", "golang.org/x", "Go", "golang.org/x/net"),
    ("composer", "Monolog", "Monolog", "Packagist", "monolog/monolog"),
    ("gem", "Rails", None, "RubyGems", "Rails"),
    ("cargo", "smallvec", None, "crates.io", "smallvec"),
])
def test_language_names(ptype: str, name: str, ns: str | None, ecosystem: str,
                        osv_name: str) -> None:
    pkg = Package(name, "1.0.0", ptype, purls.make(ptype, name, "1.0.0", ns), "test")
    (q,) = LanguageMatcher().queries(pkg, None)
    assert (q.ecosystem, q.name) == (ecosystem, osv_name)


def test_primary_id_rule() -> None:
    ids = {"GHSA-x84v-xcm2-53pg", "PYSEC-2018-28", "CVE-2018-18074"}
    assert primary_id(ids, (), os_package=False) == "CVE-2018-18074"
    assert primary_id({"GHSA-b", "PYSEC-1"}, (), os_package=False) == "GHSA-b"
    assert primary_id({"DSA-4697-1", "CVE-2020-13777"}, ["DSA-4697-1"], os_package=True) == (
        "DSA-4697-1")
