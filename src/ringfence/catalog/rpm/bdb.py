"""Berkeley DB hash database: the classic rpmdb ``Packages`` (rpm < 4.16, RHEL <= 8).

Page 0 is the hash metadata page (magic 0x061561, page size, last page number), in
the byte order of the machine that wrote it. Hash pages (types 2 and 13) hold an
array of item offsets: even items are keys (the header instance number), odd items
the values. A header is normally too big to sit on the page, so its value is an
off-page reference (``H_OFFPAGE``) to a chain of overflow pages (type 7) whose
header field ``hf_offset`` tells how many bytes each one holds. Small values sit on
the page (``H_KEYDATA``). Page numbers are checked, and an overflow page belongs to at
most one chain: a chain that loops, or that reaches a page another record's chain already
took (a hostile file pointing every record at one long chain would otherwise be re-walked
and copied per record: records x chain length), is a problem for that record. The whole
walk therefore visits each page at most once and copies at most the file's size.
"""

from __future__ import annotations

import struct

from ringfence.catalog.interface import CatalogError
from ringfence.catalog.rpm.header import Blobs

HASH_MAGIC = 0x061561
_PAGE_SIZES = frozenset(1 << n for n in range(9, 17))  # 512 .. 65536
_PAGE_HEADER = 26
_HASH_PAGES = frozenset({2, 13})  # P_HASH_UNSORTED (rpm on RHEL/CentOS 5), P_HASH
_OVERFLOW = 7
_H_KEYDATA, _H_OFFPAGE = 1, 3


def byte_order(data: bytes) -> str | None:
    """``<`` or ``>`` if ``data`` starts with a hash metadata page, else ``None``."""
    if len(data) < 36:
        return None
    for order in ("<", ">"):
        if struct.unpack_from(order + "I", data, 12)[0] == HASH_MAGIC:
            return order
    return None


def read_blobs(data: bytes) -> Blobs:
    order = byte_order(data)
    if order is None:
        raise CatalogError("not a Berkeley DB hash database")
    db = _Db(data, order)
    records: list[tuple[int, bytes]] = []
    problems: list[str] = []
    for pgno in range(1, db.npages):
        if db.page_type(pgno) in _HASH_PAGES:
            db.hash_page(pgno, records, problems)
    return Blobs(tuple(records), tuple(problems))


class _Db:
    def __init__(self, data: bytes, order: str) -> None:
        self.data = data
        self.order = order
        _, _, page_size, encrypt, _, _, _, _, last = struct.unpack_from(order + "IIIBBBBII",
                                                                        data, 12)
        if page_size not in _PAGE_SIZES:
            raise CatalogError(f"Berkeley DB page size {page_size} is invalid")
        if encrypt:
            raise CatalogError("Berkeley DB is encrypted")
        self.page_size: int = page_size
        if (last + 1) * page_size > len(data):
            raise CatalogError(f"Berkeley DB truncated: {last + 1} pages of {page_size} bytes "
                               f"declared, {len(data)} bytes present")
        self.npages: int = last + 1
        self.claimed: set[int] = set()  # overflow pages already in some record's chain

    def page(self, pgno: int) -> bytes:
        return self.data[pgno * self.page_size:(pgno + 1) * self.page_size]

    def page_type(self, pgno: int) -> int:
        return self.data[pgno * self.page_size + 25]

    def _u16(self, page: bytes, off: int) -> int:
        value: int = struct.unpack_from(self.order + "H", page, off)[0]
        return value

    def _u32(self, page: bytes, off: int) -> int:
        value: int = struct.unpack_from(self.order + "I", page, off)[0]
        return value

    def hash_page(self, pgno: int, records: list[tuple[int, bytes]],
                  problems: list[str]) -> None:
        page = self.page(pgno)
        entries = self._u16(page, 20)
        if entries % 2 or _PAGE_HEADER + 2 * entries > self.page_size:
            problems.append(f"page {pgno}: {entries} hash items is invalid")
            return
        offsets = [self._u16(page, _PAGE_HEADER + 2 * i) for i in range(entries)]
        for i in range(0, entries, 2):
            try:
                key = self._item(page, offsets, i)
                value = self._value(page, offsets, i + 1)
            except CatalogError as exc:
                problems.append(f"page {pgno} item {i // 2}: {exc}")
                continue
            instance = int.from_bytes(key[1:5], "little" if self.order == "<" else "big")
            if value is not None and instance != 0:  # instance 0 holds rpm's own counter
                records.append((instance, value))

    def _item(self, page: bytes, offsets: list[int], i: int) -> bytes:
        end = self.page_size if i == 0 else offsets[i - 1]
        start = offsets[i]
        if not _PAGE_HEADER <= start < end <= self.page_size:
            raise CatalogError(f"item offset {start} out of range")
        return page[start:end]

    def _value(self, page: bytes, offsets: list[int], i: int) -> bytes | None:
        item = self._item(page, offsets, i)
        if item[0] == _H_KEYDATA:
            return item[1:]
        if item[0] != _H_OFFPAGE or len(item) < 12:
            raise CatalogError(f"unsupported hash item type {item[0]}")
        return self._overflow(self._u32(item, 4), self._u32(item, 8))

    def _overflow(self, pgno: int, total: int) -> bytes:
        chunks: list[bytes] = []
        seen: set[int] = set()
        size = 0
        while pgno:
            if pgno in seen or not 0 < pgno < self.npages:
                raise CatalogError(f"overflow chain reaches bad page {pgno}")
            if pgno in self.claimed:
                raise CatalogError(f"overflow page {pgno} already belongs to another record")
            seen.add(pgno)
            self.claimed.add(pgno)
            page = self.page(pgno)
            if page[25] != _OVERFLOW:
                raise CatalogError(f"page {pgno} in an overflow chain has type {page[25]}")
            used = self._u16(page, 22)
            if _PAGE_HEADER + used > self.page_size:
                raise CatalogError(f"overflow page {pgno} claims {used} bytes")
            chunks.append(page[_PAGE_HEADER:_PAGE_HEADER + used])
            size += used
            pgno = self._u32(page, 16)
        if size != total:
            raise CatalogError(f"overflow chain holds {size} bytes, expected {total}")
        return b"".join(chunks)
