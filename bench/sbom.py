#!/usr/bin/env python3
"""SBOM speed and memory, side by side: ringfence, Syft and Trivy in one run.

    python3 bench/sbom.py [--images DIR] [--repeat N] [--only NAME] [--many-files N]

For each fixture image (OCI layout form): cold runs (empty caches) and warm runs (caches
kept) of each tool, the median wall time, the peak RSS of the process tree root
(os.wait4), ratios against Trivy, and — for reference — the time to merely decompress
the image's layers with isal in this process. Machines here are shared and noisy:
read the ratios, not the seconds.

``--many-files N`` (default 100,000; 0: skip) adds ``manyfiles``: bookworm-min with one
more layer of N small files (100 directories, 20-200 bytes each), built in a temporary
directory (the image with many small files of issue 12: per-entry cost, not bytes).

``--render 1000,5000,20000`` (the default; empty: skip): render time of CycloneDX, SPDX and
ringfence JSON for that many synthetic npm packages, in this process, with time per
component: linear rendering keeps the per-component time flat as the count grows
(issue 11; CycloneDX was quadratic through cyclonedx-python-lib's ``Bom.validate``, SPDX
through spdx-tools' full-document validation). Each document is parsed and its component
count checked before its time counts.

ringfence runs as installed: a wheel install compiles its bytecode, an editable install in
an environment with ``PYTHONDONTWRITEBYTECODE=1`` (this machine's) does not, and every run
would be charged for compiling ~200 modules (0.2-0.4 s, more than a warm scan's work). So
ringfence's runs get a private ``PYTHONPYCACHEPREFIX`` with writing enabled, filled by one
untimed run of the command before the timed ones (a changed source is recompiled as usual).

Rows: ``ringfence`` (``-f cyclonedx``), ``rf-json`` (ringfence ``-f json``, its own report:
the warm target of issue 12), ``rf-spdx`` (``-f spdx``), Syft, Trivy (CycloneDX) and
``trivy-spdx`` (``--format spdx-json``); the SPDX rows' ratios are against ``trivy-spdx``
(issue 11: warm ``-f cyclonedx`` at most 1x Trivy's; the last table lists, per image,
warm CycloneDX and SPDX against Trivy's warm run of the same format). An SPDX document is
checked like a CycloneDX one, its packages' purls read from ``externalRefs``. Peers are run
as their real binaries: a pyenv shim on PATH (a bash script costing ~0.1 s per run) is
resolved with ``pyenv which`` first, so a warm run of a Go binary is not charged for a shell.

Interpreter start-up is printed once: ``python -S -c pass`` and ``python -c pass`` in
ringfence's interpreter. Their difference is ``site`` and the .pth files of site-packages,
which a machine's setup may extend (here a sandbox hook imports certifi at every start);
the last table shows each warm ratio also with that difference taken off ringfence's time,
beside the measured one, never instead of it.

What is verified before a time counts: every run must exit 0 and write a CycloneDX JSON
document that parses, with a ``components`` list. Its Debian packages (components whose
purl is ``pkg:deb/...``) are reduced to (name, version) pairs, the version carrying the
epoch (``1:1.2.13.dfsg-1``; Trivy's ``epoch=`` purl qualifier is folded in), and that set
must equal ringfence's set on the same image (ringfence's own cold and warm runs must agree
too). The architecture qualifier and the distro qualifier are not compared (Trivy writes
the point release). Other package types (Python, …) are counted and printed, not compared:
the tools disagree by design on what they catalogue there. A crash, missing or unparseable
output, or a differing deb set is printed as a FAILURE, that run is not timed, and the
script exits 1 at the end.
"""

from __future__ import annotations

import argparse
import glob
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from measure import measured  # bench/measure.py, beside this script

IMAGES = ("bookworm-min", "bookworm-py", "bullseye-big")
DEFAULT_DIR = Path(os.environ.get("RINGFENCE_IMAGES",
                                  Path.home() / ".cache" / "ringfence-fixtures"))


