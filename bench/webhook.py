"""Benchmark the admission webhook: `ringfence webhook serve` (a real subprocess, TLS) driven
by an open-loop asyncio httpx load generator on 127.0.0.1 at fixed arrival rates.

Latency is measured from each request's *scheduled* send time (no coordinated omission),
so client or server queueing shows up in p99. Half the requests carry a compliant workload
(kube-prometheus' prometheus-operator Deployment from tests/data) and half a
privileged pod: every response is checked, and a privileged pod allowed is a failure.

Above ~100 requests/s the Python generator saturates a 2-core machine before the server
does; when Debian's ``wrk`` is installed the same rates are also driven by wrk on one
schedule shared by its connections (``wrk_script``: Poisson arrivals, and bursts of one
request per connection at once), the same two bodies, every answer checked.

    python bench/webhook.py [--rates 100,500] [--seconds 5] [--max-concurrency 64]
                            [--fail-open] [--arrivals poisson,burst]

The server runs with its defaults (fail-closed, deadline, body/container/pod-spec caps)
unless ``--fail-open`` is given.

What is verified and how failures are counted: every answer must be HTTP 200 with an
AdmissionReview whose ``response.allowed`` is true for the compliant workload and false
for the privileged pod (and, from the Python generator, whose ``response.uid`` echoes the
request's). A request that fails — transport error, timeout (10 s), non-200, unparseable
body, wrong uid, privileged pod allowed, compliant workload denied — is counted under
``failed`` (with its kind) and keeps its latency (time until the failure or timeout) in
p50/p99/max: nothing is dropped, and ``throughput`` counts correct answers only (the
Python generator's ``allowed``/``denied`` count correct answers; wrk's, counted in Lua,
include the wrong ones also counted in ``bad_allowed``/``ok_denied``). wrk's
own histogram leaves out requests that time out or hit socket errors, so its socket
errors and timeouts are parsed and reported, and any of them fails the run. The script
exits 1 when any request failed, the server exited early, or wrk crashed; the figures are
still printed with the failure counts next to them.
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

DATA = Path(__file__).resolve().parents[1] / "tests" / "data" / "k8s"
POLICY = "pss: {enforce: baseline, audit: restricted}\n"
OK_UID, BAD_UID = "bench-compliant", "bench-privileged"
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
    uids = {name: json.loads(body)["request"]["uid"] for name, body in bodies}
    latencies: list[float] = []  # every request's, failed ones included
    outcome = {"allowed": 0, "denied": 0, "failed": 0, "transport_errors": 0, "timeouts": 0,
               "non_200": 0, "bad_body": 0, "bad_allowed": 0, "ok_denied": 0}
    limits = httpx.Limits(max_connections=8, max_keepalive_connections=8)
    async with httpx.AsyncClient(verify=ctx, limits=limits, timeout=10) as client:
        for _name, body in bodies:  # warm the connection pool and the server
            await client.post(f"{url}/validate", content=body)

        def failed(kind: str) -> None:
            outcome[kind] += 1
            outcome["failed"] += 1

        async def one(at: float, name: str, body: bytes) -> None:
            await asyncio.sleep(max(0.0, at - time.perf_counter()))
            try:
                r = await client.post(f"{url}/validate", content=body,
                                      headers={"content-type": "application/json"})
            except httpx.TimeoutException:
                latencies.append(time.perf_counter() - at)
                failed("timeouts")
                return
            except httpx.HTTPError:
                latencies.append(time.perf_counter() - at)
                failed("transport_errors")
                return
            latencies.append(time.perf_counter() - at)
            if r.status_code != 200:
                failed("non_200")
                return
            try:
                answer = r.json()["response"]
                allowed = answer["allowed"]
                if not isinstance(allowed, bool) or answer.get("uid") != uids[name]:
                    raise ValueError("allowed not a boolean, or uid not echoed")
            except (ValueError, KeyError, TypeError):
                failed("bad_body")
                return
            if allowed and name == "bad":
                failed("bad_allowed")
            elif not allowed and name == "ok":
                failed("ok_denied")
            else:
                outcome["allowed" if allowed else "denied"] += 1

        total = int(rate * seconds)
        start = time.perf_counter() + 0.05
        began = time.perf_counter()
        await asyncio.gather(*(one(start + i / rate, *bodies[i % 2]) for i in range(total)))
        elapsed = time.perf_counter() - began
    latencies.sort()
    q = statistics.quantiles(latencies, n=100) if len(latencies) > 1 else [0.0] * 99
    correct = outcome["allowed"] + outcome["denied"]
    assert correct + outcome["failed"] == total == len(latencies), "a request was not counted"
    return {"rate": rate, "generator": "python", "requests": total,
            "throughput": round(correct / elapsed, 1),
            "p50_ms": round(q[49] * 1000, 2), "p99_ms": round(q[98] * 1000, 2),
            "max_ms": round(latencies[-1] * 1000, 2) if latencies else None, **outcome}


WRK_LUA = """\
local ffi = require("ffi")  -- wrk embeds LuaJIT: a monotonic clock for the schedule
ffi.cdef[[typedef struct { long tv_sec; long tv_nsec; } rf_timespec;
int clock_gettime(int clk, rf_timespec *ts);]]
local ts = ffi.new("rf_timespec")
local function now_ms()
  ffi.C.clock_gettime(1, ts)
  return tonumber(ts.tv_sec) * 1000 + tonumber(ts.tv_nsec) / 1e6
