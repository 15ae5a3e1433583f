#!/usr/bin/env python3
"""Where a cold ``sbom`` spends its time, stage by stage, against the isal floor (issue 12).

    python3 bench/cold_profile.py [--images DIR] [--only NAME ...] [--many-files N]
                                  [--repeat N]

For each fixture image (and ``manyfiles``, built as ``bench/sbom.py`` builds it): every
stage of a cold scan is run alone, in this process, on one thread, over the same bytes, and
its CPU time (``time.thread_time``) is printed in seconds, as a fraction of the isal floor
(inflating every gzip layer with isal from its file: ``bench/sbom.py``'s ``cold/isal``
denominator) and in microseconds per tar member. Each figure is the median of ``--repeat``
runs. Stages, each measured over what the one before produced (kept in memory):

- ``read``: the blob file in 1 MiB reads (page cache: the disk is not measured);
- ``blob sha256``: the digest of the blob as stored;
- ``inflate``: isal, from memory;
- ``diffID sha256``: the digest of the tar;
- ``tar headers``: ``layers/tarstream.TarReader`` over the tar, every member skipped;
- ``walk``: ``layers/walk.walk_tar`` as a scan runs it (the catalogers' wants, the
  content sniff, wanted files read) with a sink that does nothing, minus ``tar headers``:
  path normalisation, entries, cataloger dispatch, wanted files read; two of its parts are
  also timed alone and shown indented (inside ``walk``, not added): ``normalize`` of every
  member name and ``wants`` (``LayerCatalog.wants``) of every regular file;
- ``catalogers``: the same walk into ``LayerCatalog.add`` (parsers, records), minus
  ``walk``; ``result``: ``LayerCatalog.result``;
- ``cache write``: ``LayerCache.put`` of every layer's result (a new cache directory);
- ``merge``: symlinked package databases followed, layers merged (``scan.merge_image``);
- ``render``: the ``-f json`` document.

Summed: the verified floor (read, both digests, inflate: what any verified cold scan does),
the Python part (the rest), and a lower bound on this machine's cores: the stages before
the cache write spread over the cores, but never less than the busiest of one layer's
threads (``layers/analyze._stream_layer``: blob, inflate, diffID, walk) nor than the Python
stages of all layers (one thread runs Python at a time), then the cache write, merge and
render. Then the scan as it really runs (``scan.scan_image`` with an empty cache, in this
process, threads and all, plus the render), ``--repeat`` times: its wall time and process
CPU time; and ``ringfence sbom -f json`` as a process (``start-up``: the difference, the
interpreter, imports and what a first run in a process pays). Shared machine: compare
within one run; the ratios are what matters.
"""

from __future__ import annotations

import argparse
import glob
import hashlib
import io
import os
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).parent))
from sbom import DEFAULT_DIR, IMAGES, build_many_files  # bench/sbom.py, beside this

CHUNK = 1 << 20


def _cpu(fn: Callable[[], Any]) -> tuple[float, Any]:
    start = time.thread_time()
    value = fn()
    return time.thread_time() - start, value


def floor_seconds(image: Path) -> float:
    """CPU seconds to inflate every gzip blob of ``image`` from its file with isal (the
    denominator of bench/sbom.py's cold/isal)."""
    from isal import igzip

    def run() -> None:
        for blob in glob.glob(str(image / "blobs" / "sha256" / "*")):
            with open(blob, "rb") as f:
                if f.read(2) != b"\x1f\x8b":
                    continue
            with igzip.open(blob, "rb") as g:
                while g.read(CHUNK):
                    pass

    return _cpu(run)[0]


class _Chunks(io.RawIOBase):
    """A stream handing over the given chunks, one per read (as the layer reader thread
    hands over what it inflated)."""

    def __init__(self, chunks: list[bytes]) -> None:
        self._it: Iterator[bytes] = iter(chunks)

    def readable(self) -> bool:
        return True

    def read(self, size: int | None = -1) -> bytes:
        return next(self._it, b"")


