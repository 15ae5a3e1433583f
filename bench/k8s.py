#!/usr/bin/env python3
"""Kubernetes manifest audit speed: ringfence, Checkov and `trivy config` side by side.

    python3 bench/k8s.py [--data DIR] [--sizes 1,4,8] [--only ringfence,trivy] [--repeat N]

The corpus is the real install bundles under tests/data/k8s (argo-cd, kube-prometheus,
ingress-nginx, cert-manager, calico, flannel, microservices-demo, kubernetes-goat). Each
size N copies the corpus N times into one directory (the largest default passes 10,000
objects). For each size: wall time of each tool as a subprocess (median of --repeat), the
floor — merely parsing the same YAML with LibYAML in this process — and ringfence's
in-process time (load + all checks), then ratios. A peer that is not installed is
skipped (Checkov: `checkov` on PATH or $CHECKOV; Trivy: `trivy`).
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import yaml

BUNDLES = ("argo-cd", "kube-prometheus", "ingress-nginx", "cert-manager", "calico", "flannel",
           "microservices-demo", "kubernetes-goat")
DEFAULT_DATA = Path(__file__).resolve().parent.parent / "tests" / "data" / "k8s"


def build_corpus(data: Path, copies: int, out: Path) -> int:
    """Copy the bundles ``copies`` times under ``out``; return the object count."""
    for i in range(copies):
        for b in BUNDLES:
            shutil.copytree(data / b, out / f"c{i}" / b)
    from ringfence.k8s.load import load_paths

    return len(load_paths([out]).objects)


def floor_seconds(root: Path) -> float:
    """LibYAML parse of every document, nothing else: the floor for this job."""
    files = sorted(p for p in root.rglob("*") if p.suffix in (".yaml", ".yml", ".json"))
    start = time.perf_counter()
    for f in files:
        try:
            for _ in yaml.load_all(f.read_bytes(), Loader=yaml.CSafeLoader):
                pass
        except yaml.YAMLError:
            pass
    return time.perf_counter() - start


def in_process_seconds(root: Path) -> float:
    from ringfence.checks.engine import run_checks
    from ringfence.k8s.facts import gather_manifests
    from ringfence.k8s.rules.rules import K8S_CHECKS

    start = time.perf_counter()
    run_checks(K8S_CHECKS, gather_manifests([root]))
    return time.perf_counter() - start


def commands(root: Path, cache: Path) -> dict[str, list[str]]:
    cmds = {"ringfence": [sys.executable, "-m", "ringfence.cli.main", "k8s", str(root),
                          "-f", "json"]}
    checkov = os.environ.get("CHECKOV") or shutil.which("checkov")
    if checkov:
        cmds["checkov"] = [checkov, "-d", str(root), "--framework", "kubernetes", "-o", "json",
                           "--quiet", "--skip-download"]
    if shutil.which("trivy"):
        cmds["trivy"] = ["trivy", "config", "--skip-check-update", "--misconfig-scanners",
                         "kubernetes", "--cache-dir", str(cache), "-f", "json", "-q",
                         str(root)]
    return cmds


def wall(argv: list[str]) -> float:
    start = time.perf_counter()
    proc = subprocess.run(argv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                          check=False)
    elapsed = time.perf_counter() - start
    # ringfence exits 1 when --fail-on matches (not used here); Checkov exits 1 on findings
    if proc.returncode not in (0, 1):
        raise SystemExit(f"failed ({proc.returncode}): {' '.join(argv)}\n"
                         f"{proc.stderr.decode(errors='replace')[-2000:]}")
    return elapsed


def bench_size(data: Path, copies: int, only: set[str] | None, repeat: int) -> None:
    with tempfile.TemporaryDirectory(prefix="rf-k8s-bench-") as tmp:
        root, cache = Path(tmp) / "corpus", Path(tmp) / "cache"
        objects = build_corpus(data, copies, root)
        floor = min(floor_seconds(root) for _ in range(repeat))
        inproc = min(in_process_seconds(root) for _ in range(repeat))
        times = {tool: statistics.median(wall(argv) for _ in range(repeat))
                 for tool, argv in commands(root, cache).items()
                 if only is None or tool in only}
        print(f"\n{objects} objects ({copies} x corpus)")
        print(f"  libyaml parse floor   {floor:8.2f} s")
        print(f"  ringfence in-process  {inproc:8.2f} s   {inproc / floor:5.2f} x floor")
        rf = times.get("ringfence")
        for tool, t in times.items():
            ratio = f"   ringfence {t / rf:6.1f} x faster" if rf and tool != "ringfence" else ""
            print(f"  {tool:<20}  {t:8.2f} s{ratio}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", type=Path, default=DEFAULT_DATA)
    ap.add_argument("--sizes", default="1,4,8",
                    help="comma-separated corpus copies (1 copy is about 1,300 objects)")
    ap.add_argument("--only", help="comma-separated tools (ringfence,checkov,trivy)")
    ap.add_argument("--repeat", type=int, default=1)
    args = ap.parse_args()
    if not args.data.is_dir():
        raise SystemExit(f"{args.data}: no corpus (tests/data/k8s)")
    only = set(args.only.split(",")) if args.only else None
    for copies in (int(s) for s in args.sizes.split(",")):
        bench_size(args.data, copies, only, args.repeat)


if __name__ == "__main__":
    main()
