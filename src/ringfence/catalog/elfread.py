"""Bounded reads of ELF programs for the Go and Rust (cargo-auditable) catalogers.

A file the layer walk recognises as ELF by its first bytes (``layers/walk.py`` Sniff) used
to be read whole: every ELF of 64 KiB or more, up to 64 MiB each, counted against the
layer's 1 GiB read budget and held in memory while parsed. Here the file streams past once
in chunks and only the parts the catalogers can use are kept, as an *excerpt*:

- the ELF header and the program headers (where the segments are);
- from the first ``\\xff Go buildinf:`` the build info header and the inline strings that
  follow it (Go >= 1.18), :data:`GO_WINDOW` bytes: the blob is found by content, as the
  whole-file search found it (for a stripped binary it starts the first writable
  ``PT_LOAD`` segment, where Go's ``debug/buildinfo`` looks);
- the non-executable read-only ``PT_LOAD`` segments while together at most
  :data:`READONLY_CAP` (cargo-auditable's ``.dep-v0`` is read-only data, and so are the
  strings of Go < 1.18's pointer-format build info);
- the bytes from the end of the loaded segments to the end of the section header table
  when at most :data:`TAIL_CAP` (``.shstrtab``, sections added after linking), else the
  section header table and the :data:`SHSTRTAB_WINDOW` bytes before it (where linkers
  put ``.shstrtab``) when at most :data:`TAIL_CAP`;
- the string headers a Go < 1.18 blob points at when they lie ahead of it (below).

The section header table sits at the end of the file, after the sections it describes, so
a reader that goes forward only cannot pick a section by name before passing its bytes:
hence the caps above rather than exact sections. What the excerpt lacks is never guessed:
it is read again (below) or it is an Unknown naming the offsets. Memory per file is at most
the sum of the caps (17 MiB) plus a second read's :data:`SECOND_READ_CAP`, whatever the
file's size; the walk counts the excerpt's length, not the file's, against the layer
budget.

Headers are checked before they are used: a wrong class or byte order, table entry sizes,
counts beyond :data:`MAX_ENTRIES`, tables or segments past the end of the file: such a file
is kept as its header only, and the catalogers then find nothing in it unless the stream
showed a Go blob or a ``.dep-v0`` name, which makes it an Unknown.

What the excerpt lacks but a header points at is fetched by a *second read*: a parser that
needs bytes the excerpt did not keep raises :class:`Missing` naming exactly those ranges
(all ranges of one level of the chain at once: Go < 1.18's two string headers, then its two
strings; cargo-auditable's ``.shstrtab``, then ``.dep-v0``); the caller
(``layers/collect.py``) streams the member, or the ``dir:`` file, again and rebuilds the
excerpt with those ranges added (:func:`excerpt` ``extra``), at most :data:`MAX_ROUNDS`
times and :data:`SECOND_READ_CAP` bytes per file; whatever is still missing then is an
Unknown naming it. Go's pointer chain is also followed forward while streaming: the string
headers the build info blob points at usually lie after it in the file, so they are kept
on the first pass and only the strings (in ``.rodata``, before the blob) need a second one.

The excerpt is bytes (the cataloger interface is ``parse(path, data)``): it starts with the
ELF magic and the class byte 0xFF (no real ELF has it) and lists (offset, bytes) regions;
:func:`view` turns it, or a whole file (``dir:`` trees and tests still pass those), into a
random-access :class:`View`.
"""

from __future__ import annotations

import functools
import io
import struct
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import IO, Final, cast

from ringfence.catalog.interface import CatalogError
from ringfence.literals import LiteralDatabase, hyperscan

