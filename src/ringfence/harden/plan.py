"""The hardening plan: one decision per setting, which every emitter (docker/podman flags,
OCI patch, Kubernetes securityContext, seccomp) renders. Pure: no I/O.

    plan = make_plan(workload_from_config(config, "oci:img"), HardenOptions())

Decisions (documented in docs and the command help):
- root filesystem read-only, tmpfs where the workload writes (``writable.py``);
- every capability dropped; ``NET_BIND_SERVICE`` added back only when a port below 1024 is
  exposed; ``CHOWN``/``SETUID``/``SETGID`` only when the entrypoint is a server that starts as
  root and drops to its own user itself (``PRIVILEGE_DROPPING``: nginx' master chowns its
  cache and setuid()s its workers) — that server alone keeps uid 0;
- no-new-privileges;
- the image's user when it is not root, else uid/gid 65532 (distroless' "nonroot") with a
  warning: files the program must write may be owned by root in the image;
- memory 512 MiB and 256 pids unless the spec already sets limits or the user overrides;
- seccomp: every syscall of the native ABI except the escape-class ones ringfence's lint
  flags (``DENIED``), built by ``seccomp.allow_list.allow_list_profile`` (clone without
  namespace flags, clone3 → ENOSYS). For a minimal profile use ``ringfence seccomp record``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Final

from ringfence.errors import UsageError
from ringfence.harden.workload import Workload
from ringfence.harden.writable import Tmpfs, plan_tmpfs, programs
from ringfence.runtime.seccomp_bpf import DANGEROUS_PROBES
from ringfence.seccomp.allow_list import allow_list_profile, native_arch
from ringfence.seccomp.syscalls import TABLES

DEFAULT_MEMORY: Final = 512 * 1024 * 1024
DEFAULT_PIDS: Final = 256
DEFAULT_TMPFS_SIZE: Final = "64m"
NONROOT: Final = 65532
PRIVILEGE_DROPPING: Final = frozenset({
    "nginx", "httpd", "httpd-foreground", "apache2", "apache2ctl", "apache2-foreground",
    "sshd", "php-fpm", "haproxy", "squid", "vsftpd", "dnsmasq", "named", "unbound",
    "postfix", "cron", "crond", "gosu", "su-exec", "setpriv"})
DROP_CAPS: Final = ("CHOWN", "SETGID", "SETUID")
# escape-class syscalls (the lint's probes) plus obsolete or kernel-attack-surface calls
DENIED: Final = frozenset(p.syscall for p in DANGEROUS_PROBES if p.syscall != "clone") | {
    "vhangup", "uselib", "_sysctl", "create_module", "get_kernel_syms", "query_module",
    "nfsservctl", "fanotify_init", "io_uring_setup", "io_uring_enter", "io_uring_register",
    "mount_setattr", "fspick", "afs_syscall", "tuxcall",
    "security", "vserver", "putpmsg", "getpmsg"}
_ROOT: Final = frozenset({"", "0", "root"})


@dataclass(frozen=True, slots=True)
class HardenOptions:
    writable: tuple[str, ...] = ()
    memory: int | None = None  # None: the spec's limit or DEFAULT_MEMORY
    pids: int | None = None
    tmpfs_size: str = DEFAULT_TMPFS_SIZE
    user: str | None = None  # "uid[:gid]" or a name of the image's passwd
    ports: tuple[int, ...] = ()  # exposed ports the input does not declare
    arch: str = "x86_64"
    seccomp: Mapping[str, Any] | None = None  # a profile to use instead of the generated one


@dataclass(frozen=True, slots=True)
class Plan:
    workload: Workload
    user: str  # for --user: a name the image resolves, or uid[:gid]
    uid: int
    gid: int
    cap_add: tuple[str, ...]  # without the CAP_ prefix
    tmpfs: tuple[Tmpfs, ...]
    memory: int
    pids: int
    tmpfs_size: str
    seccomp: Mapping[str, Any] = field(hash=False, compare=False)
    notes: tuple[str, ...] = ()

    @property
    def non_root(self) -> bool:
        return self.uid != 0


def hardened_profile(arch: str = "x86_64") -> dict[str, Any]:
    """Allow the native ABI's syscalls except ``DENIED`` (an OCI ``linux.seccomp``)."""
    table = TABLES[native_arch(arch)]
    return allow_list_profile((n for n in table if n not in DENIED), arch)


