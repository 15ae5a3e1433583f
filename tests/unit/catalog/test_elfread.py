"""Bounded ELF reads (catalog/elfread.py): the excerpt the layer walk keeps of an ELF file
gives the Go and Rust catalogers the same packages as the whole file, stays bounded
whatever the file claims, and a header that lies, a truncated stream or a forged excerpt
ends in no packages or a CatalogError (an Unknown), never a traceback or an unbounded
read. The files are built here: real ELF programs of this machine, with sections added by
objcopy, and headers patched at test time."""

from __future__ import annotations

import json
import shutil
import struct
import subprocess
import zlib
from collections.abc import Iterator
from pathlib import Path

import pytest

from ringfence.catalog import elfread
from ringfence.catalog.golang.cataloger import GoBinaryCataloger
from ringfence.catalog.interface import CatalogError, Parsed
from ringfence.catalog.rust.cataloger import CargoAuditableCataloger
from ringfence.layers.collect import LayerCatalog

GO, RUST = GoBinaryCataloger(), CargoAuditableCataloger()
TRUE = Path("/bin/true")
UMOCI = Path("/usr/bin/umoci")  # a real Go program (Debian package umoci, in .ci/deps)
SENTINEL = b"0w\xaf\x0c\x92t\x08\x02A\xe1\xc1\x07\xe6\xd6\x18\xe6"
MODINFO = (b"path\texample.com/app\nmod\texample.com/app\tv1.2.3\th1:abc=\n"
           b"dep\tgolang.org/x/net\tv0.1.0\th1:def=")


def _varint(n: int) -> bytes:
    out = bytearray()
    while True:
        byte, n = n & 0x7F, n >> 7
        out.append(byte | (0x80 if n else 0))
        if not n:
            return bytes(out)


def _inline_blob() -> bytes:
    """A Go >= 1.18 build info blob: header, then the version and modinfo inline."""
    version = b"go1.22.1"
    mod = SENTINEL + MODINFO + b"\n" + SENTINEL[:15] + b"\xf2"
    header = elfread.GO_MAGIC + bytes([8, 2]) + bytes(16)
    return header + _varint(len(version)) + version + _varint(len(mod)) + mod


def _with_section(tmp_path: Path, name: str, content: bytes, base: bytes | None = None) -> bytes:
    if shutil.which("objcopy") is None:
        pytest.fail("binutils objcopy is missing (.ci/deps)")
    blob, exe = tmp_path / f"sec{name}", tmp_path / f"exe{name}"
    blob.write_bytes(content)
    exe.write_bytes(base if base is not None else TRUE.read_bytes())
    subprocess.run(["objcopy", "--add-section", f"{name}={blob}", str(exe)], check=True,
                   capture_output=True)
    return exe.read_bytes()


def _auditable_json() -> bytes:
    pkgs = [{"name": "app", "version": "0.1.0", "source": "local", "kind": "runtime",
             "dependencies": [1], "root": True},
            {"name": "memchr", "version": "2.7.4", "source": "crates.io", "kind": "runtime"}]
    return json.dumps({"packages": pkgs}).encode()


def _chunks(data: bytes, size: int) -> Iterator[bytes]:
    for i in range(16, len(data), size):
        yield data[i:i + size]


def _excerpt(data: bytes, chunk: int = 1 << 20, size: int | None = None) -> bytes:
    return elfread.excerpt(data[:16], _chunks(data, chunk), len(data) if size is None else size)


def _outcome(cat: GoBinaryCataloger | CargoAuditableCataloger, data: bytes) -> Parsed | str:
    try:
        return cat.parse("/opt/x/prog", data)
    except CatalogError as exc:
        return f"CatalogError: {exc}"


@pytest.fixture(scope="module")
def programs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, bytes]:
    tmp = tmp_path_factory.mktemp("elf")
    return {"go-inline": _with_section(tmp, ".go.buildinfo", _inline_blob()),
            "cargo-auditable": _with_section(tmp, ".dep-v0", zlib.compress(_auditable_json())),
            "plain": TRUE.read_bytes()}


@pytest.mark.parametrize("chunk", [1 << 20, 4099, 7])
@pytest.mark.parametrize("name", ["go-inline", "cargo-auditable", "plain"])
def test_excerpt_gives_the_packages_of_the_whole_file(programs: dict[str, bytes], name: str,
                                                      chunk: int) -> None:
    data = programs[name]
    kept = _excerpt(data, chunk)
    assert kept.startswith(elfread.EXCERPT_MAGIC)
    for cat in (GO, RUST):
        assert _outcome(cat, kept) == _outcome(cat, data)
    found = {p.name for cat in (GO, RUST) for p in cat.parse("/x", kept).packages}
    assert found == {"go-inline": {"example.com/app", "golang.org/x/net", "stdlib"},
                     "cargo-auditable": {"app", "memchr"}, "plain": set()}[name]


