"""Benchmark the admission webhook: `ringfence webhook serve` (a real subprocess, TLS) driven
by an open-loop asyncio httpx load generator on 127.0.0.1 at fixed arrival rates.

Latency is measured from each request's *scheduled* send time (no coordinated omission),
so client or server queueing shows up in p99. Half the requests carry a compliant workload
(kube-prometheus' prometheus-operator Deployment when shared/data is present) and half a
privileged pod: every response is checked, and a privileged pod allowed is a failure.

Above ~100 requests/s the Python generator saturates a 2-core machine before the server
does; when Debian's ``wrk`` is installed the same rates are also driven by wrk.

    python bench/webhook.py [--rates 100,500] [--seconds 5] [--max-concurrency 64]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import shutil
import ssl
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx
import yaml

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tests.integration.webhook_support import free_port, make_tls, review

DATA = Path(__file__).resolve().parents[2] / "shared" / "data" / "k8s"
POLICY = "pss: {enforce: baseline, audit: restricted}\n"
PRIVILEGED = {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "bad"}, "spec": {
    "containers": [{"name": "c", "image": "x:1", "securityContext": {"privileged": True}}]}}


def compliant() -> dict[str, Any]:
    path = DATA / "kube-prometheus" / "prometheusOperator-deployment.yaml"
    if path.is_file():
        return dict(yaml.safe_load(path.read_text()))
    return {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "ok"},
            "spec": {"containers": [{"name": "c", "image": "x:1"}]}}


async def run_rate(url: str, ctx: Any, rate: int, seconds: float) -> dict[str, Any]:
    bodies = [(name, json.dumps(review(obj)).encode())
              for name, obj in (("ok", compliant()), ("bad", PRIVILEGED))]
    latencies: list[float] = []
    outcome = {"allowed": 0, "denied": 0, "http_errors": 0, "bad_allowed": 0}
    limits = httpx.Limits(max_connections=8, max_keepalive_connections=8)
    async with httpx.AsyncClient(verify=ctx, limits=limits, timeout=10) as client:
        for _name, body in bodies:  # warm the connection pool and the server
            await client.post(f"{url}/validate", content=body)

        async def one(at: float, name: str, body: bytes) -> None:
            await asyncio.sleep(max(0.0, at - time.perf_counter()))
            try:
                r = await client.post(f"{url}/validate", content=body,
                                      headers={"content-type": "application/json"})
            except httpx.HTTPError:
                outcome["http_errors"] += 1
                return
            latencies.append(time.perf_counter() - at)
            if r.status_code != 200:
                outcome["http_errors"] += 1
                return
            allowed = r.json()["response"]["allowed"]
            outcome["allowed" if allowed else "denied"] += 1
            outcome["bad_allowed"] += int(allowed and name == "bad")

        total = int(rate * seconds)
        start = time.perf_counter() + 0.05
        began = time.perf_counter()
        await asyncio.gather(*(one(start + i / rate, *bodies[i % 2]) for i in range(total)))
        elapsed = time.perf_counter() - began
    latencies.sort()
    q = statistics.quantiles(latencies, n=100) if len(latencies) > 1 else [0.0] * 99
    return {"rate": rate, "requests": total, "throughput": round(len(latencies) / elapsed, 1),
            "p50_ms": round(q[49] * 1000, 2), "p99_ms": round(q[98] * 1000, 2),
            "max_ms": round(latencies[-1] * 1000, 2) if latencies else None, **outcome}


def run_wrk(url: str, rate: int, seconds: float, tmp: Path) -> dict[str, Any]:
    """Debian's wrk (C, TLS) paced to ``rate``: each of 10 connections waits 10/rate s
    between requests (wrk's ``delay()``), so the client is not the bottleneck that the
    Python generator becomes above ~100 requests/s on 2 cores. Compliant body only."""
    conns = 10
    script = tmp / "post.lua"
    body = json.dumps(json.dumps(review(compliant())))  # a Lua string literal
    script.write_text("wrk.method = \"POST\"\nwrk.headers[\"Content-Type\"] = "
                      f"\"application/json\"\nwrk.body = {body}\n"
                      f"function delay() return {conns * 1000 / rate:.3f} end\n")
    out = subprocess.run(["wrk", "-t1", f"-c{conns}", f"-d{seconds:g}s", "--latency", "-s",
                          str(script), f"{url}/validate"], capture_output=True, text=True,
                         check=True).stdout
    def ms(label: str) -> float:
        value = out.split(label, 1)[1].split()[0]
        scale = {"us": 0.001, "ms": 1.0, "s": 1000.0}
        unit = next(u for u in ("us", "ms", "s") if value.endswith(u))
        return round(float(value.removesuffix(unit)) * scale[unit], 2)

    return {"rate": rate, "generator": "wrk", "throughput": float(
        out.split("Requests/sec:")[1].split()[0]), "p50_ms": ms(" 50%"), "p99_ms": ms(" 99%"),
        "non_2xx": out.count("Non-2xx")}


def start_server(tmp: Path, args: argparse.Namespace) -> tuple[subprocess.Popen[bytes], str]:
    tls = make_tls(tmp)
    policy = tmp / "policy.yaml"
    policy.write_text(POLICY)
    port = free_port()
    argv = [sys.executable, "-m", "ringfence.cli.main", "webhook", "serve", "--tls-cert",
            str(tls.cert), "--tls-key", str(tls.key), "--policy", str(policy), "--listen",
            f"127.0.0.1:{port}", "--max-concurrency", str(args.max_concurrency)]
    proc = subprocess.Popen(argv + (["--fail-closed"] if args.fail_closed else []))
    url = f"https://127.0.0.1:{port}"
    for _ in range(400):
        try:
            if httpx.get(f"{url}/readyz", verify=tls.context()).status_code == 200:
                return proc, url
        except httpx.TransportError:
            time.sleep(0.05)
    proc.kill()
    raise SystemExit("webhook did not start")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rates", default="100,500")
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--max-concurrency", type=int, default=64)
    parser.add_argument("--fail-closed", action="store_true")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        proc, url = start_server(Path(tmp), args)
        try:
            ctx = ssl.create_default_context(cafile=str(Path(tmp) / "ca.pem"))
            results = [asyncio.run(run_rate(url, ctx, int(r), args.seconds))
                       for r in args.rates.split(",")]
            if shutil.which("wrk"):
                results += [run_wrk(url, int(r), args.seconds, Path(tmp))
                            for r in args.rates.split(",")]
        finally:
            proc.terminate()
            proc.wait(10)
    print(json.dumps({"max_concurrency": args.max_concurrency,
                      "fail_closed": args.fail_closed, "results": results}, indent=2))
    return 1 if any(r.get("bad_allowed") for r in results) else 0


if __name__ == "__main__":
    sys.exit(main())
