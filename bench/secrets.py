#!/usr/bin/env python3
"""Secret scanning: cost inside `ringfence image` and a side-by-side with Trivy.

    python3 bench/secrets.py [--images DIR] [--repeat N] [--no-trivy]

For each fixture image (build-images.sh output, default ~/.cache/ringfence-fixtures) and
one generated image with planted credentials (one of them deleted by a later layer):
ringfence's in-process scan time without and with the SecretsAnalyzer (no layer cache, median
of --repeat), what it found (rule, path, line, layer state), and `trivy image --scanners
secret` on the same image (docker-archive input, offline) with its wall time and findings.
Secrets are printed redacted by both tools.
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

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from ringfence.scan import ScanOptions, scan_image
from ringfence.secretscan.analyzer import SecretsAnalyzer
from ringfence.secretscan.model import SecretsReport

NAMES = ("bookworm-min", "bookworm-py", "bullseye-big")


def _planted(root: Path) -> Path:
    from tests.imagebuilder import Layer, Member, build_docker_archive
    from tests.unit.secretscan.generate import POSITIVES

    files = [Member(f"app/conf/{rule.lower()}.txt", gens[0]().encode())
             for rule, gens in POSITIVES.items()]
    # raw layers: docker save stores them uncompressed, named by their diff_id
    layers = [Layer(files, compress="raw"),
              Layer([Member("app/conf/.wh.img-108.txt")], compress="raw")]
    return build_docker_archive(root / "planted.docker.tar", layers)


def _ringfence(ref: str, secrets: bool, repeat: int) -> tuple[float, SecretsReport | None]:
    times, report = [], None
    for _ in range(repeat):
        start = time.perf_counter()
        result = scan_image(ref, ScanOptions(analyzers=(SecretsAnalyzer(),) if secrets else ()))
        times.append(time.perf_counter() - start)
        report = result.analysis("secrets")
    return statistics.median(times), report


def _trivy(tar: Path, cache: Path) -> tuple[float, list[tuple[str, str, int]]] | None:
    trivy = shutil.which("trivy")
    if trivy is None:
        return None
    cmd = [trivy, "image", "--input", str(tar), "--scanners", "secret", "--format", "json",
           "--skip-db-update", "--offline-scan", "--skip-version-check",
           "--disable-telemetry", "--cache-dir", str(cache), "--quiet"]
    start = time.perf_counter()
    out = subprocess.run(cmd, capture_output=True, text=True, check=True).stdout
    elapsed = time.perf_counter() - start
    found = [(s["RuleID"], "/" + r["Target"].lstrip("/"), s.get("StartLine", 0))
             for r in json.loads(out).get("Results") or () for s in r.get("Secrets") or ()]
    return elapsed, sorted(found)


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--images", type=Path, default=Path(os.environ.get(
        "RINGFENCE_IMAGES", Path.home() / ".cache" / "ringfence-fixtures")))
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--no-trivy", action="store_true")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        targets = [(n, args.images / f"{n}.docker.tar") for n in NAMES
                   if (args.images / f"{n}.docker.tar").exists()]
        targets.append(("planted", _planted(Path(tmp))))
        for name, tar in targets:
            ref = f"docker-archive:{tar}"
            plain, _ = _ringfence(ref, False, args.repeat)
            with_secrets, report = _ringfence(ref, True, args.repeat)
            assert report is not None
            print(f"== {name}: ringfence {plain:.2f}s without secrets, {with_secrets:.2f}s "
                  f"with ({with_secrets / plain:.2f}x); {report.scanned} files scanned, "
                  f"skipped {dict(report.skipped)}")
            for h in report.hits:
                state = "deleted, retrievable" if h.retrievable else "visible"
                print(f"   ringfence {h.rule_id} {h.location}:{h.line} {h.redacted} ({state})")
            peer = None if args.no_trivy else _trivy(tar, Path(tmp) / "trivy-cache")
            if peer is not None:
                print(f"   trivy {peer[0]:.2f}s, {len(peer[1])} secrets")
                for rule, path, line in peer[1]:
                    print(f"   trivy {rule} {path}:{line}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
