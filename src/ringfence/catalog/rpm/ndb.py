"""NDB: SUSE's rpmdb ``Packages.db`` (rpm's ``lib/backend/ndb/rpmpkg.c``), little-endian.

The file starts with ``SlotNPages`` pages of 4096 bytes: a 32-byte header (magic
``RpmP``, version 0, generation, slot page count, ...) and then 16-byte slots (magic
``Slot``, package index, block offset, block count); index 0 marks a free slot. Blocks
are 16 bytes: a package's blob starts at ``offset * 16`` with a 16-byte blob header
(magic ``BlbS``, package index, generation, length) followed by the header blob.
Blobs may not overlap: slots pointing into one blob (a hostile file could point every
slot at one large blob, copying it per slot) are problems, so at most the file's size
is copied.
"""

from __future__ import annotations

import struct

from ringfence.catalog.interface import CatalogError
from ringfence.catalog.rpm.header import Blobs

HEADER_MAGIC = b"RpmP"
_SLOT_MAGIC = b"Slot"
_BLOB_MAGIC = b"BlbS"
_PAGE = 4096
_BLOCK = 16
_MAX_SLOT_PAGES = 2048  # as go-rpmdb: a guard against absurd headers


def is_ndb(data: bytes) -> bool:
    return data.startswith(HEADER_MAGIC)


def read_blobs(data: bytes) -> Blobs:
    if len(data) < 32 or not is_ndb(data):
        raise CatalogError("not an NDB Packages.db")
    version, _generation, npages = struct.unpack_from("<III", data, 4)
    if version != 0:
        raise CatalogError(f"NDB version {version} is not supported")
    if not 0 < npages <= _MAX_SLOT_PAGES or npages * _PAGE > len(data):
        raise CatalogError(f"NDB slot page count {npages} does not fit a file of "
                           f"{len(data)} bytes")
    records: list[tuple[int, bytes]] = []
    problems: list[str] = []
    slots: list[tuple[int, int, int]] = []  # (first block, block count, package index)
    for off in range(32, npages * _PAGE, 16):  # the header takes the first two slots
        magic, index, block, nblocks = struct.unpack_from("<4sIII", data, off)
        if magic != _SLOT_MAGIC:
            problems.append(f"slot at byte {off}: bad magic {magic!r}")
            continue
        if index != 0:
            slots.append((block, nblocks, index))
    end_of_previous, previous = 0, 0
    for block, nblocks, index in sorted(slots):
        if block < end_of_previous:
            problems.append(f"package {index}: blocks {block}+{nblocks} overlap package "
                            f"{previous}")
            continue
        try:
            records.append((index, _blob(data, npages * _PAGE, index, block, nblocks)))
        except CatalogError as exc:
            problems.append(f"package {index}: {exc}")
            continue
        end_of_previous, previous = block + nblocks, index
    records.sort(key=lambda r: r[0])
    return Blobs(tuple(records), tuple(problems))


def _blob(data: bytes, slots_end: int, index: int, block: int, nblocks: int) -> bytes:
    start = block * _BLOCK
    end = start + nblocks * _BLOCK
    if start < slots_end or end > len(data) or nblocks < 2:
        raise CatalogError(f"blocks {block}+{nblocks} lie outside the file")
    magic, owner, _generation, length = struct.unpack_from("<4sIII", data, start)
    if magic != _BLOB_MAGIC or owner != index:
        raise CatalogError(f"blob at block {block} has magic {magic!r} and owner {owner}")
    if 16 + length > end - start:
        raise CatalogError(f"blob length {length} exceeds its {nblocks} blocks")
    return data[start + 16:start + 16 + length]