end
local bodies, reqs, sent, slot, claimed = {OK_BODY, BAD_BODY}, {}, 0, nil, 0
local arrivals, interval, burst = ARRIVALS, INTERVAL_MS, CONNECTIONS
late, late_max_ms, allowed, denied, bad_allowed, ok_denied, other = 0, 0, 0, 0, 0, 0, 0
function init(args)
  for i, b in ipairs(bodies) do
    reqs[i] = wrk.format("POST", nil, {["Content-Type"] = "application/json"}, b)
  end
end
function request()
  sent = sent + 1
  return reqs[sent % 2 + 1]
end
local function gap()  -- from one arrival to the next (math.random unseeded: same every run)
  claimed = claimed + 1
  if arrivals == "poisson" then return -math.log(1 - math.random()) * interval end
  if arrivals == "burst" then return claimed % burst == 0 and burst * interval or 0 end
  return interval
end
function delay()  -- the next free slot of one shared schedule, whichever connection asks
  local now = now_ms()
  slot = (slot or now) + gap()
  if slot < now then
    late, late_max_ms = late + 1, math.max(late_max_ms, now - slot)
    return 0
  end
  return slot - now
end
function response(status, headers, body)
  if status ~= 200 then other = other + 1; return end
  local ok = body:find('"allowed":true', 1, true) ~= nil
  if ok then allowed = allowed + 1 else denied = denied + 1 end
  if ok and body:find(BAD_UID, 1, true) then bad_allowed = bad_allowed + 1 end
  if not ok and body:find(OK_UID, 1, true) then ok_denied = ok_denied + 1 end
end
local threads = {}
function setup(thread) table.insert(threads, thread) end
function done(summary, latency, requests)
  for _, t in ipairs(threads) do
    io.write(string.format("ringfence: %d %.3f %d %d %d %d %d\\n", t:get("late"),
      t:get("late_max_ms"), t:get("allowed"), t:get("denied"), t:get("bad_allowed"),
      t:get("ok_denied"), t:get("other")))
  end
