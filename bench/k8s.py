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

What is verified before a time counts: the exit code is in the tool's expected set
(ringfence 0, no --fail-on; trivy 0; Checkov 0 or 1, 1 meaning findings); the JSON output
parses; and the tool reports the privileged-container finding class (ringfence K8S-003,
Trivy KSV-0017 / KSV017, Checkov CKV_K8S_16) in exactly the same files of the corpus as
ringfence does (kubernetes-goat plants three privileged workloads per copy), and in at
least one. A run failing any of this is printed as a FAILURE, is not timed, and the script
exits 1 at the end. Each row also says how many checks the tool ran, as its output states
it: ringfence the rules it evaluated (``evaluated``), Trivy successes + failures from its
MisconfSummary (check x file evaluations), Checkov passed + failed from its summary.
"""

from __future__ import annotations

import argparse
import json
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


# ringfence exits 1 only when --fail-on matches (not used here); Checkov exits 1 on findings
EXPECTED_EXIT = {"ringfence": {0}, "trivy": {0}, "checkov": {0, 1}}
PRIVILEGED = {"ringfence": {"K8S-003"}, "trivy": {"KSV-0017", "KSV017"},
              "checkov": {"CKV_K8S_16"}}
FAILURES: list[str] = []


class Failed(Exception):
    """A run that does not count."""


def _rel(path: str, root: Path) -> str:
    p = path.rsplit(":", 1)[0] if path.rsplit(":", 1)[-1].isdigit() else path
    try:
        return str(Path(p).resolve().relative_to(root.resolve()))
    except ValueError:
        return p.lstrip("/")


def parse(tool: str, out: str, root: Path) -> tuple[set[str], int]:
    """Files with a privileged-container finding, and the number of checks the tool ran."""
    doc = json.loads(out)
    if tool == "ringfence":
        files = {_rel(f["location"], root) for f in doc["findings"]
                 if f["rule"] in PRIVILEGED[tool]}
        return files, len(doc["evaluated"])
    if tool == "trivy":
        files, checks = set(), 0
        for r in doc.get("Results") or ():
            summary = r.get("MisconfSummary") or {}
            checks += int(summary.get("Successes", 0)) + int(summary.get("Failures", 0))
            for m in r.get("Misconfigurations") or ():
                if m["ID"] in PRIVILEGED[tool] and m.get("Status", "FAIL") == "FAIL":
                    files.add(_rel(r["Target"], root))
        return files, checks
    reports = doc if isinstance(doc, list) else [doc]  # checkov: one report per framework
    files, checks = set(), 0
    for rep in reports:
        summary = rep.get("summary") or {}
        checks += int(summary.get("passed", 0)) + int(summary.get("failed", 0))
        for c in (rep.get("results") or {}).get("failed_checks") or ():
            if c["check_id"] in PRIVILEGED[tool]:
                files.add(_rel(c.get("file_abs_path") or c["file_path"], root))
    return files, checks


def wall(tool: str, argv: list[str], root: Path) -> tuple[float, set[str], int]:
    start = time.perf_counter()
    proc = subprocess.run(argv, capture_output=True, check=False)
    elapsed = time.perf_counter() - start
    if proc.returncode not in EXPECTED_EXIT[tool]:
        raise Failed(f"exit {proc.returncode} (expected {sorted(EXPECTED_EXIT[tool])}): "
                     f"{' '.join(argv)}\n{proc.stderr.decode(errors='replace')[-2000:]}")
    try:
        files, checks = parse(tool, proc.stdout.decode(), root)
    except (ValueError, KeyError, TypeError, AttributeError) as exc:
        raise Failed(f"{tool}: output unparseable ({exc!r})") from exc
    if not files:
        raise Failed(f"{tool}: no privileged-container finding on the corpus")
    return elapsed, files, checks


def timed(tool: str, argv: list[str], root: Path, repeat: int,
          expect: set[str] | None) -> tuple[float, set[str], int] | None:
    """Median of the verified runs, privileged files, checks; None if none verified."""
    times, checks = [], 0
    for i in range(repeat):
        try:
            t, files, checks = wall(tool, argv, root)
            if expect is not None and files != expect:
                raise Failed(f"{tool}: privileged findings in other files than ringfence's: "
                             f"missing {sorted(expect - files)[:5]}, "
                             f"extra {sorted(files - expect)[:5]}")
        except Failed as exc:
            FAILURES.append(f"{tool} run {i + 1}: {exc}")
            print(f"FAILURE {tool} run {i + 1}: {exc}", file=sys.stderr)
            continue
        times.append(t)
        expect = files
    if not times:
        return None
    return statistics.median(times), expect or set(), checks


def bench_size(data: Path, copies: int, only: set[str] | None, repeat: int) -> None:
    with tempfile.TemporaryDirectory(prefix="rf-k8s-bench-") as tmp:
        root, cache = Path(tmp) / "corpus", Path(tmp) / "cache"
        objects = build_corpus(data, copies, root)
        floor = min(floor_seconds(root) for _ in range(repeat))
        inproc = min(in_process_seconds(root) for _ in range(repeat))
        cmds = commands(root, cache)
        # ringfence always runs (not timed unless selected): its privileged files are the
        # reference the peers are compared to
        ref = timed("ringfence", cmds["ringfence"], root, repeat, None)
        if ref is None:
            FAILURES.append(f"{copies} x corpus: no verified ringfence run, peers not compared")
            return
        times = {tool: ref if tool == "ringfence" else timed(tool, argv, root, repeat, ref[1])
                 for tool, argv in cmds.items() if only is None or tool in only}
        print(f"\n{objects} objects ({copies} x corpus)")
        print(f"  libyaml parse floor   {floor:8.2f} s")
        print(f"  ringfence in-process  {inproc:8.2f} s   {inproc / floor:5.2f} x floor")
        rf = times.get("ringfence")
        for tool, r in times.items():
            if r is None:
                print(f"  {tool:<20}  FAILED (see FAILURE lines), not timed")
                continue
            t, files, checks = r
            ratio = (f"   ringfence {t / rf[0]:6.1f} x faster" if rf and tool != "ringfence"
                     else "")
            print(f"  {tool:<20}  {t:8.2f} s{ratio}   [verified: privileged-container "
                  f"findings in {len(files)} files, same as ringfence; {checks} checks run]")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
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
    if FAILURES:
        print(f"\n{len(FAILURES)} failed run(s), not timed:", file=sys.stderr)
        for f in FAILURES:
            print(f"  {f.splitlines()[0]}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
