"""What the hardener knows about a workload, from an image config (plus its file list and
/etc/passwd when the image was read) or from a parsed container spec. No I/O here.

    w = workload_from_config(result.image.config, "oci:img", files)
    w = workload_from_spec(spec)
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

from ringfence.runtime.spec import ContainerSpec

_NO_USERS: Mapping[str, tuple[int, int]] = MappingProxyType({})


@dataclass(frozen=True, slots=True)
class ImageFiles:
    """The image's directories, the directories that hold entries, and its users."""

    dirs: frozenset[str]
    nonempty: frozenset[str]
    users: Mapping[str, tuple[int, int]] = field(default_factory=lambda: _NO_USERS)


@dataclass(frozen=True, slots=True)
class Workload:
    """``user`` None: the input does not say. ``files`` None: the file list is unknown.
    ``mounted``: destinations the spec already mounts writable (no tmpfs needed there)."""

    name: str
    image: str = ""
    user: str | None = None
    ports: tuple[int, ...] = ()
    volumes: tuple[str, ...] = ()
    workdir: str = ""
    argv: tuple[str, ...] = ()
    files: ImageFiles | None = None
    mounted: frozenset[str] = frozenset()
    memory: int | None = None
    pids: int | None = None


def parse_passwd(text: str) -> dict[str, tuple[int, int]]:
    """name -> (uid, gid) from /etc/passwd text; malformed lines are skipped."""
    users: dict[str, tuple[int, int]] = {}
    for line in text.splitlines():
        parts = line.split(":")
        if len(parts) >= 4 and parts[2].isdigit() and parts[3].isdigit():
            users[parts[0]] = (int(parts[2]), int(parts[3]))
    return users


def port_numbers(exposed: Sequence[str] | Mapping[str, Any]) -> tuple[int, ...]:
    """``{"80/tcp": {}, "8443": {}}`` -> (80, 8443); ranges and junk are skipped."""
    out = {int(p) for key in exposed if (p := str(key).split("/", 1)[0]).isdigit()}
    return tuple(sorted(out))


def workload_from_config(config: Mapping[str, Any], name: str,
                         files: ImageFiles | None = None) -> Workload:
    """From an OCI/Docker image config (the whole config JSON, with its ``config`` object)."""
    inner: Mapping[str, Any] = config.get("config") or {}
    argv = [*(inner.get("Entrypoint") or ()), *(inner.get("Cmd") or ())]
    return Workload(
        name=name, image=name, user=str(inner.get("User") or ""),
        ports=port_numbers(inner.get("ExposedPorts") or {}),
        volumes=tuple(sorted(str(v) for v in inner.get("Volumes") or {})),
        workdir=str(inner.get("WorkingDir") or ""),
        argv=tuple(str(a) for a in argv), files=files)


def workload_from_spec(spec: ContainerSpec, ports: Sequence[int] = ()) -> Workload:
    """From a container spec: its user, limits and writable mounts (a spec carries no
    exposed ports or entrypoint; ``ports`` adds what the caller knows)."""
    mounted = frozenset(m.destination.rstrip("/") or "/" for m in spec.mounts
                        if not m.read_only and m.type not in ("proc", "sysfs", "cgroup",
                                                              "mqueue", "devpts"))
    limits = spec.limits
    return Workload(
        name=spec.label, image=spec.image, user=spec.user,
        ports=tuple(sorted(set(ports))), mounted=mounted,
        memory=limits.memory if limits and limits.has_memory else None,
        pids=limits.pids if limits and limits.has_pids else None)


def workload_from_container(c: Mapping[str, Any]) -> Workload:
    """From a Kubernetes container: its containerPorts, command/args and workingDir (the
    image's user is unknown here; securityContext.runAsUser counts when set)."""
    ports = [p.get("containerPort") for p in c.get("ports") or () if isinstance(p, Mapping)]
    sc = c.get("securityContext") or {}
    uid = sc.get("runAsUser") if isinstance(sc, Mapping) else None
    return Workload(
        name=str(c.get("name") or ""), image=str(c.get("image") or ""),
        user=str(uid) if isinstance(uid, int) else None,
        ports=tuple(sorted({p for p in ports if isinstance(p, int)})),
        workdir=str(c.get("workingDir") or ""),
        argv=tuple(str(a) for a in [*(c.get("command") or ()), *(c.get("args") or ())]))
