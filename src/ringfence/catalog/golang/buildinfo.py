"""Read the build information the Go linker embeds in every module-aware binary.

The blob starts with ``\\xff Go buildinf:`` (16-byte aligned), then pointer size and
flags. Go >= 1.18 sets flag bit 2 and stores the Go version and the module info
inline as varint-prefixed strings; older binaries store two pointers to Go string
headers, resolved here through the ELF program headers (sections as a fallback), with a
second read for what the layer walk's excerpt did not keep (``catalog/elfread.py``).
"""

from __future__ import annotations

import struct
from dataclasses import dataclass

from ringfence.catalog.elfread import GO_MAGIC, View, file_offset, go_pointers, view
from ringfence.catalog.elfsections import section_spans
from ringfence.catalog.interface import CatalogError

MAGIC = GO_MAGIC
_HEADER = 32
_INLINE = 0x2
# Go < 1.18 strings read through pointers: a version is a few dozen bytes; modinfo is about
# 100 bytes per module (a 2,000-module program: 200 KiB). Longer is a lie, not a binary.
MAX_VERSION = 4096
MAX_MODINFO = 4 << 20


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
    if header[15] & _INLINE:
        version, end = _varint_bytes(v, start + _HEADER)
        modinfo, _ = _varint_bytes(v, end)
    else:
        version, modinfo = _pointer_strings(v, start)
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


def _pointer_strings(v: View, start: int) -> tuple[bytes, bytes]:
    """Go < 1.18: the blob holds the addresses of two Go string headers (pointer, length),
    which hold the addresses of the strings, mapped to the file through the ``PT_LOAD``
    segments as ``debug/buildinfo`` maps them (sections too, for files made by objcopy).

    Each level is read for both strings at once (:meth:`View.need`), so an excerpt lacking
    them costs one second read per level. A pointer that maps to no bytes of the file, a
    length over the caps, or a header or string lying on the build info header or on its
    own header (a loop) is an error naming it: no string is ever guessed."""
    fields = go_pointers(v.read(start, _HEADER))
    if fields is None:
        raise CatalogError(f"Go build info: bad pointer size {v.read(start + 14, 1)!r}")
    size, order, version_at, modinfo_at = fields
    spans = _Spans(v)
    blob = (start, start + _HEADER)
    heads = []
    for name, addr in (("version", version_at), ("modinfo", modinfo_at)):
        off = spans.offset(addr, 2 * size, name)
        _not_on(blob, off, 2 * size, f"{name} string header", "the build info header")
        heads.append(off)
    v.need((off, off + 2 * size) for off in heads)
    fmt = order + ("II" if size == 4 else "QQ")
    wanted = []
    for name, off, cap in (("version", heads[0], MAX_VERSION),
                           ("modinfo", heads[1], MAX_MODINFO)):
        ptr, length = struct.unpack(fmt, v.read(off, 2 * size))
        if length > cap:
            raise CatalogError(f"Go build info: {name} string of {length} bytes (cap {cap})")
        at = spans.offset(ptr, length, name) if length else 0
        _not_on(blob, at, length, f"{name} string", "the build info header")
        _not_on((off, off + 2 * size), at, length, f"{name} string", "its own header")
        wanted.append((at, length))
    v.need((at, at + n) for at, n in wanted if n)
    version, modinfo = (v.read(at, n) if n else b"" for at, n in wanted)
    return version, modinfo


def _not_on(span: tuple[int, int], at: int, n: int, what: str, where: str) -> None:
    if n and at < span[1] and span[0] < at + n:
        raise CatalogError(f"Go build info: the {what} at file offset {at} lies on {where}")


class _Spans:
    """Virtual address -> file offset: ``PT_LOAD`` segments, then (only when they do not
    map an address) the sections, read with pyelftools."""

    def __init__(self, v: View) -> None:
        self.v = v
        self.segments = v.loads()
        self.sections: list[tuple[int, int, int]] | None = None

    def offset(self, addr: int, n: int, name: str) -> int:
        off = file_offset(self.segments, addr, n)
        if off is None:
            if self.sections is None:
                self.sections = section_spans(self.v)
            off = file_offset(self.sections, addr, n)
        if off is None or off + n > self.v.size:
            raise CatalogError(f"Go build info: {name} address {addr:#x} (+{n} bytes) is not "
                               "in the file")
        return off


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