class Failed(Exception):
    """A run that does not count: crash, missing/unparseable output, wrong packages."""


FAILURES: list[str] = []


def run(argv: list[str], env: dict[str, str] | None = None) -> tuple[float, int]:
    """Wall seconds and peak RSS (KiB) of one command, measured from a small launcher
    (bench/measure.py: a child forked from this grown bench would report its size);
    Failed unless it exits 0."""
    with tempfile.TemporaryFile() as errf:
        m = measured(argv, stderr=errf, env={**os.environ, **(env or {})})
        if m.code != 0:
            errf.seek(0)
            err = errf.read().decode(errors="replace")
            raise Failed(f"exit {m.code} (expected 0): {' '.join(argv)}\n{err[-2000:]}")
    return m.wall, m.peak_kib


def binary(name: str) -> str | None:
    """The real executable behind ``name`` on PATH (a pyenv shim resolved)."""
    found = shutil.which(name)
    if found and "/shims/" in found and shutil.which("pyenv"):
        proc = subprocess.run(["pyenv", "which", name], capture_output=True, text=True,
                              check=False)
        if proc.returncode == 0 and proc.stdout.strip():
            return proc.stdout.strip()
    return found


def packages(out: Path) -> tuple[frozenset[tuple[str, str]], int]:
    """The deb (name, epoch:version) set of a CycloneDX JSON file (or of ringfence's own
    JSON report: ``packages``), and the count of other components; Failed when missing or
    unparseable."""
    from packageurl import PackageURL

    try:
        doc = json.loads(out.read_bytes())
        if str(doc.get("spdxVersion", "")).startswith("SPDX-"):  # purls from externalRefs
            doc = {"bomFormat": "CycloneDX", "components": [
                {"purl": next((r.get("referenceLocator") for r in p.get("externalRefs") or []
                               if r.get("referenceType") == "purl"), None)}
                for p in doc["packages"] if p.get("primaryPackagePurpose") not in (
                    "CONTAINER", "OPERATING_SYSTEM", "OPERATING-SYSTEM")]}
        components = doc["components"] if "components" in doc else doc["packages"]
        if (doc.get("bomFormat") != "CycloneDX" and not str(doc.get("schema", "")).startswith(
                "ringfence.image/")) or not isinstance(components, list):
            raise ValueError("not a CycloneDX document with a components list, nor a "
                             "ringfence report with a packages list")
        debs, other = set(), 0
        for c in components:
            purl = c.get("purl") or ""
            if not purl.startswith("pkg:deb/"):
                other += 1
                continue
            p = PackageURL.from_string(purl)
            version = p.version or ""
            epoch = (p.qualifiers or {}).get("epoch")
            if epoch and ":" not in version:
                version = f"{epoch}:{version}"
            debs.add((p.name, version))
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise Failed(f"{out}: no usable CycloneDX output ({exc})") from exc
    return frozenset(debs), other


def checked_run(tool: str, argv: list[str], out: Path, env: dict[str, str],
                expect: frozenset[tuple[str, str]] | None
                ) -> tuple[tuple[float, int], frozenset[tuple[str, str]], int]:
    """One run, counted only when its output parses and (when ``expect`` is given) its deb
    set equals ``expect``."""
    out.unlink(missing_ok=True)
    timing = run(argv, env)
    debs, other = packages(out)
    if not debs:
        raise Failed(f"{tool}: no deb packages in {out}")
    if expect is not None and debs != expect:
        missing, extra = sorted(expect - debs), sorted(debs - expect)
        raise Failed(f"{tool}: deb packages differ from ringfence's: "
                     f"{len(missing)} missing {missing[:5]}, {len(extra)} extra {extra[:5]}")
    return timing, debs, other


