"""Java archives against osv-scalibr's jars and claircore's real MANIFEST.MF files."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import pytest

from ringfence.catalog.interface import CatalogError, Parsed
from ringfence.catalog.java import archive
from ringfence.catalog.java.cataloger import JavaArchiveCataloger

CAT = JavaArchiveCataloger()


def _scalibr(data_dir: Path, name: str) -> Parsed:
    path = data_dir / "pkgdb/java/scalibr-archive" / name
    return CAT.parse(f"/app/{name}", path.read_bytes())


def _coords(parsed: Parsed) -> list[tuple[str, str, str]]:
    return [(p.name, p.version, p.locations[0].path) for p in parsed.packages]


# Expected values from osv-scalibr's extractor_test.go (default config: no filename guess).
def test_scalibr_simple_and_complex(data_dir: Path) -> None:
    assert _coords(_scalibr(data_dir, "simple.jar")) == [
        ("com.some.package:package-name", "1.2.3", "/app/simple.jar")]
    assert _coords(_scalibr(data_dir, "complex.jar")) == [
        ("com.some.package:package-name", "1.2.3", "/app/complex.jar"),
        ("com.some.anotherpackage:another-package-name", "3.2.1",
         "/app/complex.jar!/BOOT-INF/lib/inner.jar")]
    p = _scalibr(data_dir, "simple.jar").packages[0]
    assert p.purl == "pkg:maven/com.some.package/package-name@1.2.3"


@pytest.mark.parametrize("name", ["empty.jar", "no_pom_properties.jar",
                                  "pom_missing_group_id.jar"])
def test_scalibr_no_packages(data_dir: Path, name: str) -> None:
    # none holds classes: nothing to name, and no Unknown either
    got = _scalibr(data_dir, name)
    assert got.packages == () and got.problems == ()


def test_manifest_only_jar_is_identified_as_syft_does(data_dir: Path) -> None:
    # Deviation from scalibr (no package: it wants pom.properties or a Maven group from
    # Implementation-Vendor-Id): Syft names it from the MANIFEST, and so do we, with the
    # group from Bundle-SymbolicName minus its last segment (Trivy's rule).
    got = _scalibr(data_dir, "com.google.src.yolo-0.1.2.jar")
    assert [p.purl for p in got.packages] == ["pkg:maven/com.google.src/yolo@0.1.2"]


def test_jar_named_by_its_file_name_without_a_group() -> None:
    got = CAT.parse("/usr/share/java/netty-codec-4.1.100.Final.jar",
                    _jar({"io/netty/Codec.class": b"\xca\xfe\xba\xbe"}))
    assert [(p.name, p.version, p.purl) for p in got.packages] == [
        ("netty-codec", "4.1.100.Final", "pkg:maven/netty-codec@4.1.100.Final")]
    assert got.problems == ()


def test_manifest_group_from_implementation_vendor_id_only() -> None:
    man = b"Manifest-Version: 1.0\r\nImplementation-Title: tool\r\n" \
          b"Implementation-Version: 2.0\r\nImplementation-Vendor: The Foo Project\r\n\r\n"
    got = CAT.parse("/opt/tool.jar", _jar({"META-INF/MANIFEST.MF": man}))
    # "The Foo Project" is no Maven group: none rather than a guess
    assert [p.purl for p in got.packages] == ["pkg:maven/tool@2.0"]
    man = man.replace(b"\r\n\r\n", b"\r\nImplementation-Vendor-Id: org.foo\r\n\r\n")
    got = CAT.parse("/opt/tool.jar", _jar({"META-INF/MANIFEST.MF": man}))
    assert [p.purl for p in got.packages] == ["pkg:maven/org.foo/tool@2.0"]


def test_unidentified_jar_with_classes_is_an_unknown_and_a_wrapper_is_not() -> None:
    code = _jar({"a/B.class": b"\xca\xfe\xba\xbe"})
    got = CAT.parse("/app/app.jar", code)
    assert got.packages == () and len(got.problems) == 1
    assert "/app/app.jar: Java archive not identified" in got.problems[0]
    inner = _jar({"META-INF/maven/g/a/pom.properties": b"groupId=g\nartifactId=a\nversion=1\n"})
    wrapper = CAT.parse("/app/app.war", _jar({"WEB-INF/lib/a.jar": inner}))
    assert [p.purl for p in wrapper.packages] == ["pkg:maven/g/a@1"]
    assert wrapper.problems == ()


@pytest.mark.parametrize("name", ["not_jar", "invalid_jar.jar"])
def test_scalibr_not_archives(data_dir: Path, name: str) -> None:
    with pytest.raises(CatalogError):
        _scalibr(data_dir, name)


def test_scalibr_nesting_depth(data_dir: Path) -> None:
    deep10 = _scalibr(data_dir, "nested_at_10.jar")
    assert [(n, v) for n, v, _ in _coords(deep10)] == [
        ("com.some.package:package-name", "1.2.3")]
    assert deep10.packages[0].locations[0].path.count("!/nested.jar") == 9
    # scalibr fails the file at depth 100; we keep the walk and report the cut as a problem.
    deep100 = _scalibr(data_dir, "nested_at_100.jar")
    assert deep100.packages == ()
    assert len(deep100.problems) == 1 and "nested deeper" in deep100.problems[0]


def _manifests(data_dir: Path) -> list[Path]:
    return sorted((data_dir / "pkgdb/java/claircore-manifest").glob("*.jar"))


def test_claircore_manifests_parse(data_dir: Path) -> None:
    """Every real manifest parses; continuation lines are joined byte-exactly.

    claircore's *.want files are byte-identical to the inputs (its TestParseManifest
    only checks that parsing succeeds), so there is no parsed result to reproduce;
    instead the main section is checked against an independent line count and join.
    """
    files = _manifests(data_dir)
    assert len(files) == 64
    for f in files:
        raw = f.read_bytes()
        assert (f.parent / f"{f.name}.want").read_bytes() == raw
        lines = raw.decode("utf-8").replace("\r\n", "\n").split("\n\n")[0].split("\n")
        keys = [ln.split(":", 1)[0] for ln in lines if ln and not ln.startswith(" ")]
        attrs = archive.parse_manifest(raw.decode("utf-8"))
        assert list(attrs) == keys, f.name
        assert all("\n" not in v and "\r" not in v for v in attrs.values()), f.name
    guava = archive.parse_manifest((data_dir / "pkgdb/java/claircore-manifest/"
                                    "guava-27.0-jre.jar").read_text())
    assert guava["Bundle-Version"] == "27.0.0.jre"
    assert guava["Export-Package"].startswith("com.google.common.annotations;version=\"27.0.0\","
                                              "com.google.common.base;")


def _jar(members: dict[str, bytes]) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        for name, data in members.items():
            z.writestr(name, data)
    return buf.getvalue()


def test_claircore_manifest_in_a_jar(data_dir: Path) -> None:
    mf = (data_dir / "pkgdb/java/claircore-manifest/zstd-jni-1.3.8-5.jar").read_bytes()
    got = CAT.parse("/opt/lib/zstd.jar", _jar({"META-INF/MANIFEST.MF": mf}))
    attrs = archive.parse_manifest(mf.decode())
    assert _coords(got) == [(f"{attrs['Implementation-Vendor-Id']}:"
                             f"{attrs['Implementation-Title']}",
                             attrs["Implementation-Version"], "/opt/lib/zstd.jar")]
    assert dict(got.packages[0].metadata)["source"] == "META-INF/MANIFEST.MF"


def test_war_with_nested_lib() -> None:
    inner = _jar({"META-INF/maven/org.x/lib/pom.properties":
                  b"#c\ngroupId=org.x\nartifactId=lib\nversion=2.0\n"})
    war = _jar({"WEB-INF/lib/lib-2.0.jar": inner,
                "META-INF/MANIFEST.MF": b"Manifest-Version: 1.0\r\n"
                b"Implementation-Vendor-Id: com.acme\r\nImplementation-Title: shop\r\n"
                b"Implementation-Version: 7\r\n\r\n"})
    got = CAT.parse("/srv/shop.war", war)
    assert _coords(got) == [("com.acme:shop", "7", "/srv/shop.war"),
                            ("org.x:lib", "2.0", "/srv/shop.war!/WEB-INF/lib/lib-2.0.jar")]


def test_zip_bomb_stops_at_the_budget() -> None:
    pom = b"groupId=a\nartifactId=b\nversion=1\n" + b"#" * 600_000  # deflates to ~600 B
    bomb = _jar({"lib/a.jar": _jar({"META-INF/maven/a/a/pom.properties": pom}),
                 "lib/b.jar": _jar({"META-INF/maven/a/b/pom.properties": pom})})
    assert len(bomb) < 10_000
    got = JavaArchiveCataloger(max_total=1_000_000).parse("/app/bomb.jar", bomb)
    assert any("1000000 uncompressed bytes" in p for p in got.problems)
    # The first nested jar fits the budget and is kept; the second one is cut.
    assert [p.locations[0].path for p in got.packages] == ["/app/bomb.jar!/lib/a.jar"]
    whole = JavaArchiveCataloger().parse("/app/bomb.jar", bomb)
    assert len(whole.packages) == 2 and whole.problems == ()


def test_corrupt_nested_archive_is_a_problem() -> None:
    got = CAT.parse("/app/x.ear", _jar({"lib/broken.jar": b"PK\x03\x04" + b"\0" * 40}))
    assert got.packages == ()
    assert got.problems and "lib/broken.jar" in got.problems[0]


def test_wants() -> None:
    assert CAT.wants("/opt/app/app.jar", 1000)
    assert CAT.wants("/usr/share/jenkins/ref/plugins/git.JPI", 1000)
    assert not CAT.wants("/opt/app/app.jar", 10)
    assert not CAT.wants("/opt/app/app.zip", 1000)


def test_pom_xml_beside_pom_properties_gives_the_licences() -> None:
    base = "META-INF/maven/com.google.guava/guava/"
    props = b"groupId=com.google.guava\nartifactId=guava\nversion=32.1.3\n"
    pom = (b'<?xml version="1.0"?><project xmlns="http://maven.apache.org/POM/4.0.0">'
           b"<licenses><license><name>The Apache Software License, Version 2.0</name>"
           b"</license><license><name>MIT License</name></license></licenses></project>")
    got = CAT.parse("/app/guava.jar", _jar({base + "pom.properties": props,
                                            base + "pom.xml": pom}))
    # names normalised to SPDX ids (catalog/licenses.py)
    assert got.packages[0].licenses == ("Apache-2.0", "MIT")
    bare = CAT.parse("/app/guava.jar", _jar({base + "pom.properties": props}))
    assert bare.packages[0].licenses == ()
