"""A minimal, strict, streaming tar reader.

Why not :mod:`tarfile`: in stream mode it moves data through 10 KiB slices and
re-slices its buffer, which costs about one second of pure Python per 600 MB layer —
more than decompressing it. This reader parses the 512-byte headers (ustar, GNU long
names/links, pax extended and global headers, base-256 numbers), skips member data
in large reads into one reusable buffer, and never seeks, so it works on any stream.
"""

from __future__ import annotations

import functools
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, BinaryIO

BLOCK = 512
_ZERO_BLOCK = bytes(BLOCK)
# what one ``read`` of the underlying stream asks for (the decompressor thread hands over
# chunks of this size; see layers/streams.py)
_CHUNK = 1 << 20

REGTYPES = frozenset((b"0", b"\0", b"7"))
LNKTYPE, SYMTYPE, CHRTYPE, BLKTYPE, DIRTYPE, FIFOTYPE = b"1", b"2", b"3", b"4", b"5", b"6"
GNU_LONGNAME, GNU_LONGLINK, PAX_HEADER, PAX_GLOBAL, GNU_SPARSE = b"L", b"K", b"x", b"g", b"S"
_NO_DATA = frozenset((LNKTYPE, SYMTYPE, CHRTYPE, BLKTYPE, DIRTYPE, FIFOTYPE))
MAX_META = 1 << 20  # a long name or pax header bigger than this is hostile
# Largest member size accepted (8 EiB is what an 11-digit octal field cannot express; a
# base-256 or pax size past 2**62 is a lie meant to overflow arithmetic or buffers).
MAX_MEMBER_SIZE = 1 << 62


class TarFormatError(Exception):
    """The stream is not a well-formed tar archive."""


@dataclass(slots=True)
class Member:
    name: str
    type: bytes
    size: int
    mode: int
    uid: int
    gid: int
    linkname: str

    def isreg(self) -> bool:
        return self.type in REGTYPES or self.type == GNU_SPARSE

    def isdir(self) -> bool:
        return self.type == DIRTYPE

    def issym(self) -> bool:
        return self.type == SYMTYPE

    def islnk(self) -> bool:
        return self.type == LNKTYPE


def _num(field: bytes) -> int:
    if field and field[0] & 0x80:  # base-256 (GNU) for large values
        value = int.from_bytes(field[1:], "big")
        return -value if field[0] & 0x40 else value
    try:  # the common field (digits, then NULs or spaces): the same value as below
        return int(field.rstrip(b" \0") or b"0", 8)
    except ValueError:
        pass
    text = field.split(b"\0", 1)[0].strip(b" \0")
    if not text:
        return 0
    try:
        return int(text, 8)
    except ValueError:
        raise TarFormatError(f"bad numeric field {field!r}") from None


@functools.lru_cache(maxsize=1024)
def _ids(fields: bytes) -> tuple[int, int, int]:
    """(mode, uid, gid) of a header's bytes 100-124, by :func:`_num`, remembered: the same
    few triples repeat in nearly every header (three parses a member were 0.15 s of the
    100,000-member layer of bench/sbom.py's many-files image; one cache hit of one slice
    is 0.15 us, three were 0.43). Bounded: a hostile archive with distinct values in every
    header only evicts."""
    return _num(fields[0:8]), _num(fields[8:16]), _num(fields[16:24])


def _pax_int(attrs: dict[str, str], key: str, default: int) -> int:
    if key not in attrs:
        return default
    try:
        return int(attrs[key])
    except ValueError:
        raise TarFormatError(f"bad pax {key} {attrs[key][:40]!r}") from None


def _check_size(size: int) -> int:
    if size < 0:
        raise TarFormatError(f"member declares size {size}")
    if size > MAX_MEMBER_SIZE:
        raise TarFormatError(f"member declares an absurd size ({size} bytes)")
    return size


def _str(field: bytes) -> str:
    return field.split(b"\0", 1)[0].decode("utf-8", "surrogateescape")


