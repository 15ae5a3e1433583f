"""``ringfence seccomp record``: trace a workload with ``strace -f`` and build the allow-list
profile that lets it run — including the syscalls its runtime makes *after* installing the
filter (a profile without them makes the container fail before the workload starts).

    rec = record_bundle(Path("bundle"), runtime="runc")   # runs the bundle once, traced
    rec = record_command(["/bin/ls", "/"], runtime="crun") # traces the command on the host
    profile = rec.profile()                                # OCI linux.seccomp object

Measured runtime tails (strace of ``runtime run`` on this project's CI machine; the integration
test re-measures and checks these sets cover them):
- runc 1.1.5: after ``prctl(PR_SET_SECCOMP)`` its init closes fds, reads /proc/self/fd,
  writes to the exec fifo and calls ``execve``; being Go it may also take a signal or park the
  thread at any moment, so the Go runtime's scheduler/signal calls are added.
- crun 1.8.1: ``close`` of its sync fd, then ``execve``.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import tempfile
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

from ringfence.errors import InputError, UsageError
from ringfence.inputs import loads_json, read_regular
from ringfence.seccomp.allow_list import allow_list_profile, split_known
from ringfence.seccomp.strace_log import Observed, parse_command_trace, parse_container_trace

_GO_RUNTIME: Final = frozenset({"futex", "nanosleep", "sched_yield", "rt_sigreturn", "tgkill",
                                "getpid", "gettid", "mmap", "munmap", "madvise", "sigaltstack",
                                "rt_sigprocmask", "epoll_pwait", "write"})
RUNTIME_TAILS: Final[dict[str, frozenset[str]]] = {
    "runc": frozenset({"close", "epoll_ctl", "execve", "fstatfs", "getdents64", "openat",
                       "fcntl", "newfstatat", "fstat"}) | _GO_RUNTIME,
    "crun": frozenset({"close", "execve"}),
}
# allows the whole run so it can be traced; one rule makes libseccomp emit a real filter
_TRACING_PROFILE: Final = {"defaultAction": "SCMP_ACT_ALLOW",
                           "syscalls": [{"names": ["kexec_load"], "action": "SCMP_ACT_ERRNO"}]}


@dataclass(frozen=True, slots=True)
class Recording:
    runtime: str
    observed: Observed
    exit_code: int
    arch: str = "x86_64"

    @property
    def allowed(self) -> frozenset[str]:
        return self.observed.all | RUNTIME_TAILS[self.runtime]

    @property
    def unknown(self) -> tuple[str, ...]:
        return tuple(split_known(self.allowed, self.arch)[1])

    def profile(self) -> dict[str, Any]:
        return allow_list_profile(self.allowed, self.arch)


def _check_runtime(runtime: str) -> None:
    if runtime not in RUNTIME_TAILS:
        raise UsageError(runtime, f"unknown runtime (have {', '.join(RUNTIME_TAILS)})")
    if shutil.which("strace") is None:
        raise InputError("strace", "not installed: recording needs strace -f")


def _strace(argv: Sequence[str], log: Path, timeout: float) -> tuple[int, str]:
    """(exit status, strace's own last stderr line) of one traced run."""
    cmd = ["strace", "-f", "-qq", "--pidns-translation", "-o", str(log), *argv]
    try:
        done = subprocess.run(cmd, stdin=subprocess.DEVNULL, capture_output=True,
                              timeout=timeout, check=False)
    except subprocess.TimeoutExpired as exc:
        raise InputError(argv[0], f"did not finish within {timeout:g}s") from exc
    said = [ln for ln in done.stderr.decode(errors="replace").splitlines()
            if ln.startswith("strace: ")]
    return done.returncode, said[-1].removeprefix("strace: ") if said else ""


_FIRST_EXEC = re.compile(r"^\d+\s+execve\(.*\)\s+=\s+(-?\d+)(?:\s+(\w+))?")


def _resolve(program: str) -> str:
    """The executable ``program`` names (a path, or a name on PATH); InputError otherwise,
    before anything is traced or written."""
    found = program if "/" in program else shutil.which(program)
    if found is None:
        raise InputError(program, "no such command on PATH")
    if not os.path.isfile(found):
        raise InputError(program, "no such file" if not os.path.exists(found)
                         else "not a regular file")
    if not os.access(found, os.X_OK):
        raise InputError(program, "not executable")
    return found


def _check_started(program: str, text: str, complaint: str) -> None:
    """The trace must begin with the program's own successful ``execve``: a profile built
    from a command that never ran would allow nothing it needs (or whatever strace did)."""
    for raw in text.splitlines():
        if m := _FIRST_EXEC.match(raw):
            if int(m[1]) == 0:
                return
            raise InputError(program, f"could not be started: execve failed ({m[2] or m[1]})")
        if raw.strip():
            break
    raise InputError(program, f"could not be started{': ' + complaint if complaint else ''}")


def record_command(argv: Sequence[str], runtime: str = "runc",
                   timeout: float = 60.0) -> Recording:
    """Trace a command on the host; the runtime's measured tail is added to what it made."""
    _check_runtime(runtime)
    if not argv:
        raise UsageError("record", "no command given")
    _resolve(argv[0])
    with tempfile.TemporaryDirectory(prefix="ringfence-rec-") as tmp:
        log = Path(tmp) / "strace.log"
        code, complaint = _strace(argv, log, timeout)
        text = log.read_text(errors="replace") if log.exists() else ""
        _check_started(argv[0], text, complaint)
        return Recording(runtime, parse_command_trace(text), code)


def tracing_bundle(bundle: Path, into: Path) -> Path:
    """A copy of the bundle's config (same rootfs) with the tracing profile and no terminal."""
    try:
        config = loads_json(read_regular(bundle / "config.json", 16 << 20), str(bundle))
    except InputError as exc:
        raise InputError(str(bundle), f"no readable config.json: not an OCI bundle "
                         f"({exc.message})") from exc
    if not isinstance(config, dict) or not isinstance(config.get("root", {}), dict) \
            or not isinstance(config.get("process", {}), dict) \
            or not isinstance(config.get("linux", {}), dict):
        raise InputError(str(bundle), "config.json is not an OCI runtime config")
    root_path = config.get("root", {}).get("path", "rootfs")
    if not isinstance(root_path, str):
        raise InputError(str(bundle), "config.json: root.path is not a string")
    root = Path(root_path)
    config.setdefault("root", {})["path"] = str(root if root.is_absolute()
                                                else (bundle / root).resolve())
    config.setdefault("process", {})["terminal"] = False
    config.setdefault("linux", {})["seccomp"] = _TRACING_PROFILE
    into.mkdir(parents=True, exist_ok=True)
    (into / "config.json").write_text(json.dumps(config))
    return into


def record_bundle(bundle: Path, runtime: str = "runc", wrapper: Sequence[str] = (),
                  timeout: float = 60.0) -> Recording:
    """Run the bundle once under ``strace -f RUNTIME run`` and keep what the container made
    after its filter was installed. ``wrapper`` prefixes the runtime command (e.g. to enter a
    private mount namespace)."""
    _check_runtime(runtime)
    with tempfile.TemporaryDirectory(prefix="ringfence-rec-") as tmp:
        work = tracing_bundle(bundle, Path(tmp) / "bundle")
        state, cid = Path(tmp) / "state", f"ringfence-rec-{os.getpid()}-{uuid.uuid4().hex[:8]}"
        base = [*wrapper, runtime, "--root", str(state)]
        log = Path(tmp) / "strace.log"
        try:
            code, _ = _strace([*base, "run", "--bundle", str(work), cid], log, timeout)
        finally:
            subprocess.run([*base, "delete", "-f", cid], capture_output=True, check=False)
        observed = parse_container_trace(log.read_text(errors="replace"))
    if not observed.filter_seen:
        raise InputError(str(bundle), f"{runtime} never installed a seccomp filter "
                         f"(exit {code}): nothing to split the trace at")
    return Recording(runtime, observed, code)
