"""All the I/O of ``runtime --live``: find container processes (cgroup paths, runc/crun state
dirs), snapshot their /proc state and cgroup limits, dump their seccomp filters by ptrace, and
read the declared OCI config from the bundle."""

from __future__ import annotations

import ctypes
import errno
import json
import os
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Final

from ringfence.model.unknown import Unknown
from ringfence.runtime.effective import Effective, ProcSnapshot, effective_of
from ringfence.runtime.parse_oci import SpecError, parse_oci
from ringfence.runtime.spec import ContainerSpec

STATE_ROOTS: Final = ("/run/runc", "/run/crun", "/run/docker/runtime-runc/moby",
                      "/run/containerd/runc/k8s.io", "/run/containerd/runc/default",
                      "/run/containerd/runc/moby")
_CGROUP_ID: Final = re.compile(r"(?:docker-|libpod-|crio-|cri-containerd-|/)([0-9a-f]{64})"
                               r"(?:\.scope)?$")
_RUNTIMES: Final = (("libpod", "podman"), ("docker", "docker"), ("crio", "cri-o"),
                    ("cri-containerd", "containerd"), ("kubepods", "kubernetes"))
PTRACE_DETACH: Final = 17
PTRACE_SEIZE: Final = 0x4206
PTRACE_INTERRUPT: Final = 0x4207
PTRACE_SECCOMP_GET_FILTER: Final = 0x420C
WALL: Final = 0x40000000


@dataclass(frozen=True, slots=True)
class Found:
    id: str
    runtime: str
    pid: int
    bundle: str = ""


@dataclass(frozen=True, slots=True)
class LiveContainer:
    id: str
    runtime: str
    declared: ContainerSpec | None  # None: no config found for it
    effective: Effective
    snapshot: ProcSnapshot


def _read(path: Path) -> str:
    try:
        return path.read_text(errors="replace")
    except OSError:
        return ""


def from_state_dirs(roots: Iterable[str]) -> list[Found]:
    """Containers runc/crun record in ``<root>/<id>/state.json``."""
    found = []
    for root in roots:
        for state in sorted(Path(root).glob("*/state.json")):
            try:
                doc = json.loads(state.read_bytes())
            except (OSError, ValueError):
                continue
            labels = (doc.get("config") or {}).get("labels") or []
            bundle = next((str(lb)[7:] for lb in labels if str(lb).startswith("bundle=")), "")
            pid = int(doc.get("init_process_pid") or 0)
            if pid:
                found.append(Found(str(doc.get("id", state.parent.name)), "runc", pid, bundle))
    return found


def from_cgroups(proc: Path = Path("/proc")) -> list[Found]:
    """Container init processes by the container id in their cgroup path."""
    groups: dict[str, dict[int, int]] = {}
    runtimes: dict[str, str] = {}
    for entry in proc.iterdir():
        if not entry.name.isdigit():
            continue
        path = next((ln.split(":", 2)[2] for ln in _read(entry / "cgroup").splitlines()
                     if ln.count(":") >= 2 and "conmon" not in ln), "")
        match = _CGROUP_ID.search(path.rstrip("/"))
        if not match:
            continue
        ppid = int(next((ln.split()[1] for ln in _read(entry / "status").splitlines()
                         if ln.startswith("PPid:")), "0"))
        groups.setdefault(match.group(1), {})[int(entry.name)] = ppid
        runtimes[match.group(1)] = next((r for key, r in _RUNTIMES if key in path), "runc")
    return [Found(cid, runtimes[cid], min(p for p, pp in pids.items() if pp not in pids))
            for cid, pids in groups.items() if any(pp not in pids for pp in pids.values())]


def discover(proc: Path = Path("/proc"), roots: Sequence[str] = STATE_ROOTS) -> list[Found]:
    """Every container once: state dirs first (they name the bundle), then cgroups."""
    found = {f.id: f for f in from_state_dirs(roots)}
    for f in from_cgroups(proc):
        if f.id in found:
            found[f.id] = Found(f.id, f.runtime, found[f.id].pid, found[f.id].bundle)
        else:
            found[f.id] = f
    return sorted(found.values(), key=lambda f: f.pid)