def layer_stages(source: Any, layer: Any, catalogers: tuple[Any, ...], limits: Any
                 ) -> tuple[dict[str, float], int, Any]:
    """CPU seconds of each per-layer stage, the member count and the layer's result."""
    from isal import igzip

    from ringfence.image.paths import normalize
    from ringfence.layers.collect import LayerCatalog
    from ringfence.layers.tarstream import TarReader
    from ringfence.layers.walk import walk_tar

    t: dict[str, float] = {}
    stream = source.open_layer(layer)

    def read() -> list[bytes]:
        with stream:
            return list(iter(lambda: stream.read(CHUNK), b""))

    t["read"], blob = _cpu(read)

    def sha(chunks: list[bytes]) -> None:
        h = hashlib.sha256()
        for c in chunks:
            h.update(c)

    t["blob sha256"], _ = _cpu(lambda: sha(blob))
    packed = b"".join(blob)
    blob = []  # freed: the blob is in ``packed`` now
    if packed[:2] == b"\x1f\x8b":
        def inflate(keep: list[bytes] | None) -> list[bytes] | None:
            g = igzip.GzipFile(fileobj=io.BytesIO(packed), mode="rb")
            while chunk := g.read(CHUNK):
                if keep is not None:
                    keep.append(chunk)
            return keep

        # timed without keeping the chunks (as the floor: new pages are not charged)
        t["inflate"], _ = _cpu(lambda: inflate(None))
        raw = inflate([]) or []
    else:
        t["inflate"], raw = 0.0, [packed[i:i + CHUNK] for i in range(0, len(packed), CHUNK)]
    packed = b""  # freed
    t["diffID sha256"], _ = _cpu(lambda: sha(raw))
    t["tar headers"], _ = _cpu(lambda: sum(1 for _m in TarReader(_Chunks(raw))))  # type: ignore[arg-type]
    names = [(m.name, m.size, m.isreg()) for m in TarReader(_Chunks(raw))]  # type: ignore[arg-type]
    lc = LayerCatalog(layer.diff_id, catalogers)
    # parts of ``walk``, timed alone over the same names: a member's path, and whether
    # some cataloger wants a regular file (the dispatch)
    t["  normalize"], paths = _cpu(lambda: [normalize(n) for n, _s, _r in names])
    files = [(p, s) for p, (_n, s, reg) in zip(paths, names, strict=True) if reg]
    t["  wants"], _ = _cpu(lambda: [lc.wants(p, s) for p, s in files])

    def walk(add: bool) -> Any:
        lc = LayerCatalog(layer.diff_id, catalogers)
        sink = lc.add if add else (lambda _e: None)
        for entry in walk_tar(_Chunks(raw), "profile", lc.wants, limits, lc.digests,  # type: ignore[arg-type]
                              lc, lc.retain):
            sink(entry)
        return lc

    t["walk"], _ = _cpu(lambda: walk(False))
    t["catalogers"], lc = _cpu(lambda: walk(True))
    t["result"], result = _cpu(lc.result)
    t["catalogers"] -= t["walk"]
    t["walk"] -= t["tar headers"]
    return t, len(names), result


STAGES = ("read", "blob sha256", "inflate", "diffID sha256", "tar headers", "walk",
          "  normalize", "  wants", "catalogers", "result", "cache write", "merge", "render")
# the threads a layer is read by (layers/analyze._stream_layer) and their stages: the
# slowest thread of the largest layer bounds a scan's wall time however many cores it has
THREADS = {"blob": ("read", "blob sha256"), "inflate": ("inflate",),
           "diffID": ("diffID sha256",), "walk": ("tar headers", "walk", "catalogers", "result")}


def image_stages(image: Path) -> tuple[dict[str, float], int, float]:
    """CPU seconds of every stage over all layers of ``image``, its member count, and the
    CPU seconds of the busiest of the threads reading one of its layers (:data:`THREADS`)."""
    from ringfence.cache.layer_cache import LayerCache
    from ringfence.cli.formats import renderer_for
    from ringfence.image.reference import parse_reference
    from ringfence.image.resolve import OpenOptions, open_image
    from ringfence.scan import ScanOptions, layer_variant, merge_image

    options = ScanOptions()
    source = open_image(parse_reference(f"oci:{image}"), OpenOptions())
    totals = dict.fromkeys(STAGES, 0.0)
    members = 0
    results = []
    busiest = 0.0
    try:
        for layer in source.info().layers:
            t, n, result = layer_stages(source, layer, options.for_image(), options.limits)
            members += n
            results.append(result)
            for k, v in t.items():
                totals[k] += v
            busiest = max(busiest, *(sum(t[k] for k in ks) for ks in THREADS.values()))
        with tempfile.TemporaryDirectory() as tmp:
            cache = LayerCache(Path(tmp))
            variant = layer_variant(options)
            totals["cache write"], _ = _cpu(lambda: [
                cache.put(variant, f"sha256:{i:064x}", r) for i, r in enumerate(results)])
            cache.close()
        totals["merge"], scanned = _cpu(lambda: merge_image(source, results, options))
        totals["render"], _ = _cpu(lambda: renderer_for("json").render(scanned))
    finally:
        source.close()
    return totals, members, busiest