def commands(tool: str, image: Path, cache: Path, out: Path) -> list[str]:
    if tool in ("ringfence", "rf-json", "rf-spdx"):
        fmt = {"ringfence": "cyclonedx", "rf-json": "json", "rf-spdx": "spdx"}[tool]
        return [sys.executable, "-m", "ringfence.cli.main", "sbom", f"oci:{image}",
                "-f", fmt, "-o", str(out), "--cache-dir", str(cache)]
    if tool == "syft":
        return [binary("syft") or "syft", "scan", f"oci-dir:{image}", "-o",
                f"cyclonedx-json={out}", "-q"]
    fmt = "spdx-json" if tool == "trivy-spdx" else "cyclonedx"
    return [binary("trivy") or "trivy", "image", "--input", str(image), "--format", fmt,
            "--skip-db-update", "--offline-scan", "--skip-version-check",
            "--disable-telemetry", "--cache-dir", str(cache), "-q", "-o", str(out)]


def build_many_files(base: Path, dest: Path, count: int) -> Path:
    """``base`` (an OCI layout) plus one gzip layer of ``count`` small files."""
    import gzip
    import hashlib
    import io
    import random
    import tarfile

    shutil.copytree(base, dest)
    rng = random.Random(12)  # noqa: S311 - file contents, not secrets
    raw = io.BytesIO()
    with tarfile.open(fileobj=raw, mode="w", format=tarfile.PAX_FORMAT) as tar:
        for d in range(100):
            info = tarfile.TarInfo(f"srv/data/d{d:03d}")
            info.type, info.mode = tarfile.DIRTYPE, 0o755
            tar.addfile(info)
        for i in range(count):
            data = (f"item {i} " + "".join(rng.choice("abcdefgh \n")
                                           for _ in range(rng.randint(12, 192)))).encode()
            info = tarfile.TarInfo(f"srv/data/d{i % 100:03d}/f{i:06d}.txt")
            info.size, info.mode = len(data), 0o644
            tar.addfile(info, io.BytesIO(data))
    tar_bytes = raw.getvalue()
    blob = gzip.compress(tar_bytes, compresslevel=6)

    def put(data: bytes) -> tuple[str, int]:
        digest = hashlib.sha256(data).hexdigest()
        (dest / "blobs" / "sha256" / digest).write_bytes(data)
        return f"sha256:{digest}", len(data)

    def blob_json(digest: str) -> dict[str, object]:
        return json.loads((dest / "blobs" / "sha256" / digest.split(":")[1]).read_bytes())

    index = json.loads((dest / "index.json").read_text())
    manifest = blob_json(index["manifests"][0]["digest"])
    config = blob_json(manifest["config"]["digest"])
    layer_digest, layer_size = put(blob)
    manifest["layers"].append({"mediaType": "application/vnd.oci.image.layer.v1.tar+gzip",
                               "digest": layer_digest, "size": layer_size})
    config["rootfs"]["diff_ids"].append("sha256:" + hashlib.sha256(tar_bytes).hexdigest())
    config.setdefault("history", []).append({"created_by": f"bench: {count} small files"})
    cdigest, csize = put(json.dumps(config).encode())
    manifest["config"] = {**manifest["config"], "digest": cdigest, "size": csize}
    mdigest, msize = put(json.dumps(manifest).encode())
    index["manifests"][0] = {**index["manifests"][0], "digest": mdigest, "size": msize}
    (dest / "index.json").write_text(json.dumps(index))
    return dest


def installed_env(work: Path) -> dict[str, str]:
    """ringfence's environment: bytecode written to and read from a private cache."""
    os.environ.pop("PYTHONDONTWRITEBYTECODE", None)
    return {"TMPDIR": str(work), "PYTHONPYCACHEPREFIX": str(work / "pycache")}