def _byte_sum(block: bytes) -> int:
    """Sum of the bytes of one 512-byte header, exactly: the low half of Adler-32 is
    1 + the byte sum mod 65521, and a 256-byte half sums to at most 65,280, so each half's
    sum is read back without wrapping. Why not ``sum(block)``: it iterates 512 Python ints,
    ~9 us a header, most of the reader's per-member cost (0.88 s for 100,000 members);
    this is ~1.5 us."""
    return (zlib.adler32(block[:256]) & 0xFFFF) + (zlib.adler32(block[256:]) & 0xFFFF) - 2


def _checksum_ok(header: bytes) -> bool:
    stored = _num(header[148:156])
    # the checksum field counts as spaces
    unsigned = _byte_sum(header) - (zlib.adler32(header[148:156]) & 0xFFFF) + 1 + 256
    if stored == unsigned:
        return True
    signed = sum(b - 256 if b > 127 else b for b in header[:148] + header[156:]) + 256
    return stored == signed


def _parse_pax(data: bytes) -> dict[str, str]:
    out: dict[str, str] = {}
    pos = 0
    while pos < len(data):
        space = data.find(b" ", pos)
        if space < 0:
            break
        try:
            length = int(data[pos:space])
        except ValueError:
            raise TarFormatError("malformed pax header") from None
        if length <= 0 or pos + length > len(data):
            raise TarFormatError("malformed pax record length")
        record = data[space + 1: pos + length - 1]
        key, _, value = record.partition(b"=")
        out[key.decode("utf-8", "surrogateescape")] = value.decode("utf-8", "surrogateescape")
        pos += length
    return out


