"""What confines this process — run inside a container (amicontained, done right).

Dependency-free: standard library only, so the file can be copied into any image that has a
Python and run as ``python3 probe.py`` (or ``python3 -m ringfence.probe``); prints JSON.
Dangerous syscalls are *tried* with arguments the kernel rejects (bad flags, NULL pointers,
fd -1), never with arguments that could act, and the errno says who answered: EINVAL,
EFAULT, EBADF… mean the kernel reached the syscall's own checks (not blocked); EPERM means a
seccomp filter or a missing capability refused it; ENOSYS a filter (or an old kernel).
"""

from __future__ import annotations

import ctypes
import errno
import json
import os
import platform
import socket
import sys
from typing import Any, Final

CAPS: Final = (
    "CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_DAC_READ_SEARCH", "CAP_FOWNER", "CAP_FSETID",
    "CAP_KILL", "CAP_SETGID", "CAP_SETUID", "CAP_SETPCAP", "CAP_LINUX_IMMUTABLE",
    "CAP_NET_BIND_SERVICE", "CAP_NET_BROADCAST", "CAP_NET_ADMIN", "CAP_NET_RAW",
    "CAP_IPC_LOCK", "CAP_IPC_OWNER", "CAP_SYS_MODULE", "CAP_SYS_RAWIO", "CAP_SYS_CHROOT",
    "CAP_SYS_PTRACE", "CAP_SYS_PACCT", "CAP_SYS_ADMIN", "CAP_SYS_BOOT", "CAP_SYS_NICE",
    "CAP_SYS_RESOURCE", "CAP_SYS_TIME", "CAP_SYS_TTY_CONFIG", "CAP_MKNOD", "CAP_LEASE",
    "CAP_AUDIT_WRITE", "CAP_AUDIT_CONTROL", "CAP_SETFCAP", "CAP_MAC_OVERRIDE",
    "CAP_MAC_ADMIN", "CAP_SYSLOG", "CAP_WAKE_ALARM", "CAP_BLOCK_SUSPEND", "CAP_AUDIT_READ",
    "CAP_PERFMON", "CAP_BPF", "CAP_CHECKPOINT_RESTORE",
)
_M1: Final = 0xFFFFFFFFFFFFFFFF  # -1 as an unsigned long
# name: (x86_64 nr, aarch64 nr or -1, arguments the kernel rejects without acting)
SYSCALLS: Final[dict[str, tuple[int, int, tuple[int, ...]]]] = {
    "mount": (165, 40, (0, 0, 0, 0, 0)), "umount2": (166, 39, (0, 0xFFFFFFFF)),
    "pivot_root": (155, 41, (0, 0)), "unshare": (272, 97, (1,)),
    "setns": (308, 268, (_M1, 0)), "ptrace": (101, 117, (0xFFFF, 0, 0, 0)),
    "bpf": (321, 280, (0xFFFF, 0, 0)), "keyctl": (250, 219, (0xFFFF,)),
    "add_key": (248, 217, (0, 0, 0, 0, 0)), "request_key": (249, 218, (0, 0, 0, 0)),
    "init_module": (175, 105, (0, 0, 0)), "finit_module": (313, 273, (_M1, 0, 0)),
    "delete_module": (176, 106, (0, 0)), "open_by_handle_at": (304, 265, (_M1, 0, 0)),
    "name_to_handle_at": (303, 264, (_M1, 0, 0, 0, 0)),
    "perf_event_open": (298, 241, (0, 0, _M1, _M1, 0)),
    "userfaultfd": (323, 282, (0xFFFFFFFF,)), "kexec_load": (246, 104, (0, 0, 0, 0xFFFFFFFF)),
    "reboot": (169, 142, (0, 0, 0, 0)), "swapon": (167, 224, (0, 0)), "acct": (163, 89, (1,)),
    "syslog": (103, 116, (0xFFFF, 0, 0)), "iopl": (172, -1, (99,)),
    "ioperm": (173, -1, (0xFFFFFFFF, 1, 1)), "process_vm_readv": (310, 270, (0, 0, 0, 0, 0, 1)),
    "fsopen": (430, 430, (0, 0xFFFFFFFF)), "clock_settime": (227, 112, (0xFFFF, 0)),
    "quotactl": (179, 60, (0, 0, 0, 0)), "clone3": (435, 435, (0, 0)),
    "io_uring_setup": (425, 425, (0, 0)),
}
RUNTIME_SOCKETS: Final = (
    "/var/run/docker.sock", "/run/docker.sock", "/run/containerd/containerd.sock",
    "/run/crio/crio.sock", "/run/podman/podman.sock", "/var/run/crio/crio.sock",
    "/var/run/containerd/containerd.sock", "/run/user/0/podman/podman.sock",
)
NAMESPACES: Final = ("cgroup", "ipc", "mnt", "net", "pid", "time", "user", "uts")