def decompress_seconds(image: Path, verify: bool = False) -> float:
    """Seconds to inflate every gzip blob of ``image`` with isal, in this process, one after
    the other. ``verify``: and hash each blob and its tar with SHA-256, as a cold scan must
    (the digest and the diffID): the floor of a verified cold scan on one core."""
    import hashlib

    from isal import igzip

    start = time.perf_counter()
    for blob in glob.glob(str(image / "blobs" / "sha256" / "*")):
        with open(blob, "rb") as f:
            if f.read(2) != b"\x1f\x8b":
                continue
        if verify:
            with open(blob, "rb") as f:
                stored = hashlib.sha256()
                while chunk := f.read(1 << 20):
                    stored.update(chunk)
        tar = hashlib.sha256()
        with igzip.open(blob, "rb") as g:
            while chunk := g.read(1 << 20):
                if verify:
                    tar.update(chunk)
    return time.perf_counter() - start


def startup(repeat: int) -> tuple[float, float]:
    """Median wall seconds of ``python -S -c pass`` and ``python -c pass`` in the interpreter
    ringfence runs in: what every ringfence run pays before its first import. The
    difference is ``site`` with the .pth files of site-packages, where a machine's setup can
    add imports (this sandbox's egress CA hook imports certifi: ~15-20 ms) that Trivy, a Go
    binary, never pays; its share of each warm ratio is shown beside it, not removed from
    the measured runs."""
    bare, full = [], []
    for _ in range(max(repeat, 5)):
        bare.append(run([sys.executable, "-S", "-c", "pass"])[0])
        full.append(run([sys.executable, "-c", "pass"])[0])
    return statistics.median(bare), statistics.median(full)


def measure(tool: str, image: Path, repeat: int, work: Path,
            expect: frozenset[tuple[str, str]] | None) -> dict[str, object]:
    """Cold and warm runs; only verified runs are timed. ``expect`` is ringfence's deb set
    (None while measuring ringfence itself: its first good run sets it)."""
    cold: list[tuple[float, int]] = []
    warm: list[tuple[float, int]] = []
    seen: dict[str, object] = {"expect": expect, "other": None, "failed": 0}
    env = {"TMPDIR": str(work)}
    if tool in ("ringfence", "rf-json", "rf-spdx"):
        env = installed_env(work)
        prime = work / f"{tool}-prime"
        prime.mkdir(parents=True, exist_ok=True)
        try:  # untimed: fills the bytecode cache (the cold path imports a superset)
            run(commands(tool, image, prime / "cache", prime / "out.json"), env)
        except Failed as exc:
            FAILURES.append(f"{image.name} {tool} priming run: {exc}")
        shutil.rmtree(prime, ignore_errors=True)
    for i in range(repeat):
        cache = work / f"{tool}-cache-{i}"
        shutil.rmtree(cache, ignore_errors=True)
        cache.mkdir(parents=True)
        out = work / f"{tool}.json"
        for label, into in (("cold", cold), ("warm", warm)):
            try:
                timing, debs, other = checked_run(tool, commands(tool, image, cache, out), out,
                                                  env, seen["expect"])  # type: ignore[arg-type]
            except Failed as exc:
                seen["failed"] = int(seen["failed"]) + 1  # type: ignore[call-overload]
                FAILURES.append(f"{image.name} {tool} {label} run {i + 1}: {exc}")
                print(f"FAILURE {image.name} {tool} {label} run {i + 1}: {exc}",
                      file=sys.stderr)
                continue
            seen["expect"], seen["other"] = debs, other
            into.append(timing)
        shutil.rmtree(cache, ignore_errors=True)

    def med(xs: list[tuple[float, int]]) -> tuple[float, int] | None:
        return (statistics.median(x[0] for x in xs), max(x[1] for x in xs)) if xs else None

    return {"cold": med(cold), "warm": med(warm), "runs": (len(cold), len(warm)), **seen}


