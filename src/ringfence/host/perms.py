"""Owners and modes of runtime sockets and config files (CIS Docker section 3), pure."""

from __future__ import annotations

from ringfence.host.facts import FileStat

SOCKET_DIRS: tuple[str, ...] = ("/run", "/run/docker", "/run/containerd", "/run/crio",
                                "/run/podman", "/run/buildkit", "/var/run")
KNOWN_SOCKETS: tuple[str, ...] = ("/run/docker.sock", "/run/containerd/containerd.sock",
                                  "/run/crio/crio.sock", "/run/podman/podman.sock",
                                  "/run/buildkit/buildkitd.sock")
UNIT_DIRS: tuple[str, ...] = ("/lib/systemd/system", "/usr/lib/systemd/system",
                              "/etc/systemd/system")
CONFIG_PATHS: tuple[str, ...] = (
    "/etc/docker", "/etc/docker/daemon.json", "/etc/docker/certs.d", "/etc/default/docker",
    "/etc/sysconfig/docker", "/etc/containerd", "/etc/containerd/config.toml", "/etc/crio",
    "/etc/crio/crio.conf", "/etc/containers", "/etc/containers/policy.json",
    "/etc/containers/registries.conf", "/etc/containers/containers.conf",
    "/etc/containers/storage.conf",
    *(f"{d}/{unit}" for d in UNIT_DIRS for unit in (
        "docker.service", "docker.socket", "containerd.service", "crio.service",
        "podman.socket", "podman.service")),
)


def _mode(st: FileStat) -> str:
    return f"{st.mode:04o} {st.uid}:{st.gid}"


# the conditions of the permission rules: what is wrong with the file
WORLD_WRITABLE, GROUP_WRITABLE, NOT_ROOT = "world-writable", "group-writable", "not-root"
SOCKET_CONDITIONS: tuple[str, ...] = (WORLD_WRITABLE, NOT_ROOT)
CONFIG_CONDITIONS: tuple[str, ...] = (WORLD_WRITABLE, GROUP_WRITABLE, NOT_ROOT)


def socket_problems(st: FileStat) -> list[tuple[str, str]]:
    """(problem, condition) pairs. A runtime API socket is root's: never writable by
    others, never owned by a user (CIS Docker 3.15/3.16 root:docker 0660, 3.23/3.24
    containerd root:root 0660)."""
    out: list[tuple[str, str]] = []
    if st.mode & 0o002:
        out.append((f"{st.path} is writable by every local user ({_mode(st)})",
                    WORLD_WRITABLE))
    if st.uid != 0:
        out.append((f"{st.path} is owned by uid {st.uid}, not root ({_mode(st)})", NOT_ROOT))
    return out


def config_problems(st: FileStat) -> list[tuple[str, str]]:
    """(problem, condition) pairs. Runtime configs and units: root-owned, not writable by
    group or others (CIS Docker 3.1-3.6, 3.17-3.22: 0644 files, 0755 directories,
    root:root)."""
    out: list[tuple[str, str]] = []
    if st.kind == "link":
        return out  # the target is checked under its own path
    if st.mode & 0o002:
        out.append((f"{st.path} is writable by every local user ({_mode(st)})",
                    WORLD_WRITABLE))
    elif st.mode & 0o020:
        out.append((f"{st.path} is writable by group {st.gid} ({_mode(st)})", GROUP_WRITABLE))
    if st.uid != 0:
        out.append((f"{st.path} is owned by uid {st.uid}, not root ({_mode(st)})", NOT_ROOT))
    return out