def _read(path: str) -> str | None:
    try:
        with open(path, encoding="utf-8", errors="replace") as fh:
            return fh.read()
    except OSError:
        return None


def status(text: str | None = None) -> dict[str, str]:
    raw = text if text is not None else _read("/proc/self/status") or ""
    return {k.strip(): v.strip() for k, _, v in (ln.partition(":") for ln in raw.splitlines())}


def cap_names(mask_hex: str) -> list[str]:
    mask = int(mask_hex or "0", 16)
    return [CAPS[b] if b < len(CAPS) else f"CAP_{b}" for b in range(64) if mask >> b & 1]


def try_syscall(name: str) -> dict[str, Any]:
    """Call ``name`` with rejected arguments; the errno it fails with, or that it returned."""
    x86, arm, args = SYSCALLS[name]
    nr = x86 if platform.machine() == "x86_64" else arm if platform.machine() == "aarch64" else -1
    if nr < 0:
        return {"errno": None, "denied": None, "note": f"not on {platform.machine()}"}
    libc = ctypes.CDLL(None, use_errno=True)
    libc.syscall.restype = ctypes.c_long
    ctypes.set_errno(0)
    result = libc.syscall(ctypes.c_long(nr), *(ctypes.c_ulong(a) for a in args))
    err = ctypes.get_errno() if result == -1 else 0
    return {"errno": errno.errorcode.get(err, str(err)) if err else None,
            "denied": err in (errno.EPERM, errno.ENOSYS, errno.EACCES)}


def namespaces() -> dict[str, str | None]:
    found: dict[str, str | None] = {}
    for ns in NAMESPACES:
        try:
            found[ns] = os.readlink(f"/proc/self/ns/{ns}")
        except OSError:
            found[ns] = None
    return found


def runtime() -> str:
    env = os.environ.get("container", "")  # noqa: SIM112 - podman/systemd set it lower-case
    if env:
        return env
    if os.path.exists("/run/.containerenv"):
        return "podman"
    if os.path.exists("/.dockerenv"):
        return "docker"
    cgroup = _read("/proc/self/cgroup") or ""
    for marker, name in (("kubepods", "kubernetes"), ("libpod", "podman"), ("docker", "docker"),
                         ("crio", "cri-o"), ("containerd", "containerd"), ("lxc", "lxc")):
        if marker in cgroup:
            return name
    return "unknown"


def mounts(text: str | None = None) -> list[dict[str, Any]]:
    """mountinfo entries: mount point, fs type, source and read-only flag."""
    found = []
    for line in (text if text is not None else _read("/proc/self/mountinfo") or "").splitlines():
        left, _, right = line.partition(" - ")
        fields, tail = left.split(), right.split()
        if len(fields) < 6 or len(tail) < 2:
            continue
        opts = fields[5].split(",")
        found.append({"target": fields[4], "type": tail[0], "source": tail[1],
                      "read_only": "ro" in opts})
    return found


def reachable_sockets(paths: tuple[str, ...] = RUNTIME_SOCKETS) -> list[str]:
    reachable = []
    for path in paths:
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
            sock.settimeout(0.5)
            try:
                sock.connect(path)
            except OSError:
                continue
            reachable.append(path)
    return reachable


def lsm_label() -> dict[str, str | None]:
    label = _read("/proc/self/attr/current")
    return {"label": label.strip("\x00\n ") if label else None,
            "lsm": (_read("/sys/kernel/security/lsm") or "").strip() or None}


def gather() -> dict[str, Any]:
    st = status()
    root = [m for m in mounts() if m["target"] == "/"]
    return {
        "probe_version": 1, "runtime": runtime(), "machine": platform.machine(),
        "uid": os.getuid(), "namespaces": namespaces(),
        "uid_map": (_read("/proc/self/uid_map") or "").split(),
        "capabilities": {k: cap_names(st.get(f"Cap{k.capitalize()}", "0"))
                         for k in ("eff", "prm", "bnd", "amb", "inh")},
        "no_new_privs": st.get("NoNewPrivs") == "1",
        "seccomp": {"mode": int(st.get("Seccomp", "0") or 0),
                    "filters": int(st.get("Seccomp_filters", "0") or 0)},
        "syscalls": {name: try_syscall(name) for name in SYSCALLS},
        "lsm": lsm_label(),
        "read_only_root": bool(root) and root[-1]["read_only"],
        "read_only_mounts": sorted({m["target"] for m in mounts() if m["read_only"]}),
        "runtime_sockets": reachable_sockets(),
    }


if __name__ == "__main__":
    # the standalone entry point (copied into a container, no ringfence CLI there) is the one
    # place this module writes; the library functions above return data only
    sys.stdout.write(json.dumps(gather(), indent=2, sort_keys=True) + "\n")