class TarReader:
    """Iterate members; after each, call :meth:`read_data` or let it be skipped.

    The reader keeps the last chunk ``stream.read`` returned and parses headers out of it:
    a member's data is skipped by moving an offset, not by copying it (per member that was
    two buffered reads and a ``readinto`` of its data: 0.52 of the 0.75 s it took to read
    the 100,000-member layer of bench/sbom.py's many-files image; now 0.3 s, see
    :data:`_CHUNK`). Data is copied only when it is read.
    """

    def __init__(self, stream: BinaryIO) -> None:
        self._s = stream
        self._buf = b""  # the current chunk; bytes before ``_pos`` are consumed
        self._pos = 0
        self._pending = 0  # bytes of the current member's data (+padding) not yet consumed
        self._global: dict[str, str] = {}

    def _take(self, n: int) -> bytes:
        """The next ``n`` bytes (fewer only at the end of the stream)."""
        pos, end = self._pos, self._pos + n
        if end <= len(self._buf):
            self._pos = end
            return self._buf[pos:end]
        parts = [self._buf[pos:]]
        have = len(parts[0])
        self._buf, self._pos = b"", 0
        while have < n:
            chunk = self._s.read(_CHUNK)
            if not chunk:
                break
            need = n - have
            if len(chunk) > need:  # keep the rest: the next header is usually in it
                parts.append(chunk[:need])
                self._buf, self._pos = chunk, need
                have = n
            else:
                parts.append(chunk)
                have += len(chunk)
        return b"".join(parts)

    def _read_exact(self, n: int) -> bytes:
        data = self._take(n)
        if len(data) != n:
            raise TarFormatError(f"unexpected end of archive (wanted {n} bytes, got {len(data)})")
        return data

    def _skip(self, n: int) -> None:
        left = len(self._buf) - self._pos
        if n <= left:
            self._pos += n
            return
        n -= left
        self._buf, self._pos = b"", 0
        while n > 0:
            chunk = self._s.read(_CHUNK)
            if not chunk:
                raise TarFormatError("unexpected end of archive inside a member")
            if len(chunk) > n:
                self._buf, self._pos = chunk, n
                return
            n -= len(chunk)

    def _chunks(self, size: int) -> Iterator[bytes]:
        """The next ``size`` bytes in pieces of at most :data:`_CHUNK`, each read when
        asked for."""
        left = size
        while left > 0:
            if self._pos >= len(self._buf):
                self._buf, self._pos = self._s.read(_CHUNK), 0
                if not self._buf:
                    raise TarFormatError("unexpected end of archive inside a member")
            piece = self._take(min(left, len(self._buf) - self._pos))
            left -= len(piece)
            yield piece

    def read_head(self, n: int) -> bytes:
        """Read the first ``n`` bytes of the current member's data; then call
        :meth:`read_data` or :meth:`digest_data` with what is left, or let it be skipped."""
        data = self._read_exact(n)
        self._pending -= n
        return data

    def read_data(self, size: int) -> bytes:
        """Read the current member's data (``size`` bytes) and its padding."""
        data = self._read_exact(size)
        self._skip(self._pending - size)
        self._pending = 0
        return data

    def iter_data(self, size: int) -> Iterator[bytes]:
        """The current member's next ``size`` bytes in chunks of at most 1 MiB, each read
        when asked for and never kept here; stopping early is fine (the rest is skipped
        with the member)."""
        for chunk in self._chunks(size):
            self._pending -= len(chunk)
            yield chunk

    def digest_data(self, size: int, hashers: list[Any]) -> None:
        """Stream the current member's data (``size`` bytes) through ``hashers`` (hashlib
        objects) in chunks, never holding it whole, then skip its padding."""
        for chunk in self._chunks(size):
            for h in hashers:
                h.update(chunk)
        self._skip(self._pending - size)
        self._pending = 0

    def __iter__(self) -> Iterator[Member]:
        pax: dict[str, str] = {}
        longname: str | None = None
        longlink: str | None = None
        while True:
            if self._pending:
                self._skip(self._pending)
                self._pending = 0
            header = self._take(BLOCK)
            if len(header) < BLOCK or header == _ZERO_BLOCK:
                if header and len(header) < BLOCK:
                    raise TarFormatError("truncated header")
                return  # end of archive (zero block or clean EOF)
            if not _checksum_ok(header):
                raise TarFormatError("header checksum mismatch")
            typ = header[156:157]
            size = _check_size(_num(header[124:136]))
            padded = (size + BLOCK - 1) // BLOCK * BLOCK
            if typ in (GNU_LONGNAME, GNU_LONGLINK, PAX_HEADER, PAX_GLOBAL):
                if size > MAX_META:
                    raise TarFormatError(f"metadata header of {size} bytes")
                meta = self._read_exact(padded)[:size]
                if typ == GNU_LONGNAME:
                    longname = _str(meta)
                elif typ == GNU_LONGLINK:
                    longlink = _str(meta)
                elif typ == PAX_HEADER:
                    pax = _parse_pax(meta)
                else:
                    self._global.update(_parse_pax(meta))
                continue
            name = _str(header[0:100])
            # POSIX ustar: the name may be split (an empty prefix starts with NUL)
            if header[345] and header[257:265] == b"ustar\x0000":
                prefix = _str(header[345:500])
                if prefix:
                    name = f"{prefix}/{name}"
            attrs = {**self._global, **pax} if self._global or pax else pax
            if attrs:
                name = longname or attrs.get("path") or name
                link = longlink or attrs.get("linkpath") or _str(header[157:257])
                if "size" in attrs:
                    size = _check_size(_pax_int(attrs, "size", size))
                    padded = (size + BLOCK - 1) // BLOCK * BLOCK
                mode, uid, gid = _ids(header[100:124])
                uid = _pax_int(attrs, "uid", uid)
                gid = _pax_int(attrs, "gid", gid)
            else:  # the usual member: no pax attributes (an empty link starts with NUL)
                name = longname or name
                link = longlink or (_str(header[157:257]) if header[157] else "")
                mode, uid, gid = _ids(header[100:124])
            member = Member(name, typ, size, mode, uid, gid, link)
            pax, longname, longlink = {}, None, None
            if typ in _NO_DATA:
                self._pending = 0
                if typ != LNKTYPE:
                    member.size = 0
            else:
                self._pending = padded
            yield member
