#!/usr/bin/env python3
"""Secret scanning: cost inside `ringfence image` and a side-by-side with Trivy.

    python3 bench/secrets.py [--images DIR] [--repeat N] [--no-trivy] [--only NAME] [--db F]

For each fixture image (build-images.sh output, default ~/.cache/ringfence-fixtures) and
one generated image with planted credentials (one of them deleted by a later layer):
ringfence's in-process scan time without and with the SecretsAnalyzer (no layer cache, median
of --repeat), what it found (rule, path, line, layer state), and `trivy image --scanners
secret` on the same image (docker-archive input, offline) with its wall time and findings.
Secrets are printed redacted by both tools.

The cost target (issue 12: secrets at most 1.3x the vulnerability scan) is measured on the
CLI as users run it: `ringfence image REF --scanners vuln` and `--scanners secret`, both
`--no-cache -f json`, run alternately --repeat times (medians, one run, side by side) with
the vulnerability database given by --db (default: the CLI's; without one the vuln run is
the inventory alone, the harder comparison). Verified before the ratio counts: both exit 0
with JSON, the same package count, and the secret run's IMG-1NN findings are the hits of
the in-process scan (rule and path), none in the vuln run.

Peak memory (the max RSS of the child, ``os.wait4`` in a small launcher process) is
printed for both CLI runs and for Trivy's (issue 12: ringfence's secret run at most
Trivy's). The CLI runs as installed: bytecode in a private ``PYTHONPYCACHEPREFIX``,
filled by one untimed run (see bench/sbom.py).

What is verified before a time counts. ringfence: the scan completes, and on the planted
image it reports every planted rule (IMG-101 … IMG-110, one file each) at its own file,
the deleted key (IMG-108) as deleted-but-retrievable and the others as visible. Trivy: exit
0, the JSON parses, and on the planted image it reports each planted secret it has a rule
for (every planted rule but IMG-110, the generic password/API-key rule Trivy lacks) under
its own rule name at the same file; extra Trivy findings are listed, not failed (the GCP
service-account JSON also holds a private key). On the fixture images (nothing planted)
only completion, exit code and parsing are checked, and the counts are printed. Checks
run: ringfence's report states the files it scanned (and skipped, by reason); Trivy's JSON
does not state a rule or file count, so only its findings and targets are counted. A
failed check is printed as a FAILURE, its time is not reported, and the script exits 1.
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
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from ringfence.scan import ScanOptions, scan_image
from ringfence.secretscan.analyzer import SecretsAnalyzer
from ringfence.secretscan.model import SecretsReport

sys.path.insert(0, str(Path(__file__).parent))
from measure import measured  # bench/measure.py, beside this script

NAMES = ("bookworm-min", "bookworm-py", "bullseye-big")
# planted ringfence rule -> Trivy's rule ids for the same secret (IMG-110: none in Trivy)
TRIVY_RULES = {"IMG-101": {"aws-access-key-id"}, "IMG-102": {"aws-secret-access-key"},
               "IMG-103": {"gcp-service-account"}, "IMG-104": {"github-pat", "github-oauth",
                                                                "github-app-token",
                                                                "github-refresh-token",
                                                                "github-fine-grained-pat"},
               "IMG-105": {"gitlab-pat"}, "IMG-106": {"slack-access-token"},
               "IMG-107": {"slack-web-hook"}, "IMG-108": {"private-key"},
               "IMG-109": {"jwt-token"}}
DELETED = {"IMG-108"}
FAILURES: list[str] = []


def _fail(what: str) -> None:
    FAILURES.append(what)
    print(f"FAILURE {what}", file=sys.stderr)


def _planted_file(rule: str) -> str:
    return f"/app/conf/{rule.lower()}.txt"


def _planted_rules() -> int:
    from tests.unit.secretscan.generate import POSITIVES

    return len(POSITIVES)


def verify_ringfence(report: SecretsReport) -> list[str]:
    """What is wrong with ringfence's report on the planted image (empty: nothing)."""
    from tests.unit.secretscan.generate import POSITIVES

    got = {(h.rule_id, h.location): h.retrievable for h in report.hits}
    wrong = []
    for rule in POSITIVES:
        where = (rule, _planted_file(rule))
        if where not in got:
            wrong.append(f"{rule} not reported at {where[1]}")
        elif got[where] != (rule in DELETED):
            wrong.append(f"{rule} at {where[1]}: wrong layer state "
                         f"({'deleted' if got[where] else 'visible'})")
    return wrong


def verify_trivy(found: list[tuple[str, str, int]]) -> list[str]:
    got = {(rule, path) for rule, path, _ in found}
    return [f"{rule} ({'/'.join(sorted(ids))}) not reported at {_planted_file(rule)}"
            for rule, ids in TRIVY_RULES.items()
            if not any((i, _planted_file(rule)) in got for i in ids)]


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