ELF_MAGIC: Final = b"\x7fELF"
GO_MAGIC: Final = b"\xff Go buildinf:"
DEP_NAME: Final = b".dep-v0\0"  # the section name as .shstrtab stores it
EXCERPT_MAGIC: Final = ELF_MAGIC + b"\xffRFX1"
GO_WINDOW: Final = 1 << 20
READONLY_CAP: Final = 8 << 20
TAIL_CAP: Final = 8 << 20
MAX_ENTRIES: Final = 4096  # program headers; sections: 65,279 is ELF's own limit
MAX_SECTIONS: Final = 0xFF00
# Second reads (see above): at most this many passes, and bytes per file, more is an Unknown.
MAX_ROUNDS: Final = 2
SECOND_READ_CAP: Final = 8 << 20
SHSTRTAB_WINDOW: Final = 64 << 10  # kept before the section header table: .shstrtab
_HEADER = 64
_PF_X, _PF_W, _PT_LOAD = 0x1, 0x2, 1


class Missing(CatalogError):
    """Bytes a parser needs that the excerpt did not keep: ``ranges`` ([start, end) file
    offsets) are what a second read must fetch. Unresolved, it is an Unknown saying so."""

    def __init__(self, ranges: Iterable[tuple[int, int]], size: int) -> None:
        self.ranges = tuple(sorted(set(ranges)))
        self.size = size
        where = ", ".join(f"{s}-{e}" for s, e in self.ranges[:4])
        more = f" and {len(self.ranges) - 4} more" if len(self.ranges) > 4 else ""
        super().__init__(f"bytes {where}{more} of the ELF file were not kept by the bounded "
                         f"read (file of {size} bytes)")


def second_read_refusal(size: int, ranges: Iterable[tuple[int, int]]) -> str | None:
    """Why a second read of ``ranges`` of a file of ``size`` bytes is refused, or None."""
    total = 0
    for start, end in ranges:
        if not 0 <= start < end <= size:
            return f"bytes {start}-{end} requested of a file of {size} bytes"
        total += end - start
    if total > SECOND_READ_CAP:
        return f"a second read of {total} bytes exceeds the cap of {SECOND_READ_CAP}"
    return None


@dataclass(frozen=True, slots=True)
class ElfHeader:
    big: bool
    wide: bool  # ELFCLASS64
    phoff: int
    phnum: int
    shoff: int
    shnum: int

    @property
    def order(self) -> str:
        return ">" if self.big else "<"


def parse_header(head: bytes, size: int) -> tuple[ElfHeader | None, str]:
    """The header's table locations, or None and why it cannot be trusted."""
    if len(head) < 52 or not head.startswith(ELF_MAGIC):
        return None, "truncated ELF header"
    cls, data = head[4], head[5]
    if cls not in (1, 2) or data not in (1, 2):
        return None, f"ELF class {cls} / byte order {data} unknown"
    wide, order = cls == 2, ">" if data == 2 else "<"
    if wide:
        if len(head) < _HEADER:
            return None, "truncated ELF header"
        phoff, shoff = struct.unpack_from(order + "QQ", head, 32)
        phent, phnum, shent, shnum = struct.unpack_from(order + "HHHH", head, 54)
        want_ph, want_sh = 56, 64
    else:
        phoff, shoff = struct.unpack_from(order + "II", head, 28)
        phent, phnum, shent, shnum = struct.unpack_from(order + "HHHH", head, 42)
        want_ph, want_sh = 32, 40
    if (phnum and phent != want_ph) or (shnum and shent != want_sh):
        return None, f"ELF table entry sizes {phent}/{shent}"
    if phnum > MAX_ENTRIES or shnum > MAX_SECTIONS:
        return None, f"{phnum} program headers / {shnum} sections"
    if phoff + phnum * want_ph > size or shoff + shnum * want_sh > size:
        return None, "ELF header tables lie past the end of the file"
    return ElfHeader(data == 2, wide, phoff, phnum, shoff, shnum), ""


