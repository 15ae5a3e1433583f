#!/usr/bin/env python3
"""Inventory store (issue 13): insert rate, ``affected`` latency and re-match after an update
touching 1 % of the stored packages (vs re-scanning), SQLite and PostgreSQL.

    python3 bench/store.py [--n 10000] [--images DIR] [--db FILE] [--no-postgres] [--seed S]
                           [--no-rematch]

The three fixture images (default ~/.cache/ringfence-fixtures) are scanned and matched
once (against --db, default a DB built from tests/data/advisories: PyPI, npm, Debian
DSA/DLA); N synthetic inventories are then sampled from their real package sets (each
image: one fixture's distro and a random 90 % of its packages, with their findings, under
its own digest) and inserted 200 per transaction into a fresh store of each dialect
(PostgreSQL: a throw-away server started as the tests start it, unix socket only).
``affected`` is then timed (median of 5 runs each) for every advisory that hits a fixture
image (by id; at most --queries of them) and for purl queries with and without version.

Checked before a figure counts: the store holds N images afterwards, and each advisory's
answer names exactly the synthetic images whose sampled packages carry it (computed from
the sample, not from the store). Target (issue 13): affected under 50 ms at 10,000 images.
"""

from __future__ import annotations

import argparse
import hashlib
import random
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from ringfence.report.processors import Filters  # noqa: E402
from ringfence.respond.affected import by_advisory, by_purl  # noqa: E402
from ringfence.respond.record import build  # noqa: E402
from ringfence.scan import ScanOptions, add_vulnerabilities, scan_image  # noqa: E402
from ringfence.store.db import InventoryStore  # noqa: E402
from ringfence.store.record import ImageRecord  # noqa: E402
from ringfence.vulndb.build import import_paths  # noqa: E402
from ringfence.vulndb.store import VulnStore  # noqa: E402

SOURCES = ("osv/PyPI.zip", "nodejs-security-wg.tar.gz", "debian-security-tracker/DSA-list",
           "debian-security-tracker/DLA-list")
IMAGES = ("oci:{d}/bookworm-min.oci", "oci:{d}/bookworm-py.oci", "oci:{d}/bullseye-big.oci")
BATCH = 200


def fixtures(images: Path, db: Path) -> list[ImageRecord]:
    out = []
    for ref in IMAGES:
        ref = ref.format(d=images)
        result = add_vulnerabilities(scan_image(ref, ScanOptions()), db, Filters())
        out.append(build(result, ref))
    return out


def synthetic(bases: list[ImageRecord], n: int, seed: int) -> list[ImageRecord]:
    rng = random.Random(seed)  # noqa: S311 - a reproducible sample, not a secret
    out = []
    for i in range(n):
        base = bases[rng.randrange(len(bases))]
        kept = [p for p in base.packages if rng.random() < 0.9]
        renum = {p.ord: j for j, p in enumerate(kept)}
        out.append(replace(
            base, digest="sha256:" + hashlib.sha256(f"synthetic-{seed}-{i}".encode()).hexdigest(),
            ref=f"registry.example/synthetic/{i}:latest",
            packages=tuple(replace(p, ord=renum[p.ord]) for p in kept),
            findings=tuple(replace(f, ord=renum[f.ord]) for f in base.findings
                           if f.ord in renum)))
    return out


def timed(fn: Callable[[], object], repeat: int = 5) -> tuple[float, object]:
    times, result = [], None
    for _ in range(repeat):
        start = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times), result


def cpu_timed(fn: Callable[[], object], repeat: int = 5) -> tuple[float, float, object]:
    """Median wall and median CPU seconds of this process (on a shared, loaded machine the
    CPU time is the work done; with PostgreSQL the server's work is not in it)."""
    wall, cpu, result = [], [], None
    for _ in range(repeat):
        start, start_cpu = time.perf_counter(), time.process_time()
        result = fn()
        wall.append(time.perf_counter() - start)
        cpu.append(time.process_time() - start_cpu)
    return statistics.median(wall), statistics.median(cpu), result


def _p95(values: list[float]) -> float:
    return statistics.quantiles(values, n=20, method="inclusive")[-1]


