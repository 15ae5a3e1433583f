"""Hostile rpm databases (issue 18): Berkeley DB records that all point at one long
overflow chain (re-walked and copied per record: 19,300 records x 4 MiB needed > 4 GiB
and died with MemoryError after 20 s), overflow chains that loop, and NDB slots that all
point into one blob. Each must finish in bounded memory with the bad records as Unknowns."""

from __future__ import annotations

import struct
from pathlib import Path

from tests.unit.hostile_platform.cli import run_child

PAGE = 4096


def _bdb(chain_pages: int, hash_pages: int, cycle: bool = False) -> bytes:
    """A little-endian BDB hash file: ``chain_pages`` overflow pages in one chain (looping
    back to its start when ``cycle``), then ``hash_pages`` full hash pages whose every
    record refers to that chain."""
    npages = 1 + chain_pages + hash_pages
    meta = bytearray(PAGE)
    struct.pack_into("<IIIBBBBII", meta, 12, 0x061561, 9, PAGE, 0, 8, 0, 0, 0, npages - 1)
    pages = [meta]
    for i in range(chain_pages):
        page = bytearray(PAGE)
        nxt = 2 + i if i + 1 < chain_pages else (1 if cycle else 0)
        struct.pack_into("<IHB", page, 16, nxt, 0, 0)
        struct.pack_into("<H", page, 22, PAGE - 26)
        page[25] = 7  # P_OVERFLOW
        pages.append(page)
    total = chain_pages * (PAGE - 26)
    instance = 1
    for _ in range(hash_pages):
        page = bytearray(PAGE)
        page[25] = 13  # P_HASH
        pairs = (PAGE - 26) // 21
        struct.pack_into("<H", page, 20, 2 * pairs)
        end, offsets = PAGE, []
        for _ in range(pairs):
            key = b"\x01" + struct.pack("<I", instance)
            value = b"\x03\x00\x00\x00" + struct.pack("<II", 1, total)  # H_OFFPAGE -> page 1
            instance += 1
            for item in (key, value):
                page[end - len(item):end] = item
                end -= len(item)
                offsets.append(end)
        for i, off in enumerate(offsets):
            struct.pack_into("<H", page, 26 + 2 * i, off)
        pages.append(page)
    return b"".join(pages)


def _ndb(slots: int, blob_blocks: int) -> bytes:
    """An NDB file whose ``slots`` slots (all claiming package 1) point at one blob of
    ``blob_blocks`` blocks."""
    npages = 1 + (slots * 16 + 32) // PAGE
    head = bytearray(npages * PAGE)
    struct.pack_into("<4sIII", head, 0, b"RpmP", 0, 1, npages)
    first_block = npages * PAGE // 16
    for off in range(32, npages * PAGE, 16):  # free slots: magic, index 0
        struct.pack_into("<4s", head, off, b"Slot")
    for i in range(slots):
        struct.pack_into("<4sIII", head, 32 + 16 * i, b"Slot", 1, first_block, blob_blocks)
    blob = bytearray(blob_blocks * 16)
    struct.pack_into("<4sIII", blob, 0, b"BlbS", 1, 1, len(blob) - 16)
    return bytes(head) + bytes(blob)


def _sbom(tmp_path: Path, name: str, data: bytes) -> tuple[int, list[dict[str, str]], str]:
    root = tmp_path / "root"
    db = root / "var/lib/rpm" / name
    db.parent.mkdir(parents=True)
    db.write_bytes(data)
    got = run_child("sbom", f"dir:{root}", "-f", "json", "--no-cache", timeout=300)
    assert "Traceback" not in got.err and got.rc == 0, got.err[-3000:]
    unknowns = [u for u in got.json()["unknowns"] if u["plugin"] == "rpm"]
    return got.rc, unknowns, got.err


def test_records_sharing_one_overflow_chain(tmp_path: Path) -> None:
    _, unknowns, _ = _sbom(tmp_path, "Packages", _bdb(1_000, 100))  # 4.5 MB file
    reasons = [u["reason"] for u in unknowns]
    assert sum("already belongs to another record" in r for r in reasons) == 100
    assert [r for r in reasons if r.startswith("... and ")] == ["... and 19200 more problems"]


def test_overflow_chain_that_loops(tmp_path: Path) -> None:
    _, unknowns, _ = _sbom(tmp_path, "Packages", _bdb(50, 1, cycle=True))
    assert any("overflow chain reaches bad page 1" in u["reason"] for u in unknowns)


def test_ndb_slots_sharing_one_blob(tmp_path: Path) -> None:
    _, unknowns, _ = _sbom(tmp_path, "Packages.db", _ndb(20_000, 1 << 16))  # 1 MiB blob
    reasons = [u["reason"] for u in unknowns]
    assert any("overlap package 1" in r for r in reasons)
    assert any(r.startswith("... and ") for r in reasons) and len(reasons) <= 101
