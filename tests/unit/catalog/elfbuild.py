"""Build ELF64 programs at test time, section by section, with real program headers (what
Go's ``debug/buildinfo`` and Syft read) and a section header table at the end (where
linkers put it): enough to lay out old-Go build info and cargo-auditable sections exactly
where a test wants them, e.g. past the bounded excerpt of ``catalog/elfread.py``."""

from __future__ import annotations

import struct
from dataclasses import dataclass, field

BASE = 0x400000  # vaddr = BASE + file offset, as in a non-PIE Go program
PAGE = 0x1000
_FLAGS = {"x": (0x5, 0x6), "r": (0x4, 0x2), "w": (0x6, 0x3)}  # p_flags, sh_flags
_SHT_PROGBITS, _SHT_STRTAB = 1, 3


@dataclass
class Elf:
    data: bytearray
    offset: dict[str, int] = field(default_factory=dict)
    size: dict[str, int] = field(default_factory=dict)

    def addr(self, name: str, rel: int = 0) -> int:
        return BASE + self.offset[name] + rel

    def put(self, name: str, rel: int, content: bytes) -> None:
        at = self.offset[name] + rel
        assert rel + len(content) <= self.size[name], (name, rel, len(content))
        self.data[at:at + len(content)] = content

    def bytes(self) -> bytes:
        return bytes(self.data)


def build(sections: list[tuple[str, int, str]]) -> Elf:
    """An ELF64 little-endian x86-64 executable with ``sections`` (name, size, kind) in
    order: kind ``x``/``r``/``w`` is loaded (consecutive sections of one kind share a
    ``PT_LOAD``, each segment starts on a page), ``-`` is not loaded. A section named
    ``.shstrtab`` is the section name table (its size is computed); it goes last when not
    listed. Contents are zero until :meth:`Elf.put`."""
    if not any(n == ".shstrtab" for n, _s, _k in sections):
        sections = [*sections, (".shstrtab", 0, "-")]
    names = b"\0" + b"".join(n.encode() + b"\0" for n, _s, _k in sections)
    name_at = {n: names.index(n.encode() + b"\0") for n, _s, _k in sections}
    placed: list[tuple[str, int, int, str]] = []  # name, offset, size, kind
    at, kind_before = PAGE, ""
    for name, size, kind in sections:
        size = len(names) if name == ".shstrtab" else size
        if kind != "-" and kind != kind_before:
            at = -(-at // PAGE) * PAGE
        placed.append((name, at, size, kind))
        at += size
        kind_before = kind
    shoff = -(-at // 8) * 8
    segments: list[list[int]] = []  # [flags, offset, end]
    kind_before = ""
    for _name, off, size, kind in placed:
        if kind == "-":
            kind_before = ""
            continue
        if kind == kind_before:
            segments[-1][2] = off + size
        else:
            segments.append([_FLAGS[kind][0], off, off + size])
        kind_before = kind
    out = bytearray(shoff + 64 * (len(placed) + 1))
    header = b"\x7fELF\x02\x01\x01" + bytes(9)
    names_index = 1 + [n for n, _o, _s, _k in placed].index(".shstrtab")
    header += struct.pack("<HHIQQQIHHHHHH", 2, 62, 1, BASE + PAGE, 64, shoff, 0, 64, 56,
                          len(segments), 64, len(placed) + 1, names_index)
    out[:64] = header
    for i, (flags, off, end) in enumerate(segments):
        struct.pack_into("<IIQQQQQQ", out, 64 + 56 * i, 1, flags, off, BASE + off,
                         BASE + off, end - off, end - off, PAGE)
    elf = Elf(out)
    for i, (name, off, size, kind) in enumerate(placed, start=1):
        loaded = kind != "-"
        typ = _SHT_STRTAB if name == ".shstrtab" else _SHT_PROGBITS
        struct.pack_into("<IIQQQQIIQQ", out, shoff + 64 * i, name_at[name], typ,
                         _FLAGS[kind][1] if loaded else 0, BASE + off if loaded else 0,
                         off, size, 0, 0, 1, 0)
        elf.offset[name], elf.size[name] = off, size
    elf.put(".shstrtab", 0, names)
    return elf
