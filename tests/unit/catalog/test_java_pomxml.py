"""pom.xml against osv-scalibr's pomxml testdata and Syft's image-pkg-coverage pom.xml."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from ringfence.catalog.interface import CatalogError, Parsed
from ringfence.catalog.java.pomxml import PomXmlCataloger, interpolate

CAT = PomXmlCataloger()
SCALIBR = "pkgdb/java/scalibr-pomxml"


def _parse(data_dir: Path, name: str) -> Parsed:
    return CAT.parse("/src/pom.xml", (data_dir / SCALIBR / name).read_bytes())


def _found(parsed: Parsed) -> set[tuple[str, str]]:
    return {(p.name, p.version) for p in parsed.packages}


# What each file declares under <project><dependencies>, read from the files themselves.
# Deviations from scalibr, which reads more than the one file: it follows the local parent
# (with-parent.xml -> parent/pom.xml: org.dave:dave, and org.frank:frank's version) and
# activeByDefault profiles (profiles.xml); we read one file, as Syft's parser does, and a
# dependency whose version stays unresolved is skipped (Syft) and reported as a problem.
# scalibr keeps only the first of two versions of one groupId:artifactId (multi-version.xml);
# both are declared, and both are reported here.
FILES: dict[str, set[tuple[str, str]]] = {
    "empty.xml": set(),
    "encoding.xml": {("junit:junit", "4.12")},  # iso-8859-1 declared
    "one-package.xml": {("org.apache.maven:maven-artifact", "1.0.0")},
    "two-packages.xml": {("io.netty:netty-all", "4.1.42.Final"),
                         ("org.slf4j:slf4j-log4j12", "1.7.25")},
    # An explicit version wins over <dependencyManagement>; managed-only jsr305 is no dep.
    "with-dependency-management.xml": {("io.netty:netty-all", "4.1.9"),
                                       ("org.slf4j:slf4j-log4j12", "1.7.25")},
    "interpolation.xml": {("org.mine:mypackage", "1.0.0"), ("org.mine:my.package", "2.3.4"),
                          ("org.mine:ranged-package", "[9.4.35.v20201120,9.5)")},
    "interpolate-drop.xml": {("com.example:actual-artifact", "1.0.0")},
    "ambiguous-interpolation.xml": {("com.example:common-lib", "1.0.0")},
    "explicit-jar.xml": {("org.different:my-lib", "1.0.0"), ("com.example:my-lib", "1.0.0")},
    "multi-version.xml": {("abc:example.com", "1.0.0"), ("abc:example.com", "1.1.1")},
    "plugin-dependency.xml": {("com.example:hijack-lib", "1.0.0")},
    "profiles.xml": set(),
    "transitive.xml": {("org.direct:alice", "1.0.0"), ("org.direct:bob", "2.0.0"),
                       ("org.direct:chris", "3.0.0")},
    "with-multiple-classifiers.xml": {("com.example:my-lib", "1.0.0")},
    # chuck's version comes from this file's <dependencyManagement>; frank's from the parent.
    "with-parent.xml": {("org.alice:alice", "1.0.0"), ("org.bob:bob", "2.0.0"),
                        ("org.chuck:chuck", "3.0.0")},
    "with-scope.xml": {("abc:xyz", "1.2.3"), ("junit:junit", "4.12")},
    "with-type-classifier.xml": {("abc:xyz", "1.0.0")},
    "parent/pom.xml": {("org.dave:dave", "4.0.0")},
}
UNREADABLE = ("invalid-syntax.xml", "not-pom.txt")


def test_table_covers_every_file(data_dir: Path) -> None:
    root = data_dir / SCALIBR
    files = {str(p.relative_to(root)) for p in root.rglob("*") if p.is_file()}
    assert files == set(FILES) | set(UNREADABLE)
    assert len(files) == 20  # PROVENANCE: 20 files


@pytest.mark.parametrize("name", sorted(FILES))
def test_scalibr_files(data_dir: Path, name: str) -> None:
    got = _parse(data_dir, name)
    assert _found(got) == FILES[name]
    assert len(got.packages) == len(FILES[name])


@pytest.mark.parametrize("name", UNREADABLE)
def test_unreadable(data_dir: Path, name: str) -> None:
    with pytest.raises(CatalogError):
        _parse(data_dir, name)


def test_skips_are_problems(data_dir: Path) -> None:
    assert _parse(data_dir, "two-packages.xml").problems == ()
    dropped = _parse(data_dir, "interpolate-drop.xml").problems
    assert len(dropped) == 1 and "groupId" in dropped[0]
    (frank,) = _parse(data_dir, "with-parent.xml").problems
    assert frank.startswith("org.frank:frank: version (none)")


def test_package_fields(data_dir: Path) -> None:
    by_name = {p.name: p for p in _parse(data_dir, "with-scope.xml").packages}
    junit = by_name["junit:junit"]
    assert junit.type == "maven" and junit.purl == "pkg:maven/junit/junit@4.12"
    assert dict(junit.metadata) == {"artifactId": "junit", "groupId": "junit", "scope": "test"}
    assert dict(by_name["abc:xyz"].metadata)["scope"] == "compile"
    assert junit.locations[0].path == "/src/pom.xml"
    ranged = {p.name: p for p in _parse(data_dir, "interpolation.xml").packages}
    assert ranged["org.mine:ranged-package"].purl == (
        "pkg:maven/org.mine/ranged-package@%5B9.4.35.v20201120%2C9.5%29")


def test_syft_coverage_pom(data_dir: Path) -> None:
    """Syft's dirOnly "find java packages including pom.xml" case, minus the project's own
    jar (example-java-app-maven, excluded from the shared data: its package is not from
    the pom.xml). Syft names a Java package by its artifactId; our name is group:artifact."""
    golden = json.loads((data_dir / "golden/syft-image-pkg-coverage.expected.json")
                        .read_text())["cases"]["dirOnlyTestCases"]
    case = next(c for c in golden if c["name"] == "find java packages including pom.xml")
    want = {(n, v) for n, v in case["packages"].items() if n != "example-java-app-maven"}
    pom = data_dir / "pkgdb/rootfs/syft-image-pkg-coverage/pkgs/java/pom.xml"
    got = CAT.parse("/pkgs/java/pom.xml", pom.read_bytes())
    assert {(p.name.rpartition(":")[2], p.version) for p in got.packages} == want
    assert {p.name for p in got.packages} == {"joda-time:joda-time", "junit:junit"}


# --- edge cases built here -------------------------------------------------------------

def _pom(body: str, head: str = "") -> bytes:
    return (f'<?xml version="1.0"?>{head}<project xmlns="http://maven.apache.org/POM/4.0.0">'
            f"{body}</project>").encode()


def _dep(group: str, artifact: str, version: str) -> str:
    return (f"<dependency><groupId>{group}</groupId><artifactId>{artifact}</artifactId>"
            f"<version>{version}</version></dependency>")


def test_project_and_parent_versions() -> None:
    parent = "<parent><groupId>org.p</groupId><artifactId>p</artifactId>" \
             "<version>7.1</version></parent>"
    deps = (_dep("org.x", "own", "${project.version}")
            + _dep("org.x", "par", "${project.parent.version}")
            + _dep("${project.groupId}", "grp", "1"))
    got = CAT.parse("/s/pom.xml", _pom(f"{parent}<dependencies>{deps}</dependencies>"))
    # No own <version>/<groupId>: both are inherited from the parent.
    assert _found(got) == {("org.x:own", "7.1"), ("org.x:par", "7.1"), ("org.p:grp", "1")}


def test_nested_and_looping_properties() -> None:
    props = "<properties><a>${b}</a><b>2.${c}</b><c>5</c><x>${y}</x><y>${x}</y></properties>"
    deps = _dep("g", "nested", "${a}") + _dep("g", "loop", "${x}")
    got = CAT.parse("/s/pom.xml", _pom(f"{props}<dependencies>{deps}</dependencies>"))
    assert _found(got) == {("g:nested", "2.5")}
    assert len(got.problems) == 1 and got.problems[0].startswith("g:loop: version ${")
    assert interpolate("${unknown}-1", {}) == "${unknown}-1"


def test_entities_are_refused() -> None:
    head = '<!DOCTYPE project [<!ENTITY v "1.0">]>'
    with pytest.raises(CatalogError):
        CAT.parse("/s/pom.xml", _pom("<dependencies>" + _dep("g", "a", "&v;")
                                     + "</dependencies>", head))
    xxe = '<!DOCTYPE project [<!ENTITY v SYSTEM "file:///etc/passwd">]>'
    with pytest.raises(CatalogError):
        CAT.parse("/s/pom.xml", _pom("<version>&v;</version>", xxe))


def test_not_a_project() -> None:
    with pytest.raises(CatalogError, match="<settings>"):
        CAT.parse("/s/pom.xml", b"<settings><localRepository/></settings>")


def test_wants() -> None:
    assert CAT.wants("/src/app/pom.xml", 10)
    assert not CAT.wants("/src/app/pom.xml.bak", 10)
    assert not CAT.wants("/src/app/mypom.xml", 10)
    assert not CAT.wants("/m2/repository/junit/junit/4.12/junit-4.12.pom", 10)