def segments(hdr: ElfHeader, table: bytes) -> list[tuple[int, int, int, int, int]]:
    """(type, flags, offset, vaddr, filesz) of each program header in ``table``."""
    out = []
    step = 56 if hdr.wide else 32
    for i in range(hdr.phnum):
        at = i * step
        if hdr.wide:
            typ, flags, off, vaddr, _p, filesz = struct.unpack_from(hdr.order + "IIQQQQ",
                                                                   table, at)
        else:
            typ, off, vaddr, _p, filesz, _m, flags = struct.unpack_from(hdr.order + "IIIIIII",
                                                                       table, at)
        out.append((typ, flags, off, vaddr, filesz))
    return out


def loads(segs: list[tuple[int, int, int, int, int]], size: int) -> list[tuple[int, int, int]]:
    """(vaddr, offset, filesz) of the ``PT_LOAD`` segments that lie inside the file."""
    return [(vaddr, off, n) for typ, _f, off, vaddr, n in segs
            if typ == _PT_LOAD and n and off + n <= size]


def file_offset(spans: list[tuple[int, int, int]], addr: int, n: int) -> int | None:
    """The file offset of the ``n`` bytes at virtual address ``addr``, when one span
    (vaddr, offset, filesz) holds them all (as Go's ``debug/buildinfo`` reads), else None."""
    for vaddr, off, length in spans:
        if vaddr <= addr and addr + n <= vaddr + length:
            return off + addr - vaddr
    return None


def go_pointers(blob: bytes) -> tuple[int, str, int, int] | None:
    """(pointer size, byte order, version header address, modinfo header address) of a
    Go < 1.18 build info header (``debug/buildinfo``: flag bit 2 clear, then any non-zero
    flag means big endian), or None when ``blob`` is not one."""
    if len(blob) < 32 or not blob.startswith(GO_MAGIC) or blob[15] & 0x2:
        return None
    size, order = blob[14], ">" if blob[15] else "<"
    if size not in (4, 8):
        return None
    fmt = order + ("I" if size == 4 else "Q")
    return size, order, struct.unpack_from(fmt, blob, 16)[0], \
        struct.unpack_from(fmt, blob, 16 + size)[0]


def first_markers(data: bytes) -> tuple[int, int]:
    """Offsets of the first :data:`GO_MAGIC` and the first :data:`DEP_NAME` in ``data``
    (-1: none). Every byte of every ELF file the walk meets is searched for both (1 GB of
    them on a large image): Hyperscan finds both in one pass, 4.3 GB/s on bullseye-big's
    ELF files against 1.4 GB/s for two ``bytes.find`` (no choice of needle made find
    faster than 2.3 GB/s on these bytes). ``bytes.find`` where the wheel is missing: the
    same offsets (``tests/unit/catalog/test_elfread.py``)."""
    return _finder().first(data)


class _FindMarkers:
    def first(self, data: bytes) -> tuple[int, int]:
        return data.find(GO_MAGIC), data.find(DEP_NAME)


class _ScanMarkers:
    """Hyperscan (``ringfence/literals.py``), one match per marker: the first."""

    def __init__(self) -> None:
        self._db = LiteralDatabase((GO_MAGIC, DEP_NAME), first_only=True)

    def first(self, data: bytes) -> tuple[int, int]:
        ends = [-1, -1]
        self._db.scan(data, _first_end, ends)
        return (ends[0] - len(GO_MAGIC) if ends[0] >= 0 else -1,
                ends[1] - len(DEP_NAME) if ends[1] >= 0 else -1)


def _first_end(marker: int, _start: int, end: int, _flags: int, ends: list[int]) -> None:
    if ends[marker] < 0:
        ends[marker] = end


@functools.cache
def _finder() -> _FindMarkers | _ScanMarkers:
    """Made on the first ELF file (Hyperscan's import and compile: 2.4 ms)."""
    return _ScanMarkers() if hyperscan() is not None else _FindMarkers()


