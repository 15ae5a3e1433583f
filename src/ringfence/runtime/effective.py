"""What the kernel enforces for one container process, computed from a ProcSnapshot (the raw
text of /proc/<pid>/status, mountinfo, ns links, uid_map, attr/current, cgroup limit files and
the dumped seccomp filters). Pure: live.py gathers snapshots, fixtures store them as JSON."""

from __future__ import annotations

import base64
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Final

from ringfence.runtime import caps as capnames
from ringfence.runtime import seccomp_bpf as bpf
from ringfence.runtime.spec import is_sensitive_source

NS_NAMES: Final = {"pid": "pid", "net": "network", "ipc": "ipc", "uts": "uts", "mnt": "mount",
                   "cgroup": "cgroup", "user": "user"}
UNLIMITED_V1: Final = 1 << 62  # memory.limit_in_bytes prints ~2^63 rounded to pages


@dataclass(frozen=True, slots=True)
class ProcSnapshot:
    """Raw kernel state of one process; ``filters`` None = could not be dumped."""

    pid: int
    status: str
    mountinfo: str = ""
    uid_map: str = ""
    gid_map: str = ""
    ns: Mapping[str, str] = field(default_factory=dict)  # "net" -> "net:[4026531840]"
    host_ns: Mapping[str, str] = field(default_factory=dict)  # the same of /proc/self
    attr_current: str = ""
    cgroup_files: Mapping[str, str] = field(default_factory=dict)  # "memory.max" -> "max"
    filters: tuple[bytes, ...] | None = None
    filter_error: str = ""

    def to_dict(self) -> dict[str, Any]:
        return {"pid": self.pid, "status": self.status, "mountinfo": self.mountinfo,
                "uid_map": self.uid_map, "gid_map": self.gid_map, "ns": dict(self.ns),
                "host_ns": dict(self.host_ns), "attr_current": self.attr_current,
                "cgroup_files": dict(self.cgroup_files), "filter_error": self.filter_error,
                "filters": None if self.filters is None else
                [base64.b64encode(f).decode() for f in self.filters]}

    @classmethod
    def from_dict(cls, doc: Mapping[str, Any]) -> ProcSnapshot:
        filters = doc.get("filters")
        return cls(int(doc["pid"]), str(doc["status"]), str(doc.get("mountinfo", "")),
                   str(doc.get("uid_map", "")), str(doc.get("gid_map", "")),
                   dict(doc.get("ns") or {}), dict(doc.get("host_ns") or {}),
                   str(doc.get("attr_current", "")), dict(doc.get("cgroup_files") or {}),
                   None if filters is None else tuple(base64.b64decode(f) for f in filters),
                   str(doc.get("filter_error", "")))


@dataclass(frozen=True, slots=True)
class Effective:
    pid: int
    cap_eff: frozenset[str]
    cap_bnd: frozenset[str]
    cap_prm: frozenset[str]
    cap_amb: frozenset[str]
    no_new_privs: bool
    seccomp_mode: int  # 0 off, 1 strict, 2 filter
    seccomp_filters: int
    verdicts: Mapping[str, str] | None  # dangerous call label -> verdict; None = unread
    blocked: frozenset[str] | None
    uids: tuple[int, ...]  # real, effective, saved, filesystem
    uid_map: tuple[tuple[int, int, int], ...]
    host_namespaces: frozenset[str]
    root_read_only: bool | None
    sensitive_mounts: tuple[str, ...]  # "host-path -> mount point"
    lsm_label: str
    memory_limit: int | None  # None = unlimited
    pids_limit: int | None
    cpu_quota: int | None
    filter_error: str = ""


def parse_status(text: str) -> dict[str, str]:
    return {k.strip(): v.strip() for k, _, v in (line.partition(":")
                                                 for line in text.splitlines()) if k}


def parse_id_map(text: str) -> tuple[tuple[int, int, int], ...]:
    return tuple((int(a), int(b), int(c)) for a, b, c in
                 (line.split() for line in text.splitlines() if len(line.split()) == 3))


def parse_mountinfo(text: str) -> list[tuple[str, str, str, tuple[str, ...]]]:
    """(root within its filesystem, mount point, fstype, mount options) per line."""
    out = []
    for line in text.splitlines():
        left, sep, right = line.partition(" - ")
        fields = left.split()
        if not sep or len(fields) < 6:
            continue
        out.append((_unescape(fields[3]), _unescape(fields[4]), right.split()[0],
                    tuple(fields[5].split(","))))
    return out


def _unescape(path: str) -> str:
    return path.replace("\\040", " ").replace("\\011", "\t").replace("\\012", "\n") \
        .replace("\\134", "\\")


def _mounts(text: str) -> tuple[bool | None, tuple[str, ...]]:
    mounts = parse_mountinfo(text)
    roots = [opts for _, point, _, opts in mounts if point == "/"]
    read_only = ("ro" in roots[-1]) if roots else None
    sensitive = tuple(f"{root} -> {point}" for root, point, fstype, _ in mounts
                      if point != "/" and fstype not in ("proc", "sysfs", "tmpfs", "devpts",
                                                         "mqueue", "cgroup", "cgroup2")
                      and is_sensitive_source(root) and root != "/")
    return read_only, sensitive


def _limit(files: Mapping[str, str], *names: str) -> int | None:
    for name in names:
        value = files.get(name, "").split()
        if value:
            if value[0] in ("max", "-1"):
                return None
            number = int(value[0])
            return None if number >= UNLIMITED_V1 else number
    return None


def effective_of(snap: ProcSnapshot) -> Effective:
    status = parse_status(snap.status)
    mask = {k: capnames.from_mask(int(status.get(k, "0"), 16))
            for k in ("CapEff", "CapBnd", "CapPrm", "CapAmb")}
    progs = None if snap.filters is None else [bpf.decode(f) for f in snap.filters]
    verdicts = None if progs is None else {k: str(v) for k, v in bpf.assess(progs).items()}
    read_only, sensitive = _mounts(snap.mountinfo)
    shared = frozenset(NS_NAMES[n] for n, link in snap.ns.items()
                       if n in NS_NAMES and link and snap.host_ns.get(n) == link)
    return Effective(
        pid=snap.pid, cap_eff=mask["CapEff"], cap_bnd=mask["CapBnd"], cap_prm=mask["CapPrm"],
        cap_amb=mask["CapAmb"], no_new_privs=status.get("NoNewPrivs", "0") == "1",
        seccomp_mode=int(status.get("Seccomp", "0")),
        seccomp_filters=int(status.get("Seccomp_filters", "0")),
        verdicts=verdicts,
        blocked=None if progs is None else bpf.blocked_labels(progs),
        uids=tuple(int(u) for u in status.get("Uid", "").split()),
        uid_map=parse_id_map(snap.uid_map), host_namespaces=shared,
        root_read_only=read_only, sensitive_mounts=sensitive,
        lsm_label=snap.attr_current.strip().rstrip("\x00"),
        memory_limit=_limit(snap.cgroup_files, "memory.max", "memory.limit_in_bytes"),
        pids_limit=_limit(snap.cgroup_files, "pids.max"),
        cpu_quota=_limit(snap.cgroup_files, "cpu.max", "cpu.cfs_quota_us"),
        filter_error=snap.filter_error)