def dump_filters(pid: int) -> tuple[bytes, ...]:
    """The seccomp filters of ``pid``, newest first, via PTRACE_SECCOMP_GET_FILTER (needs
    CAP_SYS_ADMIN). The tracee is seized, interrupted, read and detached."""
    libc = ctypes.CDLL(None, use_errno=True)
    libc.ptrace.argtypes = [ctypes.c_long, ctypes.c_long, ctypes.c_void_p, ctypes.c_void_p]
    libc.ptrace.restype = ctypes.c_long

    def call(req: int, addr: int | None = None, data: ctypes.Array[ctypes.c_ubyte] | None
             = None) -> int:
        rc = int(libc.ptrace(req, pid, addr, data))
        if rc < 0:
            err = ctypes.get_errno()
            raise OSError(err, os.strerror(err))
        return rc

    call(PTRACE_SEIZE)
    try:
        call(PTRACE_INTERRUPT)
        os.waitpid(pid, WALL)
        filters = []
        for index in range(64):
            try:
                count = call(PTRACE_SECCOMP_GET_FILTER, index)
            except OSError as exc:
                if exc.errno == errno.ENOENT:
                    break
                raise
            buf = (ctypes.c_ubyte * (8 * count))()
            call(PTRACE_SECCOMP_GET_FILTER, index, buf)
            filters.append(bytes(buf))
        return tuple(filters)
    finally:
        libc.ptrace(PTRACE_DETACH, pid, None, None)


def _ns(path: Path) -> dict[str, str]:
    out = {}
    for name in ("pid", "net", "ipc", "uts", "mnt", "cgroup", "user"):
        try:
            out[name] = os.readlink(path / name)
        except OSError:
            continue
    return out


def _cgroup_files(pid: int, proc: Path, cgroup_root: Path) -> dict[str, str]:
    wanted = {"memory": ("memory.limit_in_bytes",), "pids": ("pids.max",),
              "cpu": ("cpu.cfs_quota_us",), "": ("memory.max", "pids.max", "cpu.max")}
    out: dict[str, str] = {}
    for line in _read(proc / str(pid) / "cgroup").splitlines():
        _, controllers, path = line.split(":", 2)
        for ctl in controllers.split(",") if controllers else [""]:
            base = cgroup_root / controllers if ctl else cgroup_root
            dirs = [base / path.lstrip("/")] + ([cgroup_root / "unified" / path.lstrip("/")]
                                                if not ctl else [])
            for name in wanted.get(ctl, ()):
                text = next((t for d in dirs if (t := _read(d / name).strip())), "")
                if text:
                    out[name] = text
    return out


def snapshot(pid: int, proc: Path = Path("/proc"),
             cgroup_root: Path = Path("/sys/fs/cgroup")) -> ProcSnapshot:
    base = proc / str(pid)
    status = _read(base / "status")
    if not status:
        raise FileNotFoundError(f"{base}/status: process gone or unreadable")
    mode = next((ln.split()[1] for ln in status.splitlines() if ln.startswith("Seccomp:")), "0")
    filters: tuple[bytes, ...] | None = ()
    error = ""
    if mode == "2":
        try:
            filters = dump_filters(pid)
        except OSError as exc:
            filters, error = None, f"PTRACE_SECCOMP_GET_FILTER: {exc.strerror or exc}"
    return ProcSnapshot(pid, status, _read(base / "mountinfo"), _read(base / "uid_map"),
                        _read(base / "gid_map"), _ns(base / "ns"), _ns(proc / "self" / "ns"),
                        _read(base / "attr" / "current"),
                        _cgroup_files(pid, proc, cgroup_root), filters, error)


def declared_of(found: Found) -> ContainerSpec | None:
    if not found.bundle:
        return None
    path = Path(found.bundle) / "config.json"
    try:
        return parse_oci(json.loads(path.read_bytes()), str(path), found.id)
    except (OSError, ValueError, SpecError):
        return None


def gather_live(proc: Path = Path("/proc"), roots: Sequence[str] = STATE_ROOTS,
                cgroup_root: Path = Path("/sys/fs/cgroup"),
                ) -> tuple[tuple[LiveContainer, ...], tuple[Unknown, ...]]:
    live, unknowns = [], []
    for found in discover(proc, roots):
        try:
            snap = snapshot(found.pid, proc, cgroup_root)
        except OSError as exc:
            unknowns.append(Unknown(f"container {found.id}", str(exc), "runtime.live"))
            continue
        if snap.filters is None:
            unknowns.append(Unknown(f"container {found.id}", snap.filter_error, "runtime.live"))
        live.append(LiveContainer(found.id, found.runtime, declared_of(found),
                                  effective_of(snap), snap))
    return tuple(live), tuple(unknowns)