@dataclass(slots=True)
class _Plan:
    """Byte ranges of the file to keep, decided from the headers."""

    ranges: list[tuple[int, int]] = field(default_factory=list)  # [start, end)

    def add(self, start: int, end: int) -> None:
        if end > start:
            self.ranges.append((start, end))


def _plan(hdr: ElfHeader, segs: list[tuple[int, int, int, int, int]], size: int) -> _Plan:
    plan = _Plan()
    loads = [s for s in segs if s[0] == _PT_LOAD and s[2] + s[4] <= size]
    readonly = [(off, off + n) for _t, flags, off, _v, n in loads
                if not flags & (_PF_X | _PF_W) and n]
    if sum(e - s for s, e in readonly) <= READONLY_CAP:
        for s, e in readonly:
            plan.add(s, e)
    sht_end = hdr.shoff + hdr.shnum * (64 if hdr.wide else 40)
    loaded_end = max((off + n for _t, _f, off, _v, n in loads), default=0)
    if hdr.shnum and loaded_end <= hdr.shoff and sht_end - loaded_end <= TAIL_CAP:
        plan.add(loaded_end, sht_end)
    elif hdr.shnum and sht_end - hdr.shoff <= TAIL_CAP:
        # the table, and the bytes just before it, where linkers put .shstrtab
        plan.add(max(loaded_end, hdr.shoff - SHSTRTAB_WINDOW), sht_end)
    return plan


class _Keeper:
    """Keeps the planned byte ranges of a stream as it passes, in order."""

    def __init__(self) -> None:
        self.regions: dict[tuple[int, int], bytearray] = {}  # by range: ranges may overlap

    def keep(self, start: int, end: int, chunk_at: int, chunk: bytes) -> None:
        lo, hi = max(start, chunk_at), min(end, chunk_at + len(chunk))
        if lo < hi:
            buf = self.regions.setdefault((start, end), bytearray())
            if start + len(buf) == lo:  # ranges are contiguous in the stream
                buf += chunk[lo - chunk_at:hi - chunk_at]