def test_a_real_go_program_keeps_its_modules_from_a_fraction_of_the_file() -> None:
    if not UMOCI.is_file():
        pytest.fail(f"{UMOCI} is missing: install the umoci Debian package (.ci/deps)")
    data = UMOCI.read_bytes()
    kept = _excerpt(data)
    assert GO.parse("/x", kept) == GO.parse("/x", data) and GO.parse("/x", kept).packages
    assert len(kept) < len(data) * 0.6


def test_pointer_format_far_past_the_blob_is_read_from_the_bytes_before_the_table(
        tmp_path: Path) -> None:
    """Go < 1.18 stores pointers: here the string headers lie 9 MiB past the blob (outside
    the Go window, in a section no segment loads, so the unloaded tail is over its cap);
    they end the section, just before the section header table, in the bytes the excerpt
    keeps for .shstrtab: read as from the whole file (more: tests/unit/catalog/
    test_elf_second_read.py)."""
    addr = 0x7000000
    header = elfread.GO_MAGIC + bytes([8, 0])  # flags 0: pointer format
    # string headers 9 MiB past the blob: outside the Go window, and the unloaded tail is
    # then over its cap too (only the section table is kept of it)
    far = addr + (9 << 20)
    blob = header + struct.pack("<QQ", far, far + 16) + bytes(9 << 20) + bytes(64)
    data = _with_section(tmp_path, ".go.buildinfo", blob)
    subprocess.run(["objcopy", "--change-section-address", f".go.buildinfo={addr:#x}",
                    "--set-section-flags", ".go.buildinfo=alloc,contents",
                    str(tmp_path / "exe.go.buildinfo")], check=True, capture_output=True)
    data = (tmp_path / "exe.go.buildinfo").read_bytes()
    whole = _outcome(GO, data)
    kept = _outcome(GO, _excerpt(data))
    assert isinstance(whole, Parsed)  # the whole file: zero-length strings, read fine
    assert kept == whole


def _patched(data: bytes, fmt: str, offset: int, value: int) -> bytes:
    out = bytearray(data)
    struct.pack_into("<" + fmt, out, offset, value)
    return bytes(out)


# ELF64 header fields (little endian): e_phoff 32, e_shoff 40, e_phentsize 54,
# e_phnum 56, e_shentsize 58, e_shnum 60; e_ident[EI_CLASS] 4
LIES = {
    "phoff-past-eof": ("Q", 32, 1 << 40),
    "shoff-past-eof": ("Q", 40, 1 << 40),
    "phnum-huge": ("H", 56, 0xFFFF),
    "shnum-huge": ("H", 60, 0xFFFF),
    "phentsize-wrong": ("H", 54, 3),
    "shentsize-wrong": ("H", 58, 1000),
    "class-unknown": ("B", 4, 7),
    "phoff-deep-in-the-file": ("Q", 32, 2 << 20),
}


@pytest.mark.parametrize("lie", sorted(LIES))
@pytest.mark.parametrize("name", ["go-inline", "cargo-auditable", "plain"])
def test_lying_headers_are_not_followed(programs: dict[str, bytes], name: str,
                                        lie: str) -> None:
    data = programs[name]
    if lie == "phoff-deep-in-the-file":  # a file long enough for the lie to stay inside
        data += bytes((3 << 20) - len(data))
    hostile = _patched(data, *LIES[lie])
    kept = _excerpt(hostile)
    # the header (and the Go window from the blob found by content), not the tables or
    # segments the header points at
    assert len(kept) <= (8 << 10) + (elfread.GO_WINDOW if name == "go-inline" else 0)
    lc = LayerCatalog("sha256:l", (GO, RUST))
    lc.offer("/opt/x/prog", 4 << 20, kept)  # a size both catalogers take
    reasons = [u.reason for u in lc.result().unknowns]
    assert not any(r.startswith("parser failed") for r in reasons), reasons
    found = {p.name for r in lc.result().records for p in r.packages}
    if name == "go-inline":  # found by content: the blob does not depend on the headers
        assert "example.com/app" in found and reasons == []
    elif name == "cargo-auditable":  # the .dep-v0 name was seen: said, not skipped
        assert found == set() and len(reasons) == 1
        assert "not kept" in reasons[0] or "unreadable ELF file" in reasons[0]
    else:
        assert found == set() and reasons == []


