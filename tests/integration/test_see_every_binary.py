"""Issue 11 "done means": on an image built here with Go binaries in unusual directories,
jars with and without ``pom.properties``, nested jars and a default gem whose spec holds NUL
bytes, every one is reported; Syft (the peer, from the ``test`` extra) scans the same image
and each difference is explained below."""

from __future__ import annotations

import io
import json
import shutil
import subprocess
import zipfile
from pathlib import Path
from typing import Any

import pytest

from ringfence.model.result import ScanResult
from ringfence.scan import ScanOptions, scan_image
from tests.imagebuilder import Layer, Member, build_oci

pytestmark = [pytest.mark.peers, pytest.mark.slow]

GO = {"usr/lib/cni/bridge": Path("/usr/bin/umoci"),  # Debian packages in .ci/deps
      "usr/lib/x86_64-linux-gnu/helper/runc-shim": Path("/usr/sbin/runc")}
OS_RELEASE = b'ID=debian\nVERSION_ID="12"\nVERSION_CODENAME=bookworm\n'
GEMSPEC = (b"# stub: bigdecimal 3.1.1 ruby lib\nGem::Specification.new do |s|\n"
           b"  s.name = \"bigdecimal\".freeze\n  s.version = \"3.1.1\"\n"
           b"  s.files = [\"bigdecimal.so\x00\x00\"]\n  s.licenses = [\"Ruby\".freeze]\nend\n")


def _jar(members: dict[str, bytes]) -> bytes:
    """A jar as the jar tool writes it: a MANIFEST.MF is always there (Syft reads no archive
    without one), here with no name or version unless ``members`` gives one."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        for name, data in {"META-INF/MANIFEST.MF": b"Manifest-Version: 1.0\r\n\r\n",
                           **members}.items():
            z.writestr(name, data)
    return buf.getvalue()


def _pom(group: str, artifact: str, version: str) -> dict[str, bytes]:
    return {f"META-INF/maven/{group}/{artifact}/pom.properties":
            f"groupId={group}\nartifactId={artifact}\nversion={version}\n".encode(),
            f"{artifact.replace('-', '/')}/Main.class": b"\xca\xfe\xba\xbe"}


def _image(root: Path) -> Path:
    for src in GO.values():
        if not src.is_file():
            pytest.fail(f"{src} is missing: install its Debian package (.ci/deps)")
    manifest = (b"Manifest-Version: 1.0\r\nImplementation-Title: tool\r\n"
                b"Implementation-Version: 2.0\r\nImplementation-Vendor-Id: org.foo\r\n\r\n")
    members = [Member("etc/os-release", OS_RELEASE),
               *(Member(dst, src.read_bytes(), mode=0o755) for dst, src in GO.items()),
               Member("app/lib/guava-32.1.3.jar", _jar(_pom("com.google.guava", "guava",
                                                             "32.1.3"))),
               Member("opt/tool/tool.jar", _jar({"META-INF/MANIFEST.MF": manifest,
                                                 "org/foo/Tool.class": b"\xca\xfe\xba\xbe"})),
               Member("usr/share/java/netty-codec-4.1.100.Final.jar",
                      _jar({"io/netty/Codec.class": b"\xca\xfe\xba\xbe"})),
               Member("srv/app.war", _jar({"WEB-INF/lib/commons-io-2.15.0.jar":
                                           _jar(_pom("commons-io", "commons-io", "2.15.0"))})),
               Member("usr/lib/ruby/gems/3.1.0/specifications/default/"
                      "bigdecimal-3.1.1.gemspec", GEMSPEC)]
    return build_oci(root / "img.oci", [Layer(members)])


def _syft(image: Path) -> list[dict[str, Any]]:
    syft = shutil.which("syft")
    if syft is None:
        pytest.fail("syft is not installed (pip install -e '.[test]')")
    out = subprocess.run([syft, "scan", f"oci-dir:{image}", "-q", "-o", "syft-json"],
                         check=True, capture_output=True, text=True, timeout=600).stdout
    artifacts: list[dict[str, Any]] = json.loads(out)["artifacts"]
    return artifacts


def _where(result: ScanResult, type_: str) -> dict[str, set[tuple[str, str]]]:
    out: dict[str, set[tuple[str, str]]] = {}
    for p in result.inventory.packages:
        if p.type == type_:
            out.setdefault(p.locations[0].path, set()).add((p.name, p.version))
    return out


def test_every_binary_jar_and_gem_is_reported_and_compared_with_syft(tmp_path: Path) -> None:
    image = _image(tmp_path)
    result = scan_image(f"oci:{image}", ScanOptions())
    assert not [u for u in result.inventory.unknowns if "java" in u.plugin]
    go = _where(result, "golang")
    assert set(go) == {f"/{p}" for p in GO}  # both, outside any bin directory
    assert all(any(n == "stdlib" for n, _ in mods) for mods in go.values())
    maven = {p.purl.split("?")[0] for p in result.inventory.packages if p.type == "maven"}
    assert maven == {"pkg:maven/com.google.guava/guava@32.1.3", "pkg:maven/org.foo/tool@2.0",
                     "pkg:maven/netty-codec@4.1.100.Final",
                     "pkg:maven/commons-io/commons-io@2.15.0"}
    gems = {(p.name, p.version) for p in result.inventory.packages if p.type == "gem"}
    assert gems == {("bigdecimal", "3.1.1")}

    theirs = _syft(image)
    syft_go = {loc["path"] for a in theirs if a["type"] == "go-module"
               for loc in a["locations"]}
    # Syft reads Go binaries by content everywhere too: the same two files.
    assert syft_go == set(go)
    ours_go = {(n, v) for mods in go.values() for n, v in mods}
    syft_mods = {(a["name"], a["version"].removeprefix("go") if a["name"] == "stdlib"
                  else a["version"]) for a in theirs if a["type"] == "go-module"}
    # Difference: for (devel) main modules Syft guesses a version from strings in the
    # binary (tests/unit/catalog/test_golang.py); every dependency and stdlib agree.
    assert {m for m in ours_go if m[1] != "(devel)"} <= syft_mods
    syft_java = {a["purl"] for a in theirs if a["type"] == "java-archive"}
    # Differences, each deliberate: Syft guesses the group of a jar named only by its file
    # (netty-codec/netty-codec); we give none, as no file says it. Syft reports the war
    # wrapper itself as "app" version UNKNOWN; a wrapper holding only archives is no package
    # of its own here (and no Unknown: everything inside was identified).
    assert syft_java - maven == {"pkg:maven/netty-codec/netty-codec@4.1.100.Final",
                                 "pkg:maven/app/app"}
    assert maven - syft_java == {"pkg:maven/netty-codec@4.1.100.Final"}
    syft_gems = {(a["name"], a["version"]) for a in theirs if a["type"] == "gem"}
    # Syft reads the default gemspec too.
    assert ("bigdecimal", "3.1.1") in syft_gems