def excerpt(head: bytes, chunks: Iterable[bytes], size: int,
            extra: Iterable[tuple[int, int]] = ()) -> bytes:
    """The excerpt of an ELF file of ``size`` bytes whose first bytes are ``head`` and whose
    remaining bytes ``chunks`` yields in order (each chunk is looked at once, then dropped).
    Every chunk is consumed: the caller may hash them on the way. ``extra``: ranges a
    parser asked for (:class:`Missing`), kept too (a second read; the caller bounds them
    with :func:`second_read_refusal`)."""
    extra = list(extra)
    keeper = _Keeper()
    loaded: list[tuple[int, int, int]] = []  # PT_LOAD spans, to follow Go's pointers
    followed = False
    pos = 0
    buffered = bytearray()  # the first bytes, until the header tables are known
    hdr: ElfHeader | None = None
    plan = _Plan()
    decided = False
    go_at = -1
    go_end = 0
    dep_seen = False
    carry = b""  # the last bytes of the previous chunk: a magic may straddle two
    overlap = max(len(GO_MAGIC), len(DEP_NAME)) - 1

    def consume(chunk: bytes, at: int) -> None:
        nonlocal go_at, go_end, dep_seen, carry
        if go_at < 0 or not dep_seen:
            # the first occurrence in carry + chunk, without joining them: one that starts
            # in the carry ends within the chunk's first ``overlap`` bytes (the seam)
            seam = carry + chunk[:overlap]
            base = at - len(carry)
            go, dep = first_markers(chunk)
            if go_at < 0:
                found = seam.find(GO_MAGIC)
                found = found if 0 <= found < len(carry) else -1 if go < 0 else len(carry) + go
                # as buildinfo._find: a magic in the last 32 bytes is none; later ones lie
                # nearer still to the end, so the first occurrence decides
                if found >= 0 and size - (base + found) >= 32:
                    go_at = base + found
                    go_end = min(size, go_at + GO_WINDOW)
                    keeper.keep(go_at, go_end, base, carry)
            if not dep_seen and (dep >= 0 or DEP_NAME in seam):
                dep_seen = True
            carry = chunk[-overlap:] if len(chunk) >= overlap else (carry + chunk)[-overlap:]
        if go_at >= 0 and at + len(chunk) > go_at:
            keeper.keep(go_at, go_end, at, chunk)
        if go_at >= 0 and not followed:
            follow(at)
        for start, end in plan.ranges:
            keeper.keep(start, end, at, chunk)

    def follow(at: int) -> None:
        """Keep the string headers a Go < 1.18 blob points at when they are still ahead."""
        nonlocal followed
        blob = keeper.regions.get((go_at, go_end), b"")
        if len(blob) < 32 and go_at + len(blob) < go_end:
            return  # the header straddles chunks: look again after the next one
        followed = True
        fields = go_pointers(bytes(blob[:32]))
        if fields is None:
            return
        width = 2 * fields[0]
        for addr in fields[2:]:
            off = file_offset(loaded, addr, width)
            if off is not None and off >= at and not go_at <= off <= go_end - width:
                plan.add(off, off + width)

    for chunk in _with_head(head, chunks):
        if not decided:
            buffered += chunk
            if len(buffered) < _HEADER and pos + len(chunk) < size:
                pos += len(chunk)
                continue
            hdr, _why = parse_header(bytes(buffered[:_HEADER]), size)
            table_end = hdr.phoff + hdr.phnum * (56 if hdr.wide else 32) if hdr else 0
            if hdr is not None and len(buffered) < table_end and pos + len(chunk) < size:
                if table_end > 1 << 20:  # program headers far into the file: not followed
                    hdr = None
                else:
                    pos += len(chunk)
                    continue
            if hdr is not None:
                segs = segments(hdr, bytes(buffered[hdr.phoff:table_end]))
                plan = _plan(hdr, segs, size)
                plan.add(0, max(table_end, min(_HEADER, size)))
                loaded = loads(segs, size)
            else:
                plan.add(0, min(_HEADER, size))
            for start, end in extra:
                plan.add(max(0, start), min(end, size))
            decided = True
            data, pos = bytes(buffered), 0
            buffered = bytearray()
            consume(data, 0)
            pos = len(data)
            continue
        consume(chunk, pos)
        pos += len(chunk)
    if not decided:  # the stream ended before the header tables did
        keeper.keep(0, len(buffered), 0, bytes(buffered))
    return _encode(size, [(s, d) for (s, _e), d in sorted(keeper.regions.items()) if d],
                   go_at, dep_seen)


def _with_head(head: bytes, chunks: Iterable[bytes]) -> Iterable[bytes]:
    if head:
        yield head
    yield from chunks


def _encode(size: int, regions: list[tuple[int, bytearray]], go_at: int,
            dep_seen: bool) -> bytes:
    parts = [EXCERPT_MAGIC, struct.pack("<QqBI", size, go_at, dep_seen, len(regions))]
    for start, data in regions:
        parts.append(struct.pack("<QQ", start, len(data)))
        parts.append(bytes(data))
    return b"".join(parts)


