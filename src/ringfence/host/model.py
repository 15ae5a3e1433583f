"""HostFacts: everything the HOST rules look at, gathered once under one root."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from ringfence.host.dockerd_unit import DockerdUnit
from ringfence.host.facts import FileStat
from ringfence.host.kernel import KernelFacts
from ringfence.host.runtimes import DockerDaemon, RuntimeConfig
from ringfence.host.sshd import SshdConfig
from ringfence.host.sysctl import Sysctl
from ringfence.model.unknown import Unknown
from ringfence.trust.lint import PolicyFacts


@dataclass(frozen=True, slots=True)
class HostFacts:
    """Facts of one host root. ``None``/empty means *not read* (absent or unreadable,
    the reason is in ``unknowns`` when it was an error): rules over it are not evaluated."""

    root: str
    live: bool
    kernel: KernelFacts
    sysctls: Mapping[str, Sysctl] = field(default_factory=dict)
    sshd: SshdConfig | None = None
    docker: DockerDaemon | None = None
    dockerd_unit: DockerdUnit | None = None  # docker.service ExecStart and docker.socket
    runtime_configs: tuple[RuntimeConfig, ...] = ()
    sockets: tuple[FileStat, ...] = ()
    configs: tuple[FileStat, ...] = ()
    runtime_paths: tuple[str, ...] = ()  # daemon files CIS wants audited that exist here
    audit_watched: frozenset[str] | None = None  # None: no audit rules file
    trust_policy: PolicyFacts | None = None  # /etc/containers/policy.json, lint facts
    unknowns: tuple[Unknown, ...] = ()

    def sysctl_int(self, name: str) -> int | None:
        s = self.sysctls.get(name)
        return s.as_int() if s is not None else None
