"""auditd rule files: which paths are watched (``-w PATH`` and ``-F path=``/``-F dir=``)."""

from __future__ import annotations

import shlex

# CIS Docker 1.1.3-1.1.18: the daemon, its state and its configuration are audited
AUDITED_PATHS: tuple[str, ...] = (
    "/usr/bin/dockerd", "/run/containerd", "/var/lib/docker", "/etc/docker",
    "/lib/systemd/system/docker.service", "/usr/lib/systemd/system/docker.service",
    "/run/containerd/containerd.sock", "/lib/systemd/system/docker.socket",
    "/usr/lib/systemd/system/docker.socket", "/etc/default/docker",
    "/etc/docker/daemon.json", "/etc/containerd/config.toml", "/etc/sysconfig/docker",
    "/usr/bin/containerd", "/usr/bin/containerd-shim", "/usr/bin/containerd-shim-runc-v1",
    "/usr/bin/containerd-shim-runc-v2", "/usr/bin/runc", "/usr/sbin/runc",
)
RULE_DIRS: tuple[str, ...] = ("/etc/audit/rules.d",)
RULE_FILES: tuple[str, ...] = ("/etc/audit/audit.rules",)


def watched_paths(text: str) -> set[str]:
    out: set[str] = set()
    for line in text.splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        try:
            words = shlex.split(line)
        except ValueError:
            continue
        for i, word in enumerate(words[:-1]):
            nxt = words[i + 1]
            if word == "-w":
                out.add(nxt.rstrip("/") or "/")
            elif word == "-F" and nxt.startswith(("path=", "dir=")):
                out.add(nxt.split("=", 1)[1].rstrip("/") or "/")
    return out


def is_watched(path: str, watched: set[str]) -> bool:
    """A watch on the path or on a directory above it covers it."""
    return any(path == w or path.startswith(w.rstrip("/") + "/") for w in watched)