def _numeric(text: str, users: Mapping[str, tuple[int, int]]) -> tuple[int, int] | None:
    name, _, group = text.partition(":")
    if name.isdigit():
        uid = int(name)
        gid = int(group) if group.isdigit() else users.get(name, (uid, uid))[1]
        return uid, gid
    if name in users:
        uid, gid = users[name]
        return uid, int(group) if group.isdigit() else gid
    return None


def _user(w: Workload, opts: HardenOptions, drops: bool) -> tuple[str, int, int, list[str]]:
    users = w.files.users if w.files else {}
    wanted = opts.user or w.user or ""
    if wanted.split(":", 1)[0] not in _ROOT:
        ids = _numeric(wanted, users)
        if ids is not None:
            return wanted, ids[0], ids[1], []
        if opts.user and not opts.user.split(":", 1)[0].isdigit():
            raise UsageError(opts.user, "not a uid and not a user of the image's /etc/passwd")
        return wanted, NONROOT, NONROOT, [
            f"user {wanted!r} is not numeric and the image's /etc/passwd is unknown: docker "
            f"and podman resolve it, the OCI and Kubernetes output use uid {NONROOT}"]
    if drops and not opts.user:
        return "0", 0, 0, ["the entrypoint is a server that drops privileges itself: it "
                           "starts as root with only CHOWN/SETUID/SETGID"]
    why = "the image's user is unknown" if w.user is None else "the image runs as root"
    return f"{NONROOT}:{NONROOT}", NONROOT, NONROOT, [
        f"{why}: planned as uid {NONROOT}; the image may need changes "
        "(files it writes outside the tmpfs mounts, ports below 1024, setuid calls)"]


def make_plan(w: Workload, opts: HardenOptions = HardenOptions()) -> Plan:
    drops = bool(programs(w.argv) & PRIVILEGE_DROPPING)
    user, uid, gid, notes = _user(w, opts, drops)
    ports = sorted(set(w.ports) | set(opts.ports))
    caps = set(DROP_CAPS) if uid == 0 else set()
    if any(p < 1024 for p in ports):
        caps.add("NET_BIND_SERVICE")
    tmpfs, tmp_notes = plan_tmpfs(w, opts.writable)
    memory = opts.memory or w.memory or DEFAULT_MEMORY
    pids = opts.pids or w.pids or DEFAULT_PIDS
    if memory <= 0 or pids <= 0:
        raise UsageError(f"{memory}/{pids}", "memory and pids limits must be positive")
    seccomp = dict(opts.seccomp) if opts.seccomp is not None else hardened_profile(opts.arch)
    return Plan(w, user, uid, gid, tuple(sorted(caps)), tmpfs, memory, pids,
                opts.tmpfs_size, seccomp, (*notes, *tmp_notes))


def tmpfs_options(plan: Plan, t: Tmpfs, engine: str = "oci") -> list[str]:
    """Mount options of one tmpfs: owned by the planned user, /tmp-like scratch directories
    world-writable with the sticky bit, others 0755. The owner is always set because runc
    gives a tmpfs the mode of the directory it covers when the image has one (a 0755 /tmp
    of root would otherwise be read-only for the user; measured with runc 1.1.5). The kernel
    and docker take ``uid=``/``gid=``; podman (4.3) rejects them and chowns with ``U``."""
    scratch = t.path in ("/tmp", "/var/tmp")  # noqa: S108
    owner = [] if plan.uid == 0 else ["U"] if engine == "podman" else [
        f"uid={plan.uid}", f"gid={plan.gid}"]
    mode = "mode=1777" if scratch else "mode=0755"
    return ["rw", "nosuid", "nodev", "noexec", f"size={plan.tmpfs_size}", mode, *owner]
