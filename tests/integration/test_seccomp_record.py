"""``seccomp record`` proven by running: under runc and crun the recorded profile lets its
workload run, an unlisted syscall fails with EPERM, and the runtime's own post-filter
syscalls are what make the difference between a working and a dead container."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from ringfence.checks.engine import run_checks
from ringfence.seccomp.lint import profile_facts
from ringfence.seccomp.record import RUNTIME_TAILS, record_bundle, record_command
from ringfence.seccomp.rules import SECCOMP_CHECKS
from tests.integration.oci_bundle import (
    BUSYBOX,
    busybox_bundle,
    run_bundle,
    runtime_params,
    set_config,
    wrapper,
)

pytestmark = pytest.mark.skipif(shutil.which("strace") is None, reason="needs strace")
WORKLOAD = "echo ok > /tmp/out; cat /tmp/out; ls /tmp"
PLUS_MKDIR = WORKLOAD + "; mkdir /tmp/d && echo made"


def _seccomp(profile: dict[str, Any] | None) -> Any:
    def edit(config: dict[str, Any]) -> None:
        if profile is None:
            config["linux"].pop("seccomp", None)
        else:
            config["linux"]["seccomp"] = profile
    return edit


def _args(script: str) -> Any:
    return lambda config: config["process"].__setitem__("args", ["/bin/sh", "-c", script])


@pytest.mark.parametrize("runtime", runtime_params())
def test_recorded_profile_runs_workload_and_blocks_the_rest(tmp_path: Path,
                                                            runtime: str) -> None:
    bundle = busybox_bundle(tmp_path / "b", ["/bin/sh", "-c", WORKLOAD])
    rec = record_bundle(bundle, runtime, wrapper(runtime))
    assert rec.exit_code == 0 and rec.unknown == ()
    # the measured tail of this runtime is covered by the table the command mode relies on
    assert rec.observed.runtime <= RUNTIME_TAILS[runtime], rec.observed.runtime
    assert "execve" in rec.observed.runtime
    profile = rec.profile()
    allowed = {n for rule in profile["syscalls"] if rule["action"] == "SCMP_ACT_ALLOW"
               for n in rule["names"]}
    assert not {"mkdir", "mkdirat", "mount", "unshare", "ptrace"} & allowed
    assert run_checks(SECCOMP_CHECKS, profile_facts(profile, "recorded")).findings == ()

    set_config(bundle, _seccomp(profile))
    done = run_bundle(bundle, runtime)
    assert (done.returncode, done.stdout) == (0, "ok\nout\n"), done.stderr

    set_config(bundle, _args(PLUS_MKDIR))
    done = run_bundle(bundle, runtime)
    assert done.stdout == "ok\nout\n" and done.returncode != 0
    assert "can't create directory '/tmp/d': Operation not permitted" in done.stderr

    set_config(bundle, _seccomp(None))  # control: without the profile mkdir works
    done = run_bundle(bundle, runtime)
    assert (done.returncode, done.stdout) == (0, "ok\nout\nmade\n"), done.stderr


@pytest.mark.parametrize("runtime", runtime_params())
def test_profile_without_the_runtime_tail_kills_the_start(tmp_path: Path,
                                                          runtime: str) -> None:
    bundle = busybox_bundle(tmp_path / "b", ["/bin/sh", "-c", WORKLOAD])
    rec = record_bundle(bundle, runtime, wrapper(runtime))
    missing = rec.observed.runtime - rec.observed.workload
    if not missing:
        pytest.skip(f"{runtime}'s tail {sorted(rec.observed.runtime)} is all made by the "
                    "workload too")
    workload_only = rec.profile()
    workload_only["syscalls"][0]["names"] = sorted(rec.observed.workload)
    set_config(bundle, _seccomp(workload_only))
    done = run_bundle(bundle, runtime)
    assert done.returncode != 0 and "ok" not in done.stdout


@pytest.mark.parametrize("runtime", runtime_params())
def test_command_mode_profile_works_in_the_container(tmp_path: Path, runtime: str) -> None:
    # traced on the host, run in the container: the runtime's measured tail makes it work
    rec = record_command([str(BUSYBOX), "sh", "-c", WORKLOAD.replace("/tmp", str(tmp_path))],
                         runtime)
    assert rec.exit_code == 0
    bundle = busybox_bundle(tmp_path / "b", ["/bin/sh", "-c", WORKLOAD],
                            _seccomp(rec.profile()))
    done = run_bundle(bundle, runtime)
    assert (done.returncode, done.stdout) == (0, "ok\nout\n"), done.stderr


@pytest.mark.parametrize("runtime", runtime_params())
def test_cli_record_then_lint(tmp_path: Path, runtime: str) -> None:
    from ringfence.cli.main import main

    bundle = busybox_bundle(tmp_path / "b", ["/bin/sh", "-c", WORKLOAD])
    out = tmp_path / "profile.json"
    # the real CLI, in the runtime's wrapper (crun needs the mount namespace of wrapper())
    done = subprocess.run([*wrapper(runtime), sys.executable, "-m", "ringfence.cli.main",
                           "seccomp", "record", "--runtime", runtime, "-o", str(out),
                           str(bundle)], capture_output=True, text=True, timeout=300,
                          check=False)
    assert done.returncode == 0, done.stderr
    assert main(["seccomp", "lint", "--fail-on", "high", str(out)]) == 0
    set_config(bundle, _seccomp(json.loads(out.read_text())))
    done = run_bundle(bundle, runtime)
    assert (done.returncode, done.stdout) == (0, "ok\nout\n"), done.stderr
    allow = tmp_path / "allow.json"
    allow.write_text(json.dumps({"defaultAction": "SCMP_ACT_ALLOW"}))
    assert main(["seccomp", "lint", "--fail-on", "high", str(allow)]) == 1
    assert main(["seccomp", "lint", str(tmp_path / "missing.json")]) == 3  # input: exit 3