def run(name: str, url: str, records: list[ImageRecord], db: Path, queries: int) -> bool:
    ok = True
    with InventoryStore.open(url) as store:
        start = time.perf_counter()
        for i in range(0, len(records), BATCH):
            store.add(*records[i:i + BATCH])
        took = time.perf_counter() - start
        pkgs = sum(len(r.packages) for r in records)
        held = len(store.images())
        print(f"{name}: inserted {len(records)} images ({pkgs} packages) in {took:.1f} s: "
              f"{len(records) / took:.0f} images/s, {pkgs / took:.0f} packages/s")
        if held != len(records):
            print(f"FAILURE {name}: the store holds {held} images, not {len(records)}")
            return False
        ok = _latency(name, store, records, db, queries)
        start = time.perf_counter()
        store.optimize()
        print(f"{name}: optimize() (planner statistics) in {time.perf_counter() - start:.1f} s")
        return _latency(f"{name} after optimize()", store, records, db, queries) and ok


def _latency(name: str, store: InventoryStore, records: list[ImageRecord], db: Path,
             queries: int) -> bool:
    ok = True
    # expected answers from the sample itself: images whose kept packages carry the id
    expected: dict[str, set[str]] = {}
    for r in records:
        for f in r.findings:
            expected.setdefault(f.advisory_id, set()).add(r.digest)
    ids = sorted(expected, key=lambda a: (-len(expected[a]), a))[:queries]
    lat = []
    with VulnStore.open(db) as vulns:
        for adv in ids:
            t, c, answer = cpu_timed(lambda adv=adv: by_advisory(store, vulns, adv))
            got = {row.digest for row in answer.rows}  # type: ignore[attr-defined]
            if got != expected[adv]:
                print(f"FAILURE {name}: affected {adv}: {len(got)} images, expected "
                      f"{len(expected[adv])}")
                ok = False
                continue
            lat.append((t, c, adv, len(got)))
    # purl queries (a version, a vers range): expected from the sample too
    for purl, keep in (("pkg:pypi/certifi", lambda v: True),
                       ("pkg:pypi/certifi@2018.4.16", lambda v: v == "2018.4.16"),
                       ("pkg:pypi/certifi@vers:pypi/>=2018.1|<2018.10",
                        lambda v: v.startswith("2018.") and int(v.split(".")[1]) < 10),
                       ("pkg:deb/debian/bash", lambda v: True)):
        base = purl.split("@", 1)[0]
        want = {r.digest for r in records for p in r.packages
                if p.purl_base == base and keep(p.version)}
        t, c, answer = cpu_timed(lambda purl=purl: by_purl(store, purl))
        got = {row.digest for row in answer.rows}  # type: ignore[attr-defined]
        if got != want or not want:
            print(f"FAILURE {name}: affected {purl}: {len(got)} images, expected "
                  f"{len(want)}")
            ok = False
            continue
        lat.append((t, c, purl, len(got)))
    if lat:
        ms = [t * 1000 for t, _, _, _ in lat]
        cpu = [c * 1000 for _, c, _, _ in lat]
        print(f"{name}: affected over {len(lat)} queries (in-process, each the median of 5 "
              f"runs): wall median {statistics.median(ms):.1f} ms, p95 {_p95(ms):.1f} ms, "
              f"max {max(ms):.1f} ms; this process's CPU: median "
              f"{statistics.median(cpu):.1f} ms, p95 {_p95(cpu):.1f} ms, max {max(cpu):.1f} ms")
        for t, c, q, n in sorted(lat, reverse=True)[:8]:
            print(f"    {t * 1000:7.1f} ms ({c * 1000:6.1f} ms CPU)  {q}  ({n} images)")
    return ok