def real_scan(image: Path) -> tuple[float, float]:
    """Wall and process CPU seconds of a cold scan in this process, render included."""
    from ringfence.cli.formats import renderer_for
    from ringfence.scan import ScanOptions, scan_image

    with tempfile.TemporaryDirectory() as tmp:
        wall, cpu = time.perf_counter(), time.process_time()
        result = scan_image(f"oci:{image}", ScanOptions(cache_dir=Path(tmp)))
        renderer_for("json").render(result)
        return time.perf_counter() - wall, time.process_time() - cpu


def cli_seconds(image: Path, work: Path) -> float:
    """Wall seconds of ``ringfence sbom -f json`` with an empty cache, as a process (the
    bytecode cache filled by an untimed run first, as bench/sbom.py does)."""
    from measure import measured  # bench/measure.py
    from sbom import installed_env

    extra = installed_env(work)  # first: it drops PYTHONDONTWRITEBYTECODE from os.environ
    env = {**os.environ, **extra}
    cache = work / "cache"
    argv = [sys.executable, "-m", "ringfence.cli.main", "sbom", f"oci:{image}", "-f", "json",
            "-o", str(work / "out.json"), "--cache-dir", str(cache), "-q"]
    m = measured(argv, env=env)
    shutil.rmtree(cache, ignore_errors=True)
    if m.code != 0:
        raise SystemExit(f"ringfence sbom oci:{image} failed: exit {m.code}")
    return m.wall


def profile(name: str, image: Path, repeat: int, work: Path) -> None:
    floors = [floor_seconds(image) for _ in range(repeat)]
    runs = [image_stages(image) for _ in range(repeat)]
    members = runs[0][1]
    stages = {k: statistics.median(r[0][k] for r in runs) for k in STAGES}
    busiest = statistics.median(r[2] for r in runs)
    floor = statistics.median(floors)
    scans = [real_scan(image) for _ in range(repeat)]
    wall = statistics.median(s[0] for s in scans)
    cpu = statistics.median(s[1] for s in scans)
    cli_seconds(image, work)  # untimed: fills the bytecode cache
    cli = statistics.median(cli_seconds(image, work) for _ in range(repeat))
    total = sum(v for k, v in stages.items() if not k.startswith(" "))
    verified = sum(stages[k] for k in ("read", "blob sha256", "inflate", "diffID sha256"))
    after = sum(stages[k] for k in ("cache write", "merge", "render"))
    cores = len(os.sched_getaffinity(0))
    # one thread runs Python at a time (the GIL): the Python stages of all threads add up
    bound = max((total - after) / cores, busiest, total - verified - after) + after
    load = os.getloadavg()[0]
    print(f"\n{name}: {members:,} tar members; isal floor {floor:.3f} s CPU "
          f"(medians of {repeat}; load {load:.1f})")
    print(f"  {'stage (one thread)':<22} {'CPU s':>7} {'x floor':>8} {'us/member':>10}")

    def row(label: str, v: float) -> None:
        print(f"  {label:<22} {v:7.3f} {v / floor:7.2f}x {v / members * 1e6:10.2f}")

    for k, v in stages.items():
        row(k, v)
    row("sum of stages", total)
    row("  verified floor", verified)
    row("  Python", total - verified)
    row(f"bound on {cores} cores", bound)
    print(f"  (bound = max(stages before the cache write / {cores} cores, the busiest layer "
          f"thread: {busiest:.3f} s, their Python: {total - verified - after:.3f} s) "
          f"+ cache write, merge, render)")
    row("scan in process, CPU", cpu)
    row("scan in process, wall", wall)
    row("sbom process, wall", cli)
    row("  start-up, imports", cli - wall)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--images", type=Path, default=DEFAULT_DIR)
    ap.add_argument("--only", action="append", choices=(*IMAGES, "manyfiles"))
    ap.add_argument("--many-files", type=int, default=100_000, metavar="N")
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory(prefix="rf-profile-") as tmp:
        for name in args.only or [*IMAGES, "manyfiles"]:
            image = args.images / f"{name}.oci"
            if name == "manyfiles":
                if not args.many_files or not (args.images / "bookworm-min.oci").is_dir():
                    continue
                image = build_many_files(args.images / "bookworm-min.oci",
                                         Path(tmp) / "manyfiles.oci", args.many_files)
            if not image.is_dir():
                print(f"{name}: not built in {args.images}", file=sys.stderr)
                continue
            profile(name, image, args.repeat, Path(tmp))
            if name == "manyfiles":
                shutil.rmtree(image, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
