"""``docker inspect`` JSON (a list of containers) → ContainerSpec. podman's inspect shares
this shape (HostConfig, Config, Mounts) and adds fields; parse_podman builds on this module."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from ringfence.runtime import caps as capnames
from ringfence.runtime.parse_oci import PROPAGATIONS, SpecError
from ringfence.runtime.seccomp_profile import ProfileError, parse_profile
from ringfence.runtime.spec import ContainerSpec, Limits, Mount, Seccomp


def split_option(opt: str) -> tuple[str, str]:
    """``seccomp=unconfined``, ``seccomp:unconfined`` (old syntax), ``no-new-privileges``."""
    for sep in ("=", ":"):
        if sep in opt:
            key, _, value = opt.partition(sep)
            return key.strip(), value.strip()
    return opt.strip(), ""


def security_options(opts: Any) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for opt in opts or ():
        key, value = split_option(str(opt))
        out.setdefault(key, []).append(value)
    return out


def seccomp_of(opts: dict[str, list[str]], privileged: bool, caps: frozenset[str],
               location: str) -> Seccomp:
    values = opts.get("seccomp", [])
    if privileged or "unconfined" in values:
        return Seccomp("unconfined")
    if not values:
        return Seccomp("default")
    value = values[-1]
    if value.lstrip().startswith("{"):  # the daemon stores the profile inline
        try:
            return Seccomp("profile", parse_profile(json.loads(value), caps))
        except (ProfileError, ValueError) as exc:
            raise SpecError(f"{location}: seccomp profile: {exc}") from exc
    return Seccomp("profile", None, value)


def no_new_privileges(opts: dict[str, list[str]]) -> bool:
    values = opts.get("no-new-privileges")
    return values is not None and values[-1].lower() in ("", "true", "1")


def parse_docker_container(doc: Mapping[str, Any], location: str,
                           default_caps: frozenset[str] = capnames.DOCKER_DEFAULT,
                           source: str = "docker") -> ContainerSpec:
    if not isinstance(doc, Mapping) or "HostConfig" not in doc:
        raise SpecError(f"{location}: not a container inspect object (no HostConfig)")
    host: Mapping[str, Any] = doc["HostConfig"] or {}
    config: Mapping[str, Any] = doc.get("Config") or {}
    privileged = bool(host.get("Privileged"))
    opts = security_options(host.get("SecurityOpt"))
    granted = capnames.apply_add_drop(capnames.ALL if privileged else default_caps,
                                      host.get("CapAdd") or (), host.get("CapDrop") or ())
    labels = opts.get("label", [])
    return ContainerSpec(
        id=str(doc.get("Id", "")), name=str(doc.get("Name", "")).lstrip("/"), source=source,
        location=location, image=str(config.get("Image") or doc.get("ImageName") or ""),
        privileged=privileged, capabilities=granted,
        cap_add=capnames.normalize_all(host.get("CapAdd") or ()),
        cap_drop=capnames.normalize_all(host.get("CapDrop") or ()),
        seccomp=seccomp_of(opts, privileged, granted, location),
        apparmor=_apparmor(doc, opts),
        selinux_label=str(doc.get("ProcessLabel") or ""),
        selinux_disabled="disable" in labels or "type:spc_t" in labels,
        no_new_privileges=no_new_privileges(opts),
        read_only_rootfs=bool(host.get("ReadonlyRootfs")),
        user=str(config.get("User") or ""),
        host_namespaces=_host_namespaces(host),
        user_namespace=False if host.get("UsernsMode") == "host" else None,
        mounts=tuple(_mount(m) for m in doc.get("Mounts") or ()),
        devices=tuple(str(d.get("PathOnHost", "")) for d in host.get("Devices") or ()),
        limits=_limits(host),
        pid=int((doc.get("State") or {}).get("Pid") or 0) or None,
    )


def _apparmor(doc: Mapping[str, Any], opts: dict[str, list[str]]) -> str | None:
    if opts.get("apparmor"):
        return opts["apparmor"][-1]
    return str(doc.get("AppArmorProfile") or "") or None


def _host_namespaces(host: Mapping[str, Any]) -> frozenset[str]:
    modes = {"pid": host.get("PidMode"), "network": host.get("NetworkMode"),
             "ipc": host.get("IpcMode"), "uts": host.get("UTSMode"),
             "cgroup": host.get("CgroupnsMode")}
    return frozenset(ns for ns, mode in modes.items() if str(mode or "") == "host")


def _mount(m: Mapping[str, Any]) -> Mount:
    propagation = str(m.get("Propagation") or "")
    return Mount(str(m.get("Destination", "")), str(m.get("Source", "")),
                 str(m.get("Type") or "bind"), not m.get("RW", True),
                 propagation if propagation in PROPAGATIONS else "")


def _limits(host: Mapping[str, Any]) -> Limits:
    quota = int(host.get("CpuQuota") or 0) or None
    nano = int(host.get("NanoCpus") or 0)
    if quota is None and nano:
        quota = nano * int(host.get("CpuPeriod") or 100000) // 1_000_000_000
    return Limits(memory=int(host.get("Memory") or 0), pids=int(host.get("PidsLimit") or 0),
                  cpu_quota=quota, cpu_shares=int(host.get("CpuShares") or 0) or None,
                  cpuset=str(host.get("CpusetCpus") or ""))


def parse_docker(doc: Any, location: str) -> tuple[ContainerSpec, ...]:
    items = doc if isinstance(doc, list) else [doc]
    return tuple(parse_docker_container(item, f"{location}[{i}]")
                 for i, item in enumerate(items))
