"""Parse one rpm header blob, as stored in every rpmdb backend (no lead, no magic).

Layout (big-endian): ``il`` (index entry count), ``dl`` (data length), ``il`` entries of
16 bytes (tag, type, offset, count), then ``dl`` bytes of data. Installed headers start
with a region entry (tag 63) followed by "dribble" entries added at install time; as in
rpm's ``hdrblobImport``, a later entry for the same tag replaces an earlier one.
Every offset and length is checked against ``dl``, so a corrupt blob raises
:class:`CatalogError` and never reads past its end.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass

from ringfence.catalog.interface import CatalogError

# Limits from rpm's header.c (hdrchkTags / hdrchkData).
MAX_TAGS = 0xFFFF
MAX_DATA = 0x0FFFFFFF

# Types (rpmTagType).
_INT32, _INT64, _STRING, _BIN, _STRING_ARRAY, _I18NSTRING = 4, 5, 6, 7, 8, 9
_MAX_TYPE = 9
_ALIGN = {3: 2, 4: 4, 5: 8}

# Tags we read (rpmtag.h).
SIGMD5 = 261
NAME, VERSION, RELEASE, EPOCH, SUMMARY = 1000, 1001, 1002, 1003, 1004
SIZE, VENDOR, LICENSE, ARCH, SOURCERPM = 1009, 1011, 1014, 1022, 1044
LONGSIZE, MODULARITYLABEL = 5009, 5096
# the files a package owns: BASENAMES[i] in DIRNAMES[DIRINDEXES[i]] (OLDFILENAMES before
# rpm 4.0 "compressed file names")
OLDFILENAMES, DIRINDEXES, BASENAMES, DIRNAMES = 1027, 1116, 1117, 1118
_WANTED = frozenset({SIGMD5, NAME, VERSION, RELEASE, EPOCH, SUMMARY, SIZE, VENDOR, LICENSE,
                     ARCH, SOURCERPM, LONGSIZE, MODULARITYLABEL, OLDFILENAMES, DIRINDEXES,
                     BASENAMES, DIRNAMES})


@dataclass(frozen=True, slots=True)
class RpmHeader:
    """The fields of one installed package that a bill of materials needs.

    Absent tags are ``None`` (``rpm -q --qf`` prints them as ``(none)``).
    """

    name: str
    version: str
    release: str
    epoch: int | None = None
    arch: str | None = None
    sourcerpm: str | None = None
    license: str | None = None
    vendor: str | None = None
    modularitylabel: str | None = None
    summary: str | None = None
    size: int | None = None
    sigmd5: str | None = None
    files: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class _Entry:
    tag: int
    type: int
    offset: int
    count: int


def parse_header(blob: bytes) -> RpmHeader:
    """Decode ``blob``; raise :class:`CatalogError` if it is not a sound rpm header."""
    if len(blob) < 8:
        raise CatalogError(f"rpm header of {len(blob)} bytes is too short")
    il, dl = struct.unpack_from(">II", blob, 0)
    if not 1 <= il <= MAX_TAGS or dl > MAX_DATA:
        raise CatalogError(f"rpm header with {il} tags and {dl} data bytes is implausible")
    start = 8 + 16 * il
    if start + dl > len(blob):
        raise CatalogError(f"rpm header truncated: needs {start + dl} bytes, has {len(blob)}")
    data = blob[start:start + dl]
    entries: dict[int, _Entry] = {}
    for tag, type_, offset, count in struct.iter_unpack(">iIiI", blob[8:start]):
        _check(tag, type_, offset, count, dl)
        if tag in _WANTED:
            entries[tag] = _Entry(tag, type_, offset, count)  # later (dribble) entries win
    return _header(_Reader(data, entries))


def _check(tag: int, type_: int, offset: int, count: int, dl: int) -> None:
    if type_ > _MAX_TYPE or not 0 <= offset <= dl or count > dl + 1:
        raise CatalogError(f"rpm header entry for tag {tag} is corrupt "
                           f"(type {type_}, offset {offset}, count {count})")
    if offset % _ALIGN.get(type_, 1):
        raise CatalogError(f"rpm header entry for tag {tag} is misaligned")


def _header(r: _Reader) -> RpmHeader:
    name, version, release = r.string(NAME), r.string(VERSION), r.string(RELEASE)
    if name is None or version is None or release is None:
        raise CatalogError("rpm header without NAME, VERSION or RELEASE")
    size = r.integer(SIZE)
    return RpmHeader(
        name=name, version=version, release=release, epoch=r.integer(EPOCH),
        arch=r.string(ARCH), sourcerpm=r.string(SOURCERPM), license=r.string(LICENSE),
        vendor=r.string(VENDOR), modularitylabel=r.string(MODULARITYLABEL),
        summary=r.string(SUMMARY), size=size if size is not None else r.integer(LONGSIZE),
        sigmd5=r.hex(SIGMD5), files=_files(r),
    )


def _files(r: _Reader) -> tuple[str, ...]:
    bases = r.strings(BASENAMES)
    if not bases:
        return tuple(r.strings(OLDFILENAMES))
    dirs, indexes = r.strings(DIRNAMES), r.int32s(DIRINDEXES)
    if len(indexes) != len(bases) or any(not 0 <= i < len(dirs) for i in indexes):
        raise CatalogError("rpm header file list is inconsistent (BASENAMES, DIRINDEXES, "
                           "DIRNAMES)")
    return tuple(dirs[i] + b for i, b in zip(indexes, bases, strict=True))


class _Reader:
    """Typed, bounds-checked access to the data store of one header."""

    def __init__(self, data: bytes, entries: dict[int, _Entry]) -> None:
        self.data = data
        self.entries = entries

    def string(self, tag: int) -> str | None:
        """A STRING, or the first string of an I18NSTRING / STRING_ARRAY."""
        e = self.entries.get(tag)
        if e is None:
            return None
        if e.type not in (_STRING, _I18NSTRING, _STRING_ARRAY) or e.count < 1:
            raise CatalogError(f"rpm header tag {tag} has type {e.type}, not a string")
        end = self.data.find(b"\0", e.offset)
        if end < 0:
            raise CatalogError(f"rpm header string for tag {tag} is not terminated")
        raw = self.data[e.offset:end]
        try:
            return raw.decode("utf-8")
        except UnicodeDecodeError:  # old headers carry Latin-1 text
            return raw.decode("latin-1")

    def strings(self, tag: int) -> list[str]:
        """Every string of a STRING_ARRAY (``count`` NUL-terminated strings)."""
        e = self.entries.get(tag)
        if e is None:
            return []
        if e.type != _STRING_ARRAY:
            raise CatalogError(f"rpm header tag {tag} has type {e.type}, not a string array")
        out: list[str] = []
        pos = e.offset
        for _ in range(e.count):
            end = self.data.find(b"\0", pos)
            if end < 0:
                raise CatalogError(f"rpm header string array for tag {tag} runs past the data")
            out.append(self.data[pos:end].decode("utf-8", "surrogateescape"))
            pos = end + 1
        return out

    def int32s(self, tag: int) -> list[int]:
        e = self.entries.get(tag)
        if e is None:
            return []
        if e.type != _INT32 or e.offset + 4 * e.count > len(self.data):
            raise CatalogError(f"rpm header tag {tag} is not a sound INT32 array")
        return list(struct.unpack_from(f">{e.count}i", self.data, e.offset))

    def integer(self, tag: int) -> int | None:
        """The first value of an INT32 or INT64 entry."""
        e = self.entries.get(tag)
        if e is None:
            return None
        fmt = {_INT32: ">i", _INT64: ">q"}.get(e.type)
        if fmt is None or e.count < 1:
            raise CatalogError(f"rpm header tag {tag} has type {e.type}, not an integer")
        if e.offset + struct.calcsize(fmt) > len(self.data):
            raise CatalogError(f"rpm header integer for tag {tag} runs past the data")
        value: int = struct.unpack_from(fmt, self.data, e.offset)[0]
        return value

    def hex(self, tag: int) -> str | None:
        """A BIN entry as lowercase hex."""
        e = self.entries.get(tag)
        if e is None:
            return None
        if e.type != _BIN or e.offset + e.count > len(self.data):
            raise CatalogError(f"rpm header binary for tag {tag} is corrupt")
        return self.data[e.offset:e.offset + e.count].hex()


@dataclass(frozen=True, slots=True)
class Blobs:
    """What a database backend yields: header blobs keyed by their record id, and
    problems with records it had to skip."""

    records: tuple[tuple[int, bytes], ...] = ()
    problems: tuple[str, ...] = ()
