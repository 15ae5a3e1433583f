"""Linux capability names and bits (uapi linux/capability.h) and runtime default sets."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Final

CAPABILITIES: Final[tuple[str, ...]] = (
    "CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_DAC_READ_SEARCH", "CAP_FOWNER", "CAP_FSETID",
    "CAP_KILL", "CAP_SETGID", "CAP_SETUID", "CAP_SETPCAP", "CAP_LINUX_IMMUTABLE",
    "CAP_NET_BIND_SERVICE", "CAP_NET_BROADCAST", "CAP_NET_ADMIN", "CAP_NET_RAW",
    "CAP_IPC_LOCK", "CAP_IPC_OWNER", "CAP_SYS_MODULE", "CAP_SYS_RAWIO", "CAP_SYS_CHROOT",
    "CAP_SYS_PTRACE", "CAP_SYS_PACCT", "CAP_SYS_ADMIN", "CAP_SYS_BOOT", "CAP_SYS_NICE",
    "CAP_SYS_RESOURCE", "CAP_SYS_TIME", "CAP_SYS_TTY_CONFIG", "CAP_MKNOD", "CAP_LEASE",
    "CAP_AUDIT_WRITE", "CAP_AUDIT_CONTROL", "CAP_SETFCAP", "CAP_MAC_OVERRIDE",
    "CAP_MAC_ADMIN", "CAP_SYSLOG", "CAP_WAKE_ALARM", "CAP_BLOCK_SUSPEND", "CAP_AUDIT_READ",
    "CAP_PERFMON", "CAP_BPF", "CAP_CHECKPOINT_RESTORE",
)  # index == bit number
BITS: Final[dict[str, int]] = {name: bit for bit, name in enumerate(CAPABILITIES)}
ALL: Final[frozenset[str]] = frozenset(CAPABILITIES)

# moby/oci/caps/defaults.go (Docker 20+) — what `docker run` grants without --cap-add/--cap-drop
DOCKER_DEFAULT: Final[frozenset[str]] = frozenset({
    "CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_FSETID", "CAP_FOWNER", "CAP_MKNOD", "CAP_NET_RAW",
    "CAP_SETGID", "CAP_SETUID", "CAP_SETFCAP", "CAP_SETPCAP", "CAP_NET_BIND_SERVICE",
    "CAP_SYS_CHROOT", "CAP_KILL", "CAP_AUDIT_WRITE",
})
# containers-common containers.conf default_capabilities (podman 4.x)
PODMAN_DEFAULT: Final[frozenset[str]] = frozenset({
    "CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_FOWNER", "CAP_FSETID", "CAP_KILL",
    "CAP_NET_BIND_SERVICE", "CAP_SETFCAP", "CAP_SETGID", "CAP_SETPCAP", "CAP_SETUID",
    "CAP_SYS_CHROOT",
})
# capabilities that on their own allow escaping or controlling the host
DANGEROUS: Final[frozenset[str]] = frozenset({
    "CAP_SYS_ADMIN", "CAP_SYS_MODULE", "CAP_SYS_PTRACE", "CAP_SYS_RAWIO", "CAP_SYS_BOOT",
    "CAP_DAC_READ_SEARCH", "CAP_NET_ADMIN", "CAP_BPF", "CAP_PERFMON", "CAP_SYS_TIME",
    "CAP_MAC_ADMIN", "CAP_MAC_OVERRIDE", "CAP_SYSLOG", "CAP_LINUX_IMMUTABLE",
    "CAP_CHECKPOINT_RESTORE", "CAP_SYS_RESOURCE", "CAP_AUDIT_CONTROL", "CAP_NET_RAW",
})


def normalize(name: str) -> str:
    """``sys_admin``, ``SYS_ADMIN`` and ``CAP_SYS_ADMIN`` all become ``CAP_SYS_ADMIN``."""
    upper = name.strip().upper()
    return upper if upper.startswith("CAP_") or upper == "ALL" else f"CAP_{upper}"


def normalize_all(names: Iterable[str]) -> tuple[str, ...]:
    return tuple(sorted({normalize(n) for n in names if n.strip()}))


def from_mask(mask: int) -> frozenset[str]:
    """Names of the bits set in a /proc status mask (``CapEff: 00000000a80425fb``).

    Bits past the last name this module knows (newer kernels) are named ``CAP_<bit>``.
    """
    return frozenset(CAPABILITIES[b] if b < len(CAPABILITIES) else f"CAP_{b}"
                     for b in range(64) if mask >> b & 1)


def to_mask(names: Iterable[str]) -> int:
    return sum(1 << BITS[normalize(n)] for n in set(names) if normalize(n) in BITS)


def apply_add_drop(base: frozenset[str], add: Iterable[str],
                   drop: Iterable[str]) -> frozenset[str]:
    """Docker/podman semantics: drop first (``ALL`` clears the base), then add (``ALL`` adds
    every capability)."""
    adds, drops = set(normalize_all(add)), set(normalize_all(drop))
    result = set() if "ALL" in drops else set(base) - drops
    result |= set(ALL) if "ALL" in adds else adds
    return frozenset(result)