class View:
    """Random access to an ELF file, whole or as an excerpt. ``read`` raises CatalogError
    for bytes an excerpt did not keep; reads past the end are short, as on a file."""

    def __init__(self, size: int, regions: list[tuple[int, bytes]], go_at: int,
                 dep_seen: bool, whole: bool) -> None:
        self.size = size
        self.regions = regions  # sorted, non-overlapping
        self.go_at = go_at  # offset of the first Go build info magic, -1: none
        self.dep_seen = dep_seen  # the stream holds the name .dep-v0
        self.whole = whole

    def read(self, offset: int, n: int) -> bytes:
        if offset < 0 or n < 0:
            raise CatalogError(f"ELF read at {offset} of {n} bytes")
        end = min(offset + n, self.size)
        if end <= offset:
            return b""
        for start, data in self.regions:
            if start <= offset and end <= start + len(data):
                return data[offset - start:end - start]
        raise Missing([(offset, end)], self.size)

    def need(self, spans: Iterable[tuple[int, int]]) -> None:
        """Raise :class:`Missing` naming every [start, end) of ``spans`` (inside the file)
        that was not kept, so one second read fetches a whole level of a pointer chain."""
        lacking = []
        for start, end in spans:
            end = min(end, self.size)
            if end > start and not any(s <= start and end <= s + len(d)
                                       for s, d in self.regions):
                lacking.append((start, end))
        if lacking:
            raise Missing(lacking, self.size)

    def loads(self) -> list[tuple[int, int, int]]:
        """(vaddr, offset, filesz) of the file's ``PT_LOAD`` segments (program headers are
        always kept); none when the header cannot be trusted."""
        hdr, _why = parse_header(self.read(0, _HEADER), self.size)
        if hdr is None or not hdr.phnum:
            return []
        table = self.read(hdr.phoff, hdr.phnum * (56 if hdr.wide else 32))
        return loads(segments(hdr, table), self.size)

    def stream(self) -> IO[bytes]:
        """A seekable file object over the view (for pyelftools)."""
        return cast("IO[bytes]", _ViewStream(self))


class _ViewStream(io.RawIOBase):
    def __init__(self, view: View) -> None:
        self._view = view
        self._pos = 0

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def seek(self, offset: int, whence: int = 0) -> int:
        base = {0: 0, 1: self._pos, 2: self._view.size}[whence]
        self._pos = max(0, base + offset)
        return self._pos

    def tell(self) -> int:
        return self._pos

    def read(self, size: int | None = -1) -> bytes:
        n = self._view.size - self._pos if size is None or size < 0 else size
        data = self._view.read(self._pos, n)
        self._pos += len(data)
        return data

    def readinto(self, buffer: memoryview) -> int:  # type: ignore[override]
        data = self.read(len(buffer))
        buffer[:len(data)] = data
        return len(data)


def view(data: bytes) -> View:
    """A view of ``data``: an excerpt made by :func:`excerpt`, or the whole file."""
    if not data.startswith(EXCERPT_MAGIC):
        at = data.find(GO_MAGIC)
        while at >= 0 and len(data) - at < 32:
            at = data.find(GO_MAGIC, at + 1)
        return View(len(data), [(0, data)], at, DEP_NAME in data, True)
    at = len(EXCERPT_MAGIC)
    try:
        size, go_at, dep_seen, count = struct.unpack_from("<QqBI", data, at)
        at += struct.calcsize("<QqBI")
        regions: list[tuple[int, bytes]] = []
        for _ in range(count):
            start, length = struct.unpack_from("<QQ", data, at)
            at += 16
            if at + length > len(data):
                raise CatalogError("ELF excerpt: a region runs past its end")
            regions.append((start, data[at:at + length]))
            at += length
    except struct.error as exc:
        raise CatalogError(f"ELF excerpt: {exc}") from exc
    if go_at >= 0 and go_at + 32 > size:
        raise CatalogError("ELF excerpt: the Go build info lies past the end of the file")
    return View(size, _merged(regions), go_at, bool(dep_seen), False)


def _merged(regions: list[tuple[int, bytes]]) -> list[tuple[int, bytes]]:
    """Sorted regions with overlapping or touching ones joined (a read may span two)."""
    out: list[tuple[int, bytearray]] = []
    for start, data in sorted(regions, key=lambda r: r[0]):
        if out and start <= out[-1][0] + len(out[-1][1]):
            last_start, last = out[-1]
            overlap = last_start + len(last) - start
            last += data[overlap:] if overlap < len(data) else b""
        else:
            out.append((start, bytearray(data)))
    return [(s, bytes(d)) for s, d in out]