end
"""
WRK_CONNECTIONS = 10
WRK_COUNTS = ("late", "late_max_ms", "allowed", "denied", "bad_allowed", "ok_denied",
              "non_200")
WRK_SOCKET = ("connect", "read", "write", "timeout")


def _lua_string(text: str) -> str:
    level = next(n for n in range(1, 64) if f"]{'=' * n}]" not in text)
    return f"[{'=' * level}[{text}]{'=' * level}]"


def wrk_script(rate: int, arrivals: str = "poisson") -> str:
    """wrk's Lua: half compliant, half privileged reviews (fixed uids, so every answer is
    checked against what it was asked), paced to ``rate`` by one schedule shared by the
    connections: ``delay()`` waits for the next slot instead of a fixed gap after each
    answer, so the offered rate stays ``rate`` whatever the latency. Arrivals are
    ``poisson`` (exponential gaps, as independent API-server calls), ``uniform`` (evenly
    spaced) or ``burst`` (one request per connection at once, every connections/rate s, as
    a rollout creating many pods). A slot found already past (every connection busy:
    client-side queueing that wrk's latency would not show, i.e. coordinated omission) is
    counted in ``late``."""
    bodies = {uid: json.dumps(review(obj, uid=uid), separators=(",", ":"))
              for uid, obj in ((OK_UID, compliant()), (BAD_UID, PRIVILEGED))}
    return (WRK_LUA.replace("OK_BODY", _lua_string(bodies[OK_UID]))
            .replace("BAD_BODY", _lua_string(bodies[BAD_UID]))
            .replace("OK_UID", json.dumps(OK_UID)).replace("BAD_UID", json.dumps(BAD_UID))
            .replace("INTERVAL_MS", f"{1000 / rate:.6f}").replace("ARRIVALS", json.dumps(arrivals))
            .replace("CONNECTIONS", str(WRK_CONNECTIONS)))


def run_wrk(url: str, rate: int, seconds: float, tmp: Path,
            arrivals: str = "poisson") -> dict[str, Any]:
    """Debian's wrk (C, TLS) over 10 keep-alive connections at ``rate`` (``wrk_script``):
    the client is not the bottleneck that the Python generator becomes above ~100
    requests/s on 2 cores. Latency is wrk's, from each request's send."""
    script = tmp / f"bench-{rate}-{arrivals}.lua"
    script.write_text(wrk_script(rate, arrivals))
    argv = ["wrk", "-t1", f"-c{WRK_CONNECTIONS}", f"-d{seconds:g}s", "--timeout", "10s",
            "--latency", "-s", str(script), f"{url}/validate"]
    proc = subprocess.run(argv, capture_output=True, text=True, check=False)
    out = proc.stdout
    if proc.returncode != 0 or "ringfence:" not in out or "Requests/sec:" not in out:
        return {"rate": rate, "generator": f"wrk-{arrivals}", "failed": 1,
                "crash": f"wrk exit {proc.returncode}: {(proc.stderr or out)[-500:]}"}

    def after(label: str, index: int = 0) -> str:
        return out.split(label, 1)[1].split()[index]

    counts = out.split("ringfence:", 1)[1].split()[:len(WRK_COUNTS)]
    res: dict[str, Any] = {k: (float(v) if "." in v else int(v))
                           for k, v in zip(WRK_COUNTS, counts, strict=True)}
    # "Socket errors: connect 0, read 0, write 0, timeout 3": absent when there are none;
    # wrk's latency histogram leaves these requests out, so they are counted here
    sock = dict.fromkeys(WRK_SOCKET, 0)
    if "Socket errors:" in out:
        line = out.split("Socket errors:", 1)[1].splitlines()[0]
        for part in line.split(","):
            key, value = part.split()
            sock[key] = int(value)
    # "1000 requests in 5.00s, 1.2MB read"
    completed = int(out.split(" requests in ", 1)[0].split()[-1])
    duration = _ms(after(" requests in ").rstrip(",")) / 1000
    answered = res["allowed"] + res["denied"] + res["non_200"]  # wrong answers are in the first two
    failed = res["bad_allowed"] + res["ok_denied"] + res["non_200"] + sum(sock.values())
    # wrk's allowed/denied include the wrong answers: keep only the right ones
    correct = res["allowed"] + res["denied"] - res["bad_allowed"] - res["ok_denied"]
    return {"rate": rate, "generator": f"wrk-{arrivals}", "requests": completed,
            "throughput": round(correct / duration, 1),
            "wrk_requests_per_s": float(after("Requests/sec:")),
            "p50_ms": _ms(after(" 50%")), "p99_ms": _ms(after(" 99%")),
            "max_ms": _ms(after("Latency", 2)),  # Latency: avg, stdev, max
            "failed": failed, **{f"socket_{k}": v for k, v in sock.items()},
            "latency_excludes": sum(sock.values()),
            "uncounted": max(0, completed - answered), **res}


def _ms(value: str) -> float:
    """A wrk duration ("812.00us", "3.21ms", "1.02s") in milliseconds."""
    scale = {"us": 0.001, "ms": 1.0, "s": 1000.0}
    unit = next(u for u in ("us", "ms", "s") if value.endswith(u))
    return round(float(value.removesuffix(unit)) * scale[unit], 2)


def start_server(tmp: Path, args: argparse.Namespace) -> tuple[subprocess.Popen[bytes], str]:
    tls = make_tls(tmp)
    policy = tmp / "policy.yaml"
    policy.write_text(POLICY)
    port = free_port()
    argv = [sys.executable, "-m", "ringfence.cli.main", "webhook", "serve", "--tls-cert",
            str(tls.cert), "--tls-key", str(tls.key), "--policy", str(policy), "--listen",
            f"127.0.0.1:{port}", "--max-concurrency", str(args.max_concurrency)]
    proc = subprocess.Popen(argv + (["--fail-open"] if args.fail_open else []))
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
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rates", default="100,500")
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--max-concurrency", type=int, default=64)
    parser.add_argument("--fail-open", action="store_true",
                        help="serve fail-open (the server's default is fail-closed)")
    parser.add_argument("--arrivals", default="poisson,burst",
                        help="wrk arrival models: poisson, uniform, burst (comma-separated)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        proc, url = start_server(Path(tmp), args)
        try:
            ctx = ssl.create_default_context(cafile=str(Path(tmp) / "ca.pem"))
            results = [asyncio.run(run_rate(url, ctx, int(r), args.seconds))
                       for r in args.rates.split(",")]
            if shutil.which("wrk"):
                results += [run_wrk(url, int(r), args.seconds, Path(tmp), arrivals)
                            for arrivals in args.arrivals.split(",")
                            for r in args.rates.split(",")]
            server_died = proc.poll() is not None
        finally:
            proc.terminate()
            proc.wait(10)
    failures = sum(int(r.get("failed", 0)) + int(r.get("uncounted", 0)) for r in results)
    print(json.dumps({"max_concurrency": args.max_concurrency,
                      "fail_closed": not args.fail_open, "results": results,
                      "failed_requests": failures, "server_exited_early": server_died},
                     indent=2))
    for r in results:
        if r.get("failed") or r.get("uncounted"):
            print(f"FAILURE {r['generator']} at {r['rate']}/s: {r.get('failed')} failed "
                  f"requests{'; ' + r['crash'] if 'crash' in r else ''}", file=sys.stderr)
    if server_died:
        print("FAILURE the webhook server exited during the run", file=sys.stderr)
    return 1 if failures or server_died else 0


if __name__ == "__main__":
    sys.exit(main())
