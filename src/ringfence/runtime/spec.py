"""The normalised container spec: docker/podman inspect, OCI config.json and crictl inspect all
parse into one ContainerSpec, which the RT rules (and harden) read. No I/O here.

Tri-state fields use ``None`` for "the input does not say" so rules can report *not evaluated*
instead of guessing.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Final

from ringfence.runtime.seccomp_profile import SeccompProfile

NAMESPACES: Final = ("pid", "network", "ipc", "uts", "mount", "cgroup")  # user: see spec

# host paths whose bind mount into a container hands over the host (CIS Docker 5.5, 5.31)
RUNTIME_SOCKETS: Final = (
    "/var/run/docker.sock", "/run/docker.sock", "/run/containerd/containerd.sock",
    "/var/run/containerd/containerd.sock", "/run/crio/crio.sock", "/var/run/crio/crio.sock",
    "/run/podman/podman.sock", "/var/run/podman/podman.sock", "/run/dockershim.sock",
)
SENSITIVE_DIRS: Final = ("/", "/proc", "/sys", "/etc", "/boot", "/dev", "/lib/modules",
                         "/usr", "/var/lib/docker", "/var/lib/containers", "/var/lib/kubelet",
                         "/run", "/var/run", "/root", "/home")


@dataclass(frozen=True, slots=True)
class Mount:
    """A mount as declared: host ``source`` (for binds) onto container ``destination``."""

    destination: str
    source: str = ""
    type: str = "bind"  # bind | volume | tmpfs | proc | sysfs | ...
    read_only: bool = False
    propagation: str = ""  # shared | rshared | slave | rslave | private | rprivate | ""

    @property
    def is_bind(self) -> bool:
        return self.type in ("bind", "rbind") or (self.type == "" and bool(self.source))


@dataclass(frozen=True, slots=True)
class Seccomp:
    """``mode``: unconfined | default (the runtime's built-in profile) | profile (given)."""

    mode: str
    profile: SeccompProfile | None = None
    source: str = ""  # profile name or path when the input names one


@dataclass(frozen=True, slots=True)
class Limits:
    memory: int | None = None  # bytes; 0 or None = unlimited
    pids: int | None = None  # None / 0 / -1 = unlimited
    cpu_quota: int | None = None  # microseconds per period; None = unlimited
    cpu_shares: int | None = None
    cpuset: str = ""

    @property
    def has_memory(self) -> bool:
        return bool(self.memory and self.memory > 0)

    @property
    def has_pids(self) -> bool:
        return bool(self.pids and self.pids > 0)

    @property
    def has_cpu(self) -> bool:
        return bool(self.cpu_quota and self.cpu_quota > 0) or bool(self.cpuset)


@dataclass(frozen=True, slots=True)
class ContainerSpec:
    """One container's declared security configuration, whatever format it came from."""

    id: str
    name: str
    source: str  # docker | podman | oci | crictl
    location: str  # the file (and index) it was read from
    image: str = ""
    privileged: bool = False
    capabilities: frozenset[str] | None = None  # bounding set granted; None = unknown
    cap_add: tuple[str, ...] = ()
    cap_drop: tuple[str, ...] = ()
    seccomp: Seccomp = field(default_factory=lambda: Seccomp("default"))
    apparmor: str | None = None  # profile name, "unconfined", None = not said
    selinux_label: str = ""  # process label when declared (user:role:type:level)
    selinux_disabled: bool = False  # label=disable / type spc_t
    no_new_privileges: bool | None = None
    read_only_rootfs: bool | None = None
    user: str | None = None  # "" or "0" or "root" = root; None = not said (image default)
    host_namespaces: frozenset[str] = frozenset()  # pid/network/ipc/uts/mount shared with host
    user_namespace: bool | None = None  # own user namespace; False = host's; None = not said
    mounts: tuple[Mount, ...] = ()
    devices: tuple[str, ...] = ()  # host device paths passed in
    limits: Limits | None = None  # None = the input carries no resource section
    rootfs_propagation: str = ""
    pid: int | None = None  # the init process when the input records one (inspect State)

    @property
    def runs_as_root(self) -> bool | None:
        if self.user is None:
            return None
        uid = self.user.split(":", 1)[0]
        return uid in ("", "0", "root")

    @property
    def label(self) -> str:
        return self.name or self.id[:12]


def is_sensitive_source(path: str) -> bool:
    """True for a host path that is a runtime socket or a sensitive host directory."""
    clean = "/" + path.strip("/") if path.strip("/") else "/"
    return clean in RUNTIME_SOCKETS or clean in SENSITIVE_DIRS \
        or clean.endswith(("/docker.sock", "/containerd.sock", "/crio.sock", "/podman.sock"))


def mcs_pair(label: str) -> str:
    """The MCS categories of an SELinux label (``system_u:system_r:container_t:s0:c1,c2`` →
    ``c1,c2``); "" when the label has none."""
    parts = label.strip().split(":")
    if len(parts) < 5:
        return ""
    return ",".join(sorted(parts[4].split(","), key=lambda c: int(c.strip("c") or 0)))