def test_segments_claiming_most_of_a_big_file_are_not_kept() -> None:
    """A 60 MiB file whose read-only segment claims 40 MiB, and whose section table claims
    to sit after 19 MiB of unloaded data: the excerpt keeps neither (only the table)."""
    size = 60 << 20
    phdr = struct.pack("<IIQQQQQQ", 1, 4, 4096, 0x400000, 0x400000, 40 << 20, 40 << 20, 4096)
    header = bytearray(64)
    header[:16] = b"\x7fELF\x02\x01\x01" + bytes(9)
    struct.pack_into("<HHIQQQIHHHHHH", header, 16, 2, 62, 1, 0x401000, 64, 59 << 20,
                     0, 64, 56, 1, 64, 2, 1)
    start = bytes(header) + phdr + bytes(4096 - 64 - 56)
    seen = 0

    def rest() -> Iterator[bytes]:
        nonlocal seen
        yield start[16:]
        left = size - len(start)
        while left > 0:
            n = min(left, 1 << 20)
            seen += 1
            left -= n
            yield bytes(n)
    kept = elfread.excerpt(start[:16], rest(), size)
    assert len(kept) < (8 << 10) + elfread.SHSTRTAB_WINDOW  # and the bytes before the table
    assert seen == (size - len(start) + (1 << 20) - 1) >> 20  # every chunk consumed


def test_a_truncated_stream_ends_in_an_error_or_nothing(programs: dict[str, bytes]) -> None:
    for name in ("go-inline", "cargo-auditable"):
        data = programs[name]
        for cut in (40, len(data) // 2, len(data) - 20):
            kept = elfread.excerpt(data[:16], _chunks(data[:cut], 4096), len(data))
            for cat in (GO, RUST):
                outcome = _outcome(cat, kept)
                assert isinstance(outcome, str) or outcome.packages == () or (
                    cut > len(data) // 2 and name == "go-inline")  # blob before the cut


@pytest.mark.parametrize("forged", [
    elfread.EXCERPT_MAGIC,  # no counts
    elfread.EXCERPT_MAGIC + struct.pack("<QqBI", 100, 0, 1, 1) + struct.pack("<QQ", 0, 1 << 40),
    elfread.EXCERPT_MAGIC + struct.pack("<QqBI", 1 << 62, 5, 1, 0),  # claims, keeps nothing
])
def test_a_forged_excerpt_is_an_error_not_a_traceback(forged: bytes) -> None:
    for cat in (GO, RUST):
        outcome = _outcome(cat, forged + bytes(64))
        assert isinstance(outcome, str) or outcome.packages == ()


def _planted(seed: int) -> tuple[bytes, list[int]]:
    """/bin/true with Go magics and `.dep-v0` names planted at seeded offsets: across
    chunk seams, several times, and in the file's last 32 bytes (where a magic is none)."""
    import random

    rng = random.Random(seed)  # noqa: S311 - seeded placement of test markers
    data = bytearray(TRUE.read_bytes())
    cuts = sorted({rng.choice([4099, 7, 1 << 12]) for _ in range(2)})
    for _ in range(rng.randint(0, 4)):
        marker = rng.choice([elfread.GO_MAGIC, elfread.DEP_NAME])
        at = rng.choice([rng.randrange(64, len(data) - 40),
                         4099 * rng.randint(1, 8) + 16 - rng.randint(1, len(marker) - 1),
                         len(data) - rng.randint(len(marker), 31)])
        data[at:at + len(marker)] = marker
    return bytes(data), cuts


@pytest.mark.parametrize("seed", range(40))
def test_marker_search_engines_agree(seed: int, monkeypatch: pytest.MonkeyPatch) -> None:
    """Hyperscan (one pass for both markers) and bytes.find report the same first offsets,
    and the excerpt built with either is byte-identical at every chunk size: the seam
    between chunks and the last-32-bytes rule are handled outside the engine."""
    data, cuts = _planted(seed)
    find = elfread._FindMarkers()
    scan = elfread._finder()
    assert isinstance(scan, elfread._ScanMarkers)  # the wheel installs on x86-64 (CI)
    for start in range(0, len(data), 997):
        piece = data[start:start + 5000]
        assert scan.first(piece) == find.first(piece)
    assert scan.first(b"") == find.first(b"") == (-1, -1)
    for chunk in [*cuts, 1 << 20]:
        kept = []
        for engine in (find, scan):
            monkeypatch.setattr(elfread, "_finder", lambda engine=engine: engine)
            kept.append(_excerpt(data, chunk))
        assert kept[0] == kept[1]
        v = elfread.view(kept[0])
        whole = elfread.view(data)  # the whole-file search: the reference
        assert (v.go_at, v.dep_seen) == (whole.go_at, whole.dep_seen)


def test_planted_markers_fire_and_stay_quiet() -> None:
    """The agreement above is not vacuous: some seeds plant a valid magic or a name across
    a seam, some only in the last 32 bytes, some none."""
    seen = set()
    for seed in range(40):
        data, _ = _planted(seed)
        v = elfread.view(_excerpt(data, 7))
        seen.add((v.go_at >= 0, v.dep_seen))
    assert seen == {(False, False), (True, False), (False, True), (True, True)}
