#!/usr/bin/env python3
"""SBOM speed and memory, side by side: ringfence, Syft and Trivy in one run.

    python3 bench/sbom.py [--images DIR] [--repeat N] [--only NAME]

For each fixture image (OCI layout form): cold runs (empty caches) and warm runs (caches
kept) of each tool, the median wall time, the peak RSS of the process tree root
(os.wait4), ratios against Trivy, and — for reference — the time to merely decompress
the image's layers with isal in this process. Machines here are shared and noisy:
read the ratios, not the seconds.
"""

from __future__ import annotations

import argparse
import glob
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

IMAGES = ("bookworm-min", "bookworm-py", "bullseye-big")
DEFAULT_DIR = Path(os.environ.get("RINGFENCE_IMAGES",
                                  Path.home() / ".cache" / "ringfence-fixtures"))


def run(argv: list[str], env: dict[str, str] | None = None) -> tuple[float, int]:
    """Wall seconds and peak RSS (KiB) of one command."""
    start = time.perf_counter()
    proc = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                            env={**os.environ, **(env or {})})
    _, status, usage = os.wait4(proc.pid, 0)
    elapsed = time.perf_counter() - start
    if os.waitstatus_to_exitcode(status) != 0:
        err = proc.stderr.read().decode(errors="replace") if proc.stderr else ""
        raise SystemExit(f"failed: {' '.join(argv)}\n{err[-2000:]}")
    return elapsed, usage.ru_maxrss


def commands(tool: str, image: Path, cache: Path, out: Path) -> list[str]:
    if tool == "ringfence":
        return [sys.executable, "-m", "ringfence.cli.main", "sbom", f"oci:{image}",
                "-f", "cyclonedx", "-o", str(out), "--cache-dir", str(cache)]
    if tool == "syft":
        return ["syft", "scan", f"oci-dir:{image}", "-o", f"cyclonedx-json={out}", "-q"]
    return ["trivy", "image", "--input", str(image), "--format", "cyclonedx",
            "--skip-db-update", "--offline-scan", "--skip-version-check",
            "--disable-telemetry", "--cache-dir", str(cache), "-q", "-o", str(out)]


def decompress_seconds(image: Path) -> float:
    from isal import igzip

    start = time.perf_counter()
    for blob in glob.glob(str(image / "blobs" / "sha256" / "*")):
        with open(blob, "rb") as f:
            if f.read(2) != b"\x1f\x8b":
                continue
        with igzip.open(blob, "rb") as g:
            while g.read(1 << 20):
                pass
    return time.perf_counter() - start


def measure(tool: str, image: Path, repeat: int, work: Path) -> dict[str, tuple[float, int]]:
    cold, warm = [], []
    for i in range(repeat):
        cache = work / f"{tool}-cache-{i}"
        shutil.rmtree(cache, ignore_errors=True)
        cache.mkdir(parents=True)
        out = work / f"{tool}.json"
        env = {"TMPDIR": str(work)}
        cold.append(run(commands(tool, image, cache, out), env))
        warm.append(run(commands(tool, image, cache, out), env))
        shutil.rmtree(cache, ignore_errors=True)
    med = lambda xs: (statistics.median(x[0] for x in xs), max(x[1] for x in xs))  # noqa: E731
    return {"cold": med(cold), "warm": med(warm)}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--images", type=Path, default=DEFAULT_DIR)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--only", choices=IMAGES)
    args = ap.parse_args()
    tools = [t for t in ("ringfence", "syft", "trivy") if t == "ringfence" or shutil.which(t)]
    with tempfile.TemporaryDirectory(prefix="rf-bench-") as tmp:
        for name in [args.only] if args.only else IMAGES:
            image = args.images / f"{name}.oci"
            if not image.is_dir():
                print(f"{name}: not built in {args.images}", file=sys.stderr)
                continue
            res = {t: measure(t, image, args.repeat, Path(tmp)) for t in tools}
            dec = statistics.median(decompress_seconds(image) for _ in range(args.repeat))
            print(f"\n{name}  (median of {args.repeat}; isal decompress only: {dec:.2f}s)")
            print(f"{'tool':<10} {'cold s':>7} {'warm s':>7} {'peak MiB':>9} "
                  f"{'cold/trivy':>10} {'warm/trivy':>10} {'cold/isal':>9}")
            tr = res.get("trivy")
            for t, r in res.items():
                (c, cm), (w, wm) = r["cold"], r["warm"]
                rc = f"{c / tr['cold'][0]:.2f}x" if tr else "-"
                rw = f"{w / tr['warm'][0]:.2f}x" if tr else "-"
                print(f"{t:<10} {c:7.2f} {w:7.2f} {max(cm, wm) / 1024:9.0f} {rc:>10} {rw:>10} "
                      f"{c / dec:8.2f}x")
    return 0


if __name__ == "__main__":
    sys.exit(main())
