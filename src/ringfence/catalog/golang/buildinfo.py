"""Read the build information the Go linker embeds in every module-aware binary.

The blob starts with ``\\xff Go buildinf:`` (16-byte aligned), then pointer size and
flags. Go >= 1.18 sets flag bit 2 and stores the Go version and the module info
inline as varint-prefixed strings; older binaries store two pointers to Go string
headers, resolved here through the ELF section/segment tables (pyelftools).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from elftools.elf.elffile import ELFFile

from dataclasses import dataclass
from typing import Literal

from ringfence.catalog.elfread import GO_MAGIC, View, view
from ringfence.catalog.interface import CatalogError

MAGIC = GO_MAGIC
_HEADER = 32
_INLINE = 0x2
_BIG_ENDIAN = 0x1


@dataclass(frozen=True, slots=True)
class Module:
    path: str
    version: str
    sum: str = ""
    replace: Module | None = None


@dataclass(frozen=True, slots=True)
class BuildInfo:
    go_version: str
    path: str
    main: Module | None
    deps: tuple[Module, ...]
    settings: tuple[tuple[str, str], ...]


def read(data: bytes) -> BuildInfo | None:
    """Build info of a Go binary, or None when ``data`` holds none. ``data`` is the whole
    file or the bounded excerpt the layer walk kept of it (``catalog/elfread.py``)."""
    v = view(data)
    start = v.go_at
    if start < 0:
        return None
    header = v.read(start, _HEADER)
    if len(header) < _HEADER:
        raise CatalogError("Go build info: truncated header")
    ptr_size, flags = header[14], header[15]
    if flags & _INLINE:
        version, end = _varint_bytes(v, start + _HEADER)
        modinfo, _ = _varint_bytes(v, end)
    else:
        if ptr_size not in (4, 8):
            raise CatalogError(f"Go build info: bad pointer size {ptr_size}")
        version, modinfo = _pointer_strings(v, start, ptr_size, bool(flags & _BIG_ENDIAN))
    return parse_modinfo(version.decode("utf-8", "replace"),
                         _strip_sentinels(modinfo).decode("utf-8", "replace"))


def _uvarint(v: View, at: int) -> tuple[int, int]:
    raw = v.read(at, 10)
    value = shift = 0
    for i, b in enumerate(raw):
        value |= (b & 0x7F) << shift
        if not b & 0x80:
            return value, at + i + 1
        shift += 7
    raise CatalogError("Go build info: truncated varint")


def _varint_bytes(v: View, at: int) -> tuple[bytes, int]:
    n, at = _uvarint(v, at)
    if at + n > v.size:
        raise CatalogError("Go build info: string runs past the end of the file")
    return v.read(at, n), at + n


def _pointer_strings(v: View, start: int, size: int, big: bool) -> tuple[bytes, bytes]:
    order: Literal["big", "little"] = "big" if big else "little"
    try:
        from elftools.common.exceptions import ELFError  # pyelftools: loaded only here
        from elftools.elf.elffile import ELFFile

        elf = ELFFile(v.stream())
        spans = _address_spans(elf)
    except (ELFError, ValueError, OSError) as exc:
        raise CatalogError(f"Go build info in a non-ELF file: {exc}") from exc

    def at(addr: int, n: int) -> bytes:
        for vaddr, offset, length in spans:
            if vaddr <= addr and addr + n <= vaddr + length:
                return v.read(offset + addr - vaddr, n)
        raise CatalogError(f"Go build info: address {addr:#x} is not in the file")

    def string(ptr_field: int) -> bytes:
        header = int.from_bytes(v.read(ptr_field, size), order)
        raw = at(header, 2 * size)
        ptr, length = int.from_bytes(raw[:size], order), int.from_bytes(raw[size:], order)
        return at(ptr, length) if length else b""

    return string(start + 16), string(start + 16 + size)


def _address_spans(elf: ELFFile) -> list[tuple[int, int, int]]:
    spans = [(s["sh_addr"], s["sh_offset"], s["sh_size"]) for s in elf.iter_sections()
             if s["sh_addr"] and s["sh_type"] != "SHT_NOBITS"]
    spans += [(p["p_vaddr"], p["p_offset"], p["p_filesz"]) for p in elf.iter_segments()
              if p["p_type"] == "PT_LOAD"]
    return spans


def _strip_sentinels(mod: bytes) -> bytes:
    # The linker wraps modinfo in 16-byte sentinels (runtime/debug: modinfo[16:len-16]).
    if len(mod) >= 33 and mod[-17:-16] == b"\n":
        return mod[16:-16]
    return b""


def parse_modinfo(go_version: str, text: str) -> BuildInfo:
    """Parse ``path``/``mod``/``dep``/``=>``/``build`` lines (runtime/debug format)."""
    path, main = "", None
    deps: list[Module] = []
    settings: list[tuple[str, str]] = []
    for line in text.splitlines():
        word, _, rest = line.partition("\t")
        fields = rest.split("\t")
        if word == "path":
            path = rest
        elif word in ("mod", "dep") and len(fields) >= 2:
            mod = Module(fields[0], fields[1], fields[2] if len(fields) > 2 else "")
            if word == "mod":
                main = mod
            else:
                deps.append(mod)
        elif word == "=>" and len(fields) >= 2 and deps:
            rep = Module(fields[0], fields[1], fields[2] if len(fields) > 2 else "")
            last = deps.pop()
            deps.append(Module(last.path, last.version, last.sum, rep))
        elif word == "build":
            key, _, value = rest.partition("=")
            settings.append((key.strip('"'), value.strip('"')))
    return BuildInfo(go_version, path, main, tuple(deps), tuple(settings))
