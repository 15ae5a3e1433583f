"""OCI runtime-spec ``config.json`` (runc/crun bundles, podman's userdata, crictl's
runtimeSpec) → ContainerSpec."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final

from ringfence.runtime import caps as capnames
from ringfence.runtime.seccomp_profile import ProfileError, parse_profile
from ringfence.runtime.spec import NAMESPACES, ContainerSpec, Limits, Mount, Seccomp

PROPAGATIONS: Final = frozenset({"shared", "rshared", "slave", "rslave", "private", "rprivate",
                                 "unbindable", "runbindable"})


class SpecError(ValueError):
    """A document that does not have the shape of the format it claims."""


def parse_oci(doc: Mapping[str, Any], location: str, cid: str = "",
              name: str = "") -> ContainerSpec:
    if not isinstance(doc, Mapping) or ("process" not in doc and "linux" not in doc):
        raise SpecError(f"{location}: not an OCI runtime config (no process/linux)")
    process: Mapping[str, Any] = doc.get("process") or {}
    linux: Mapping[str, Any] = doc.get("linux") or {}
    notes: Mapping[str, str] = doc.get("annotations") or {}
    bounding = capnames.normalize_all((process.get("capabilities") or {}).get("bounding") or ())
    return ContainerSpec(
        id=cid, name=name, source="oci", location=location,
        image=str(notes.get("org.opencontainers.image.ref.name", "")),
        privileged=_privileged(notes, linux, bounding),
        capabilities=frozenset(bounding),
        seccomp=_seccomp(linux, location),
        apparmor=process.get("apparmorProfile") or None,
        selinux_label=str(process.get("selinuxLabel") or ""),
        selinux_disabled=notes.get("io.podman.annotations.label") == "disable",
        no_new_privileges=bool(process.get("noNewPrivileges", False)),
        read_only_rootfs=bool((doc.get("root") or {}).get("readonly", False)),
        user=_user(process.get("user") or {}),
        host_namespaces=host_namespaces(linux.get("namespaces") or ()),
        user_namespace=any(e.get("type") == "user" for e in linux.get("namespaces") or ()),
        mounts=tuple(_mount(m) for m in doc.get("mounts") or ()),
        devices=tuple(str(d.get("path", "")) for d in linux.get("devices") or ()),
        limits=_limits(linux.get("resources") or {}),
        rootfs_propagation=str(linux.get("rootfsPropagation") or ""),
    )


def _privileged(notes: Mapping[str, str], linux: Mapping[str, Any],
                bounding: tuple[str, ...]) -> bool:
    if "io.podman.annotations.privileged" in notes:
        return notes["io.podman.annotations.privileged"].upper() == "TRUE"
    devices = (linux.get("resources") or {}).get("devices") or ()
    allow_all = any(d.get("allow") and not d.get("type") and not d.get("major")
                    for d in devices)
    return allow_all and "seccomp" not in linux and "CAP_SYS_ADMIN" in bounding


def _seccomp(linux: Mapping[str, Any], location: str) -> Seccomp:
    doc = linux.get("seccomp")
    if not doc:
        return Seccomp("unconfined")
    try:
        return Seccomp("profile", parse_profile(doc))
    except (ProfileError, KeyError, TypeError, ValueError) as exc:
        raise SpecError(f"{location}: linux.seccomp: {exc}") from exc


def _user(user: Mapping[str, Any]) -> str:
    uid, gid = user.get("uid", 0), user.get("gid")
    return f"{uid}:{gid}" if gid is not None else str(uid)


def host_namespaces(entries: Any) -> frozenset[str]:
    """Namespaces the container does not get its own of (absent from ``linux.namespaces``,
    or joined by a /proc/1 path). ``cgroup`` is left out: absent is the cgroup-v1 norm;
    ``user`` is ContainerSpec.user_namespace."""
    own = {str(e.get("type")) for e in entries
           if not str(e.get("path", "")).startswith("/proc/1/")}
    return frozenset(ns for ns in NAMESPACES if ns not in own and ns != "cgroup")


def _mount(m: Mapping[str, Any]) -> Mount:
    options = [str(o) for o in m.get("options") or ()]
    kind = str(m.get("type") or "")
    if "bind" in options or "rbind" in options:
        kind = "bind"
    return Mount(str(m.get("destination", "")), str(m.get("source", "")), kind or "bind",
                 "ro" in options, next((o for o in options if o in PROPAGATIONS), ""))


def _limits(res: Mapping[str, Any]) -> Limits:
    memory = (res.get("memory") or {}).get("limit")
    pids = (res.get("pids") or {}).get("limit")
    cpu = res.get("cpu") or {}
    return Limits(memory=int(memory) if memory is not None else None,
                  pids=int(pids) if pids is not None else None,
                  cpu_quota=int(cpu["quota"]) if cpu.get("quota") else None,
                  cpu_shares=int(cpu["shares"]) if cpu.get("shares") else None,
                  cpuset=str(cpu.get("cpus") or ""))