def _measured(cmd: list[str], out: Any, err: Any, env: dict[str, str] | None = None
              ) -> tuple[int, float, int]:
    """Exit code, CPU seconds and peak RSS (KiB) of ``cmd`` (measured from a small
    launcher: bench/measure.py)."""
    m = measured(cmd, out, err, env)
    return m.code, m.cpu, m.peak_kib


PYCACHE = Path(tempfile.gettempdir()) / f"rf-bench-secrets-pyc-{os.getpid()}"


def _installed_env() -> dict[str, str]:
    env = {**os.environ, "PYTHONPYCACHEPREFIX": str(PYCACHE)}
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    return env


def _cli(ref: str, scanners: str, db: Path | None
         ) -> tuple[float, float, int, dict[str, Any]]:
    """Wall time, CPU time (user + system, of the child: steadier than wall on a loaded
    machine), peak RSS (KiB) and JSON report of ``ringfence image REF --scanners S`` (no
    cache). Raises RuntimeError on a non-zero exit or unparseable output."""
    cmd = [sys.executable, "-m", "ringfence.cli.main", "image", ref, "--scanners", scanners,
           "--no-cache", "-f", "json", "-q", *(["--db", str(db)] if db else [])]
    start = time.perf_counter()
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        code, cpu, rss = _measured(cmd, out, err, _installed_env())
        elapsed = time.perf_counter() - start
        out.seek(0)
        err.seek(0)
        stdout, stderr = out.read().decode(), err.read().decode(errors="replace")
    if code != 0:
        raise RuntimeError(f"--scanners {scanners}: exit {code} (expected 0): "
                           f"{stderr[-1000:]}")
    try:
        doc = json.loads(stdout)
        assert isinstance(doc, dict) and isinstance(doc["packages"], list)
    except (ValueError, KeyError, AssertionError) as exc:
        raise RuntimeError(f"--scanners {scanners}: output unparseable ({exc!r})") from exc
    return elapsed, cpu, rss, doc


def _secret_findings(doc: dict[str, Any]) -> list[tuple[str, str]]:
    return sorted((f["rule"], f["location"]) for f in doc.get("findings") or ()
                  if f["rule"].startswith("IMG-1") and len(f["rule"]) == 7)


def cli_ratio(ref: str, report: SecretsReport, repeat: int, db: Path | None) -> str:
    """``--scanners secret`` over ``--scanners vuln``, alternating runs, medians."""
    vuln_t, secret_t, vuln_c, secret_c = [], [], [], []
    vuln_m = secret_m = 0
    _cli(ref, "secret", db)  # untimed: fills the bytecode cache
    for _ in range(repeat):
        t, c, m, vuln_doc = _cli(ref, "vuln", db)
        vuln_t.append(t)
        vuln_c.append(c)
        vuln_m = max(vuln_m, m)
        t, c, m, secret_doc = _cli(ref, "secret", db)
        secret_t.append(t)
        secret_c.append(c)
        secret_m = max(secret_m, m)
    want = sorted((h.rule_id, h.location) for h in report.hits if h.source == "file")
    if _secret_findings(secret_doc) != want:
        raise RuntimeError(f"CLI secret findings {_secret_findings(secret_doc)} != "
                           f"in-process hits {want}")
    if _secret_findings(vuln_doc):
        raise RuntimeError("the vuln-only run reported secrets")
    if len(vuln_doc["packages"]) != len(secret_doc["packages"]):
        raise RuntimeError("package counts differ between the two runs")
    vuln, secret = statistics.median(vuln_t), statistics.median(secret_t)
    vcpu, scpu = statistics.median(vuln_c), statistics.median(secret_c)
    return (f"CLI --scanners vuln {vuln:.2f}s, --scanners secret {secret:.2f}s "
            f"({secret / vuln:.2f}x wall; CPU {vcpu:.2f}s vs {scpu:.2f}s: {scpu / vcpu:.2f}x; "
            f"peak {vuln_m / 1024:.0f} vs {secret_m / 1024:.0f} MiB; "
            f"db: {'yes' if vuln_doc.get('db') else 'none'}, "
            f"{len(vuln_doc.get('vulnerabilities') or ())} vulnerabilities)")


