"""Proof by running: the OCI patch and the podman flags ``ringfence harden`` emits are
started for real (runc with a busybox-static bundle, podman with the same rootfs) and the
kernel's view of the container process (/proc/<pid>/status, mountinfo, cgroup files, the
live seccomp filter) must show every planned setting, while the workload still runs: its
tmpfs mounts take writes, / refuses them with EROFS, port 80 binds with NET_BIND_SERVICE."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import tempfile
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import jsonpatch
import pytest

from ringfence.harden.emit_docker import run_flags
from ringfence.harden.emit_oci import oci_patch
from ringfence.harden.plan import HardenOptions, Plan, make_plan
from ringfence.harden.workload import Workload
from ringfence.runtime.caps import from_mask
from ringfence.runtime.effective import effective_of, parse_mountinfo
from ringfence.runtime.live import snapshot
from ringfence.runtime.seccomp_bpf import DANGEROUS_PROBES
from tests.integration.oci_bundle import BUSYBOX, busybox_bundle

pytestmark = pytest.mark.skipif(os.geteuid() != 0 or not BUSYBOX.is_file(),
                                reason="needs root and busybox-static")

# the workload: report who it is, write to every tmpfs and to /, bind port 80, then wait
SCRIPT = """
echo uid=$(id -u):$(id -g)
for d in /tmp /var/tmp /run /data /var/cache/app; do
  touch $d/probe 2>/dev/null && echo write$d=ok || echo write$d=fail
done
touch /rootfile 2>/tmp/err; echo root_rc=$?; cat /tmp/err
httpd -p 80 -h /tmp 2>/tmp/err && echo bind80=ok || { echo bind80=fail; cat /tmp/err; }
echo ready
exec sleep 60
"""
WRITABLE = ("/tmp", "/var/tmp", "/run", "/data", "/var/cache/app")


def _plan() -> Plan:
    workload = Workload("busybox", image="busybox", user="", ports=(80,), volumes=("/data",),
                        argv=("sh", "-c", SCRIPT))
    return make_plan(workload, HardenOptions(writable=("/var/cache/app",), memory=64 << 20,
                                             pids=40, tmpfs_size="8m"))


def _status(pid: int) -> dict[str, str]:
    text = Path(f"/proc/{pid}/status").read_text()
    return {k: v.strip() for k, _, v in (ln.partition(":") for ln in text.splitlines())}


def _wait_ready(log: Path, timeout: float = 20) -> str:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        text = log.read_text() if log.exists() else ""
        if "ready" in text:
            return text
        time.sleep(0.1)
    raise AssertionError(f"workload did not get ready: {log.read_text()!r}")


def _check_enforced(pid: int, plan: Plan, out: str) -> None:
    st = _status(pid)
    caps = {f"CAP_{c}" for c in plan.cap_add}
    assert from_mask(int(st["CapEff"], 16)) == caps
    assert from_mask(int(st["CapBnd"], 16)) == caps
    assert st["NoNewPrivs"] == "1"
    assert st["Seccomp"] == "2"
    assert st["Uid"].split() == [str(plan.uid)] * 4
    mounts = {point: (fstype, opts) for _, point, fstype, opts in
              parse_mountinfo(Path(f"/proc/{pid}/mountinfo").read_text())}
    assert "ro" in mounts["/"][1]
    for path in WRITABLE:
        fstype, opts = mounts[path]
        assert fstype == "tmpfs" and "rw" in opts and "noexec" in opts, (path, mounts[path])
    eff = effective_of(snapshot(pid))
    assert eff.memory_limit == plan.memory and eff.pids_limit == plan.pids
    # the filter in the kernel is the generated profile: every escape-class call blocked
    assert eff.blocked == frozenset(p.label for p in DANGEROUS_PROBES)
    # and the workload still works
    assert f"uid={plan.uid}:{plan.gid}" in out
    for path in WRITABLE:
        assert f"write{path}=ok" in out, out
    assert "root_rc=1" in out and "Read-only file system" in out  # EROFS
    assert "bind80=ok" in out, out


@pytest.mark.skipif(shutil.which("runc") is None, reason="runc not installed")
def test_hardened_oci_bundle_is_enforced_under_runc(tmp_path: Path) -> None:
    plan = _plan()
    bundle = busybox_bundle(tmp_path / "b", ["sh", "-c", SCRIPT])
    config = json.loads((bundle / "config.json").read_text())
    config["mounts"] = [m for m in config["mounts"] if m["destination"] != "/tmp"]
    hardened = jsonpatch.apply_patch(config, oci_patch(plan, config))
    (bundle / "config.json").write_text(json.dumps(hardened))
    state, cid, log = tmp_path / "state", f"rf-harden-{uuid.uuid4().hex[:8]}", tmp_path / "out"
    base = ["runc", "--root", str(state)]
    try:
        with log.open("w") as out:
            subprocess.run([*base, "run", "-d", "--bundle", str(bundle), cid], stdout=out,
                           stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, check=True,
                           timeout=30)
        text = _wait_ready(log)
        pid = json.loads(subprocess.run([*base, "state", cid], capture_output=True,
                                        text=True, check=True).stdout)["pid"]
        _check_enforced(pid, plan, text)
    finally:
        subprocess.run([*base, "delete", "-f", cid], capture_output=True, check=False)


@pytest.fixture()
def podman() -> Iterator[tuple[list[str], Path]]:
    if shutil.which("podman") is None or shutil.which("runc") is None:
        pytest.skip("podman (with runc) not installed")
    base = Path(tempfile.mkdtemp(prefix="rfh-"))  # podman wants a runroot under 50 chars
    cmd = ["podman", "--root", str(base / "root"), "--runroot", str(base / "run"),
           "--tmpdir", str(base / "tmp"), "--cgroup-manager", "cgroupfs", "--runtime",
           "runc", "--events-backend", "none", "--storage-driver", "vfs"]
    try:
        yield cmd, base
    finally:
        shutil.rmtree(base, ignore_errors=True)


def test_hardened_podman_flags_are_enforced(podman: tuple[list[str], Path]) -> None:
    cmd, tmp = podman
    plan = _plan()
    rootfs = busybox_bundle(tmp / "b", ["true"]) / "rootfs"
    profile = tmp / "seccomp.json"
    profile.write_text(json.dumps(dict(plan.seccomp)))
    name = f"rf-harden-{uuid.uuid4().hex[:8]}"
    run = [*cmd, "run", "-d", "--name", name, "--network", "none", "--ulimit",
           "nofile=1024:1024", "--ulimit", "nproc=1024:1024",
           *run_flags(plan, "podman", str(profile)), "--rootfs", str(rootfs),
           "sh", "-c", SCRIPT]
    try:
        done = subprocess.run(run, capture_output=True, text=True, timeout=60, check=False)
        assert done.returncode == 0, done.stderr
        text = ""
        for _ in range(100):
            text = subprocess.run([*cmd, "logs", name], capture_output=True, text=True,
                                  check=False, timeout=30).stdout
            if "ready" in text:
                break
            time.sleep(0.2)
        info: Any = json.loads(subprocess.run([*cmd, "inspect", name], capture_output=True,
                                              text=True, check=True, timeout=30).stdout)
        _check_enforced(int(info[0]["State"]["Pid"]), plan, text)
    finally:
        subprocess.run([*cmd, "rm", "-f", "-t", "0", name], capture_output=True,
                       check=False, timeout=60)
