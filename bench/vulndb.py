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

What is verified before a figure counts: the import wrote records from at least one source;
every matching repeat returns the same matches (the (package purl, advisory id) set, so the
same count) and at least one; and ``--check`` packages (default 300, seeded) matched one at a
time, each in an inventory of its own, give exactly the matches the whole-inventory run gave
for them (same count, same set: no cross-package state in the matching session). For the
SBOM reference: every run (warm-up included) exits 0 and writes CycloneDX JSON with the same
component count. A failed check is printed as a FAILURE, its figure is reported as
not measured, and the script exits 1.
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


FAILURES: list[str] = []


def _failed(section: str, why: str) -> dict[str, object]:
    FAILURES.append(f"{section}: {why}")
    print(f"FAILURE {section}: {why}", file=sys.stderr)
    return {"measured": False, "failed": why}


def bench_match(db: Path, n: int, repeat: int, check: int) -> dict[str, object]:
    try:
        from ringfence.vulndb.match import match_inventory
    except ImportError as exc:
        return {"measured": False, "why": f"match_inventory not available ({exc})"}
    inventory = Inventory(packages=tuple(sample_packages(db, n)))
    times: list[float] = []
    results: list[set[tuple[str, str]]] = []
    with VulnStore.open(db) as store:
        for _ in range(repeat):
            start = time.perf_counter()
            matches = match_inventory(inventory, store)
            times.append(time.perf_counter() - start)
            results.append({(m.package_purl, m.advisory_id) for m in matches})
            if len(results[-1]) != len(matches):
                return _failed("match", f"{len(matches) - len(results[-1])} duplicate matches")
        counts = [len(r) for r in results]
        if any(r != results[0] for r in results):
            return _failed("match", f"repeats disagree: match counts {counts}")
        if not results[0]:
            return _failed("match", "no match at all")
        rng = random.Random(5)  # noqa: S311 (a reproducible sample, not a secret)
        subset = rng.sample(inventory.packages, min(check, len(inventory.packages)))
        alone: set[tuple[str, str]] = set()
        for package in subset:
            alone |= {(m.package_purl, m.advisory_id)
                      for m in match_inventory(Inventory(packages=(package,)), store)}
        purls = {p.purl for p in subset}
        together = {m for m in results[0] if m[0] in purls}
        if alone != together:
            return _failed("match", f"{len(subset)} packages matched one at a time: "
                                    f"{len(alone)} matches, in the whole run {len(together)} "
                                    f"(only alone {sorted(alone - together)[:3]}, only together "
                                    f"{sorted(together - alone)[:3]})")
    return {"measured": True, "packages": len(inventory.packages), "matches": counts[0],
            "median_seconds": round(statistics.median(times), 3),
            "verified": f"same {counts[0]} matches in {repeat} repeats; {len(subset)} packages "
                        f"matched alone: {len(alone)} matches, equal to the whole run's"}


def _components(out: Path) -> int:
    doc = json.loads(out.read_bytes())
    if doc.get("bomFormat") != "CycloneDX" or not isinstance(doc.get("components"), list):
        raise ValueError("not a CycloneDX document with a components list")
    return len(doc["components"])


def bench_sbom(images: Path, repeat: int) -> dict[str, object]:
    image = images / "bullseye-big.oci"
    if not image.is_dir():
        return {"measured": False, "why": f"{image} not built"}
    with tempfile.TemporaryDirectory() as tmp:
        argv = [sys.executable, "-m", "ringfence.cli.main", "sbom", f"oci:{image}", "-f",
                "cyclonedx", "-o", f"{tmp}/out.json", "--cache-dir", f"{tmp}/cache"]
        times, counts = [], []
        for i in range(repeat + 1):  # run 0 warms the layer cache, not timed
            Path(f"{tmp}/out.json").unlink(missing_ok=True)
            start = time.perf_counter()
            proc = subprocess.run(argv, check=False, capture_output=True)
            elapsed = time.perf_counter() - start
            if proc.returncode != 0:
                return _failed("sbom", f"run {i}: exit {proc.returncode} (expected 0): "
                                       f"{proc.stderr.decode(errors='replace')[-500:]}")
            try:
                counts.append(_components(Path(f"{tmp}/out.json")))
            except (OSError, ValueError) as exc:
                return _failed("sbom", f"run {i}: no usable CycloneDX output ({exc})")
            if counts[-1] != counts[0] or not counts[0]:
                return _failed("sbom", f"component counts differ or zero: {counts}")
            if i:
                times.append(elapsed)
    return {"measured": True, "image": "bullseye-big", "cache": "warm",
            "median_seconds": round(statistics.median(times), 3),
            "verified": f"exit 0 and {counts[0]} components in each of {repeat + 1} runs"}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--advisories", type=Path, default=DATA)
    ap.add_argument("--images", type=Path, default=IMAGES)
    ap.add_argument("--packages", type=int, default=10_000)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--check", type=int, default=300,
                    help="packages also matched one at a time (the consistency check)")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        db = Path(tmp) / "db.sqlite"
        imported = bench_import(args.advisories, db)
        if not imported["records"] or not imported["sources"]:
            _failed("import", f"nothing imported: {imported}")
        result = {"import": imported,
                  "match": bench_match(db, args.packages, args.repeat, args.check),
                  "sbom": bench_sbom(args.images, args.repeat)}
    match, sbom = result["match"], result["sbom"]
    if match.get("measured") and sbom.get("measured"):
        result["match_over_sbom"] = round(float(str(match["median_seconds"]))
                                          / float(str(sbom["median_seconds"])), 3)
    print(json.dumps(result, indent=2))
    return 1 if FAILURES else 0


if __name__ == "__main__":
    sys.exit(main())