def _trivy(tar: Path, cache: Path
           ) -> tuple[float, list[tuple[str, str, int]], int, int] | None:
    """Wall time, findings, result targets and peak RSS (KiB); None when not installed.
    Raises RuntimeError on a non-zero exit or unparseable output."""
    trivy = shutil.which("trivy")
    if trivy is None:
        return None
    if "/shims/" in trivy and shutil.which("pyenv"):  # the real binary, not a bash shim
        real = subprocess.run(["pyenv", "which", "trivy"], capture_output=True, text=True,
                              check=False).stdout.strip()
        trivy = real or trivy
    cmd = [trivy, "image", "--input", str(tar), "--scanners", "secret", "--format", "json",
           "--skip-db-update", "--offline-scan", "--skip-version-check",
           "--disable-telemetry", "--cache-dir", str(cache), "--quiet"]
    start = time.perf_counter()
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        code, _, rss = _measured(cmd, out, err)
        elapsed = time.perf_counter() - start
        out.seek(0)
        err.seek(0)
        stdout, stderr = out.read().decode(), err.read().decode(errors="replace")
    if code != 0:
        raise RuntimeError(f"exit {code} (expected 0): {stderr[-1000:]}")
    try:
        results = json.loads(stdout).get("Results") or []
        found = [(s["RuleID"], "/" + r["Target"].lstrip("/"), s.get("StartLine", 0))
                 for r in results for s in r.get("Secrets") or ()]
    except (ValueError, KeyError, TypeError, AttributeError) as exc:
        raise RuntimeError(f"output unparseable ({exc!r})") from exc
    return elapsed, sorted(found), len(results), rss


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--images", type=Path, default=Path(os.environ.get(
        "RINGFENCE_IMAGES", Path.home() / ".cache" / "ringfence-fixtures")))
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--no-trivy", action="store_true")
    ap.add_argument("--only", choices=(*NAMES, "planted"), help="one image")
    ap.add_argument("--db", type=Path, help="vulnerability database for the CLI runs")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        targets: list[tuple[str, Path]] = [
            (n, args.images / f"{n}.docker.tar") for n in NAMES
            if (args.images / f"{n}.docker.tar").exists() and args.only in (None, n)]
        if args.only in (None, "planted"):
            targets.append(("planted", _planted(Path(tmp))))
        for name, tar in targets:
            ref = f"docker-archive:{tar}"
            try:
                plain, _ = _ringfence(ref, False, args.repeat)
                with_secrets, report = _ringfence(ref, True, args.repeat)
                if report is None:
                    raise RuntimeError("no secrets analysis in the result")
            except Exception as exc:  # a crash is reported, not timed
                _fail(f"{name} ringfence: crashed ({exc!r})")
                continue
            wrong = verify_ringfence(report) if name == "planted" else []
            for w in wrong:
                _fail(f"{name} ringfence: {w}")
            timing = ("NOT TIMED (failed verification)" if wrong else
                      f"{plain:.2f}s without secrets, {with_secrets:.2f}s "
                      f"with ({with_secrets / plain:.2f}x)")
            verified = (f"verified: all {_planted_rules()} planted rules at their files, "
                        f"layer state right" if name == "planted" and not wrong else "")
            print(f"== {name}: ringfence {timing}; {len(report.hits)} secrets; "
                  f"{report.scanned} files scanned, skipped {dict(report.skipped)}"
                  f"{'; ' + verified if verified else ''}")
            for h in report.hits:
                state = "deleted, retrievable" if h.retrievable else "visible"
                print(f"   ringfence {h.rule_id} {h.location}:{h.line} {h.redacted} ({state})")
            try:
                print(f"   {cli_ratio(ref, report, args.repeat, args.db)}")
            except RuntimeError as exc:
                _fail(f"{name} ringfence CLI: {exc}")
            try:
                peer = None if args.no_trivy else _trivy(tar, Path(tmp) / "trivy-cache")
            except RuntimeError as exc:
                _fail(f"{name} trivy: {exc}")
                continue
            if peer is not None:
                wrong = verify_trivy(peer[1]) if name == "planted" else []
                for w in wrong:
                    _fail(f"{name} trivy: {w}")
                timing = "NOT TIMED (failed verification)" if wrong else f"{peer[0]:.2f}s"
                verified = (f"; verified: the {len(TRIVY_RULES)} planted secrets it has rules "
                            f"for, at their files" if name == "planted" and not wrong else "")
                print(f"   trivy {timing}, peak {peer[3] / 1024:.0f} MiB, {len(peer[1])} "
                      f"secrets in {peer[2]} result "
                      f"targets (its output states no rule or file count){verified}")
                for rule, path, line in peer[1]:
                    print(f"   trivy {rule} {path}:{line}")
    shutil.rmtree(PYCACHE, ignore_errors=True)
    if FAILURES:
        print(f"\n{len(FAILURES)} failed check(s):", file=sys.stderr)
        for f in FAILURES:
            print(f"  {f.splitlines()[0]}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
