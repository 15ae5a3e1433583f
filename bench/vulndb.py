#!/usr/bin/env python3
"""Vulnerability DB: import time and size for all the advisories in tests/data, and matching time.

    python3 bench/vulndb.py [--advisories DIR] [--images DIR] [--packages N] [--repeat N]

1. ``import_paths`` over every file in ``tests/data/advisories`` into a fresh DB: wall time,
   DB file size, records and sources.
2. When ``ringfence.vulndb.match.match_inventory`` exists: N (default 10,000) language
   package versions sampled (seeded) from the DB's affected rows (PyPI, Go, crates.io, npm,
   Maven): distinct (package, version) pairs whose versions the advisories themselves name
   (the DB holds ~3,700 distinct language packages, so packages recur at other versions),
   matched ``--repeat`` times (median), against the median wall time of
   ``ringfence sbom oci:<images>/bullseye-big.oci`` with a warm layer cache. Without
   ``match_inventory`` (or without the image), it says what it did not measure.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from packageurl import PackageURL

from ringfence.model.inventory import Inventory
from ringfence.model.package import Package
from ringfence.vulndb.build import import_paths
from ringfence.vulndb.store import VulnStore

REPO = Path(__file__).resolve().parent.parent
DATA = REPO / "tests" / "data" / "advisories"
IMAGES = Path(os.environ.get("RINGFENCE_IMAGES", Path.home() / ".cache" / "ringfence-fixtures"))
PURL_TYPES = {"PyPI": "pypi", "Go": "golang", "crates.io": "cargo", "npm": "npm",
              "Maven": "maven"}


def bench_import(advisories: Path, db: Path) -> dict[str, object]:
    start = time.perf_counter()
    report = import_paths([advisories], db)
    return {"seconds": round(time.perf_counter() - start, 2),
            "db_bytes": db.stat().st_size, "sources": len(report.sources),
            "records": sum(s.records for s in report.sources)}


def sample_packages(db: Path, n: int) -> list[Package]:
    """N distinct (package, version) pairs, the versions taken from the advisories' own
    ranges and version lists (seeded sample)."""
    conn = sqlite3.connect(f"{db.resolve().as_uri()}?mode=ro", uri=True)
    marks = ",".join("?" * len(PURL_TYPES))
    rows = conn.execute(f"SELECT ecosystem, package, ranges, versions FROM affected "  # noqa: S608
                        f"WHERE ecosystem IN ({marks})", list(PURL_TYPES)).fetchall()
    conn.close()
    pairs = sorted({(eco, name, version) for eco, name, ranges, versions in rows
                    for version in _versions(ranges, versions)})
    rng = random.Random(3)  # noqa: S311 (a reproducible sample, not a secret)
    return [_package(*pair) for pair in rng.sample(pairs, min(n, len(pairs)))]


def _versions(ranges: str, versions: str) -> set[str]:
    named = {v for r in json.loads(ranges) if r["type"] != "GIT" for _, v in r["events"]}
    return (named | set(json.loads(versions))) - {"0"}


def _package(ecosystem: str, name: str, version: str) -> Package:
    ptype = PURL_TYPES[ecosystem]
    namespace, _, short = name.rpartition(":" if ptype == "maven" else "/")
    purl = PackageURL(type=ptype, namespace=namespace or None, name=short, version=version)
    return Package(name=name, version=version, type=ptype, purl=purl.to_string(),
                   cataloger="bench")


def bench_match(db: Path, n: int, repeat: int) -> dict[str, object]:
    try:
        from ringfence.vulndb.match import match_inventory
    except ImportError as exc:
        return {"measured": False, "why": f"match_inventory not available ({exc})"}
    inventory = Inventory(packages=tuple(sample_packages(db, n)))
    times, found = [], 0
    with VulnStore.open(db) as store:
        for _ in range(repeat):
            start = time.perf_counter()
            found = len(match_inventory(inventory, store))
            times.append(time.perf_counter() - start)
    return {"measured": True, "packages": len(inventory.packages), "matches": found,
            "median_seconds": round(statistics.median(times), 3)}


def bench_sbom(images: Path, repeat: int) -> dict[str, object]:
    image = images / "bullseye-big.oci"
    if not image.is_dir():
        return {"measured": False, "why": f"{image} not built"}
    with tempfile.TemporaryDirectory() as tmp:
        argv = [sys.executable, "-m", "ringfence.cli.main", "sbom", f"oci:{image}", "-f",
                "cyclonedx", "-o", f"{tmp}/out.json", "--cache-dir", f"{tmp}/cache"]
        subprocess.run(argv, check=True, capture_output=True)  # warm the layer cache
        times = []
        for _ in range(repeat):
            start = time.perf_counter()
            subprocess.run(argv, check=True, capture_output=True)
            times.append(time.perf_counter() - start)
    return {"measured": True, "image": "bullseye-big", "cache": "warm",
            "median_seconds": round(statistics.median(times), 3)}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--advisories", type=Path, default=DATA)
    ap.add_argument("--images", type=Path, default=IMAGES)
    ap.add_argument("--packages", type=int, default=10_000)
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        db = Path(tmp) / "db.sqlite"
        result = {"import": bench_import(args.advisories, db),
                  "match": bench_match(db, args.packages, args.repeat),
                  "sbom": bench_sbom(args.images, args.repeat)}
    match, sbom = result["match"], result["sbom"]
    if match.get("measured") and sbom.get("measured"):
        result["match_over_sbom"] = round(float(str(match["median_seconds"]))
                                          / float(str(sbom["median_seconds"])), 3)
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