def rematch_bench(name: str, url: str, records: list[ImageRecord], db: Path, tmp: Path,
                  seed: int, sample: int = 100) -> bool:
    """Re-match after an update touching 1 % of the stored packages vs re-scanning.

    The update: one new advisory (every version affected) per package identity, identities
    drawn at random until the packages carrying them are >= 1 % of the stored packages.
    Re-match: the whole ``db import --store`` hook minus the import (both DBs' advisory
    digests, the diff, the index lookup, matching, the change set written). Re-scanning:
    ``match_all`` of every stored inventory against the new DB -- the least a re-scan does
    (no unpacking, no cataloguing), timed on ``sample`` images and scaled to N.
    Checked: every touched package gets exactly its new advisories, nothing else changes."""
    import json
    import shutil

    from ringfence.model.inventory import Distro, Inventory
    from ringfence.model.package import Package
    from ringfence.respond.rematch import rematch
    from ringfence.vulndb.match import match_all

    rng = random.Random(seed)  # noqa: S311 - a reproducible sample, not a secret
    carried: dict[tuple[str, str], int] = {}
    for r in records:
        for p in r.packages:
            for ident in set(p.identities):
                carried[ident] = carried.get(ident, 0) + 1
    rows = sum(len(r.packages) for r in records)
    pool = sorted(carried)
    rng.shuffle(pool)
    chosen: list[tuple[str, str]] = []
    while pool and sum(carried[i] for i in chosen) < rows / 100:
        chosen.append(pool.pop())
    touched = {(r.digest, p.ord) for r in records for p in r.packages
               if set(p.identities) & set(chosen)}
    expected_new = sum(len(set(p.identities) & set(chosen))
                       for r in records for p in r.packages)
    feed = tmp / f"bench-update-{name}"
    feed.mkdir()
    for i, (eco, pkg) in enumerate(chosen):
        (feed / f"RFBENCH-{i}.json").write_text(json.dumps({
            "id": f"RFBENCH-{i}", "modified": "2026-12-01T00:00:00Z",
            "database_specific": {"severity": "HIGH"},
            "affected": [{"package": {"ecosystem": eco, "name": pkg},
                          "ranges": [{"type": "ECOSYSTEM", "events": [{"introduced": "0"}]}]}]}))
    new_db = tmp / f"db-{name}.sqlite"
    shutil.copy(db, new_db)
    import_paths([feed], new_db)
    with InventoryStore.open(url) as store, VulnStore.open(db) as old, \
            VulnStore.open(new_db) as vulns:
        start = time.perf_counter()
        report = rematch(store, vulns, before=old.advisory_digests(),
                         before_built_at=old.meta("built_at"), previous=old)
        took = time.perf_counter() - start
        picked = rng.sample(records, min(sample, len(records)))
        start = time.perf_counter()
        for r in picked:
            distro = Distro.from_dict(r.distro) if r.distro else None
            match_all(Inventory(tuple(Package.from_dict(p.doc) for p in r.packages), distro),
                      vulns)
        per_image = (time.perf_counter() - start) / len(picked)
    rescan = per_image * len(records)
    print(f"{name}: update touching {len(touched)} of {rows} stored packages "
          f"({100 * len(touched) / rows:.2f} %, {len(chosen)} identities): re-match "
          f"{took:.2f} s ({report.packages} packages re-matched, {len(report.changes)} "
          f"changes) vs re-scanning {rescan:.1f} s ({per_image * 1000:.1f} ms/image "
          f"matching only, {len(picked)} sampled): {rescan / took:.0f}x")
    kinds = {c.change for c in report.changes}
    if (report.packages != len(touched) or len(report.changes) != expected_new
            or kinds - {"new"} or report.whole):
        print(f"FAILURE {name}: re-matched {report.packages} (expected {len(touched)}), "
              f"{len(report.changes)} changes {sorted(kinds)} (expected {expected_new} new), "
              f"{len(report.whole)} whole")
        return False
    return True


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--n", type=int, default=10_000)
    ap.add_argument("--images", type=Path, default=Path.home() / ".cache/ringfence-fixtures")
    ap.add_argument("--db", type=Path)
    ap.add_argument("--no-postgres", action="store_true")
    ap.add_argument("--queries", type=int, default=30)
    ap.add_argument("--seed", type=int, default=13)
    ap.add_argument("--no-rematch", action="store_true",
                    help="insert rate and affected latency only")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory(prefix="rf-bench-store-") as tmp:
        db = args.db
        if db is None:
            db = Path(tmp) / "db.sqlite"
            import_paths([REPO / "tests/data/advisories" / s for s in SOURCES], db)
        bases = fixtures(args.images, db)
        print("fixture images: " + ", ".join(f"{len(b.packages)} packages / "
                                             f"{len(b.findings)} findings" for b in bases))
        records = synthetic(bases, args.n, args.seed)
        ok = run("sqlite", f"sqlite:///{tmp}/store.sqlite", records, db, args.queries)
        if not args.no_rematch:
            ok = rematch_bench("sqlite", f"sqlite:///{tmp}/store.sqlite", records, db,
                               Path(tmp), args.seed) and ok
        if not args.no_postgres:
            from tests.integration.postgres_support import create_database, postgres_server

            with postgres_server() as sock:
                url = create_database(sock, "bench")
                ok = run("postgresql", url, records, db, args.queries) and ok
                if not args.no_rematch:
                    ok = rematch_bench("postgresql", url, records, db, Path(tmp),
                                       args.seed) and ok
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