def synthetic_result(n: int) -> object:
    from ringfence.catalog.licenses import normalize_all
    from ringfence.model.inventory import Distro, Inventory
    from ringfence.model.package import Location, Package
    from ringfence.model.result import ScanResult, Target

    # licences as a cataloger records them (normalised: SPDX or not is decided there)
    one, expression = normalize_all(["MIT"]), normalize_all(["MIT OR Apache-2.0"])
    pkgs = tuple(Package(f"pkg{i}", f"1.{i}.0", "npm", f"pkg:npm/pkg{i}@1.{i}.0", "npm",
                         licenses=one if i % 3 else expression,
                         locations=(Location(f"/app/node_modules/pkg{i}/package.json",
                                             "sha256:" + "ab" * 32),))
                 for i in range(n))
    return ScanResult(Target("image", "synthetic"), Inventory(pkgs, Distro("debian", "12")))


def render_times(counts: list[int]) -> None:
    from ringfence.report.json_report import JsonRenderer
    from ringfence.sbom.cyclonedx import CycloneDxRenderer
    from ringfence.sbom.spdx import SpdxRenderer

    renderers: dict[str, tuple[object, str]] = {
        "cyclonedx": (CycloneDxRenderer().render, "components"),
        "spdx": (SpdxRenderer().render, "packages"),
        "json": (JsonRenderer().render, "packages")}
    print("\nrender (synthetic npm packages; s, and us per component)")
    print(f"{'format':<10}" + "".join(f"{n:>18,}" for n in counts))
    for fmt, (render, key) in renderers.items():
        cells = []
        for n in counts:
            result = synthetic_result(n)
            t0 = time.perf_counter()
            text = render(result)  # type: ignore[operator]
            dt = time.perf_counter() - t0
            doc = json.loads(text)
            got = len(doc[key])
            # CycloneDX: + the OS component; SPDX: + the image and the OS
            want = n + {"cyclonedx": 1, "spdx": 2, "json": 0}[fmt]
            if got != want:
                FAILURES.append(f"render {fmt} {n}: {got} components, expected {want}")
                cells.append("FAILED")
                continue
            cells.append(f"{dt:7.2f} ({dt / n * 1e6:5.0f})")
        print(f"{fmt:<10}" + "".join(f"{c:>18}" for c in cells))


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--images", type=Path, default=DEFAULT_DIR)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--only", choices=(*IMAGES, "manyfiles"))
    ap.add_argument("--many-files", type=int, default=100_000, metavar="N")
    ap.add_argument("--render", default="1000,5000,20000", metavar="N,N,...")
    args = ap.parse_args()
    if args.render:
        render_times([int(n) for n in args.render.split(",")])
    tools = [t for t in ("ringfence", "rf-json", "rf-spdx", "syft", "trivy", "trivy-spdx")
             if t.startswith(("ringfence", "rf-")) or shutil.which(t.removesuffix("-spdx"))]
    warm_vs_trivy: list[str] = []  # issue 11: warm CycloneDX and SPDX at most 1x Trivy's
    bare, full = startup(args.repeat)
    site = full - bare
    print(f"\ninterpreter start-up (median of {max(args.repeat, 5)}): python -S -c pass "
          f"{bare:.3f}s, python -c pass {full:.3f}s: site and its .pth files {site:.3f}s "
          f"of every ringfence run")
    with tempfile.TemporaryDirectory(prefix="rf-bench-") as tmp:
        names = [args.only] if args.only else [*IMAGES, "manyfiles"]
        for name in names:
            image = args.images / f"{name}.oci"
            if name == "manyfiles":
                if not args.many_files or not (args.images / "bookworm-min.oci").is_dir():
                    continue
                # built in a child process: the ~170 MB it holds would otherwise stay in
                # this process, and every tool's peak RSS (os.wait4 counts the forked
                # child before exec) read 173 MiB
                from concurrent.futures import ProcessPoolExecutor
                from multiprocessing import get_context

                with ProcessPoolExecutor(1, mp_context=get_context("spawn")) as builder:
                    image = builder.submit(build_many_files, args.images / "bookworm-min.oci",
                                           Path(tmp) / "manyfiles.oci",
                                           args.many_files).result()
            if not image.is_dir():
                print(f"{name}: not built in {args.images}", file=sys.stderr)
                continue
            res: dict[str, dict[str, object]] = {}
            expect = None
            for t in tools:
                res[t] = measure(t, image, args.repeat, Path(tmp), expect)
                if t == "ringfence":
                    expect = res[t]["expect"]  # type: ignore[assignment]
                    if expect is None:
                        FAILURES.append(f"{name}: no verified ringfence run, peers not compared")
                        break
            dec = statistics.median(decompress_seconds(image) for _ in range(args.repeat))
            hashed = statistics.median(decompress_seconds(image, verify=True)
                                       for _ in range(args.repeat))
            print(f"\n{name}  (median of verified runs out of {args.repeat}; isal decompress "
                  f"only: {dec:.2f}s; and both SHA-256 digests: {hashed:.2f}s, "
                  f"{hashed / dec:.2f}x)")
            print(f"  verified: {len(expect or ())} deb packages (name, epoch:version), same "
                  f"set from every tool whose row has times")
            print(f"{'tool':<10} {'cold s':>7} {'warm s':>7} {'peak MiB':>9} "
                  f"{'cold/trivy':>10} {'warm/trivy':>10} {'cold/isal':>9} {'ok runs':>8} "
                  f"{'other pkgs':>10}")

            def ratio(r: dict[str, object], key: str, ref: dict[str, object] | None) -> str:
                mine = r[key]
                theirs = ref[key] if ref else None
                return f"{mine[0] / theirs[0]:.2f}x" if mine and theirs else "-"  # type: ignore[index]

            def less_site(r: dict[str, object] | None, ref: dict[str, object] | None) -> str:
                """The warm ratio with site's start-up taken off ringfence's time."""
                mine = r["warm"] if r else None
                theirs = ref["warm"] if ref else None
                return (f"{(mine[0] - site) / theirs[0]:.2f}x"  # type: ignore[index]
                        if mine and theirs else "-")

            tr = res.get("trivy")
            cells = []
            for t, ref in (("ringfence", tr), ("rf-spdx", res.get("trivy-spdx")),
                           ("rf-json", tr)):
                cells += [ratio(res[t], "warm", ref) if t in res else "-",
                          less_site(res.get(t), ref)]
            warm_vs_trivy.append(f"{name:<14}" + "".join(f"{c:>11}" for c in cells))
            for t, r in res.items():
                # SPDX rows against Trivy's SPDX run, the rest against its CycloneDX run
                ref = res.get("trivy-spdx") if t.endswith("spdx") else tr
                c, w = r["cold"], r["warm"]
                if c is None or w is None:
                    print(f"{t:<10} {'FAILED':>7} (see FAILURE lines; {r['failed']} failed runs)")
                    continue
                peak = max(c[1], w[1]) / 1024  # type: ignore[index]
                ok = "{}+{}".format(*r["runs"])  # type: ignore[misc]
                print(f"{t:<10} {c[0]:7.2f} {w[0]:7.2f} {peak:9.0f} "  # type: ignore[index]
                      f"{ratio(r, 'cold', ref):>10} {ratio(r, 'warm', ref):>10} "
                      f"{c[0] / dec:8.2f}x {ok:>8} {r['other']!s:>10}")  # type: ignore[index]
    if warm_vs_trivy:
        print("\nwarm ringfence / warm Trivy, same format (json: against Trivy's CycloneDX; "
              "issues 11 and 12: at most 1.00x);\n'-site': the same without the "
              f"{site:.3f}s of site start-up in ringfence's time (shown, not a target)")
        print(f"{'image':<14}" + "".join(f"{h:>11}" for h in (
            "cyclonedx", "cdx -site", "spdx", "spdx -site", "json", "json -site")))
        print("\n".join(warm_vs_trivy))
    if FAILURES:
        print(f"\n{len(FAILURES)} failed run(s), not timed:", file=sys.stderr)
        for f in FAILURES:
            print(f"  {f.splitlines()[0]}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
