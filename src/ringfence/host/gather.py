"""Gather HostFacts under a root: each domain reads through the one RootReader."""

from __future__ import annotations

import posixpath
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

from ringfence.host import audit, perms
from ringfence.host.dockerd_unit import SERVICE, SOCKET, UNIT_DIRS, DockerdUnit, dockerd_unit
from ringfence.host.facts import FactError, FileStat, RootReader, attempt
from ringfence.host.kernel import collect_kernel
from ringfence.host.model import HostFacts
from ringfence.host.runtimes import (
    ConfigError,
    DockerDaemon,
    RuntimeConfig,
    parse_containerd,
    parse_containers_conf,
    parse_crio,
    parse_daemon_json,
    parse_registries_conf,
)
from ringfence.host.sshd import load_sshd_config
from ringfence.host.sysctl import collect_sysctls
from ringfence.host.trust import rooted_policy_facts
from ringfence.model.unknown import Unknown

PLUGIN = "host"
T = TypeVar("T")

RUNTIME_FILES: tuple[tuple[str, str, Callable[[bytes, str], RuntimeConfig]], ...] = (
    ("/etc/containerd", "config.toml", parse_containerd),
    ("/etc/crio", "crio.conf", parse_crio),
    ("/etc/crio/crio.conf.d", "*.conf", parse_crio),
    ("/usr/share/containers", "containers.conf", parse_containers_conf),
    ("/etc/containers", "containers.conf", parse_containers_conf),
    ("/etc/containers/containers.conf.d", "*.conf", parse_containers_conf),
    ("/etc/containers", "registries.conf", parse_registries_conf),
    ("/etc/containers/registries.conf.d", "*.conf", parse_registries_conf),
)


class _Gatherer:
    def __init__(self, reader: RootReader) -> None:
        self.reader = reader
        self.errors: list[FactError] = []

    def parse(self, path: str, parser: Callable[[bytes, str], T]) -> T | None:
        data = attempt(self.errors, self.reader.read, path)
        if data is None:
            return None
        try:
            return parser(data, path)
        except ConfigError as exc:
            self.errors.append(FactError(path, str(exc).removeprefix(f"{path}: ")))
            return None

    def runtime_configs(self) -> tuple[DockerDaemon | None, tuple[RuntimeConfig, ...]]:
        out: list[RuntimeConfig] = []
        docker = self.parse("/etc/docker/daemon.json", parse_daemon_json)
        if docker is not None:
            out.append(docker[1])
        for directory, pattern, parser in RUNTIME_FILES:
            paths = attempt(self.errors, self.reader.glob, directory, pattern) or []
            out.extend(c for p in paths if (c := self.parse(p, parser)) is not None)
        return (docker[0] if docker else None), tuple(out)

    def _unit(self, name: str) -> str | None:
        """The unit file systemd loads: the first unit directory that has it."""
        return next((p for d in UNIT_DIRS if attempt(self.errors, self.reader.stat,
                                                     p := f"{d}/{name}") is not None), None)

    def _unit_texts(self, name: str) -> list[tuple[str, str]]:
        """(path, text) of a unit and its drop-ins, in the order systemd applies them."""
        dropins: dict[str, str] = {}
        for d in UNIT_DIRS:
            for p in attempt(self.errors, self.reader.glob, f"{d}/{name}.d", "*.conf") or []:
                dropins.setdefault(posixpath.basename(p), p)
        unit = self._unit(name)
        paths = ([unit] if unit else []) + [dropins[n] for n in sorted(dropins)]
        return [(p, t) for p in paths if (t := attempt(self.errors, self.reader.text, p))
                is not None]

    def dockerd_unit(self) -> DockerdUnit | None:
        return dockerd_unit(self._unit_texts(SERVICE), self._unit_texts(SOCKET))

    def stats(self, paths: list[str]) -> tuple[FileStat, ...]:
        seen: dict[str, FileStat] = {}
        for path in paths:
            parent = attempt(self.errors, self.reader.resolve, posixpath.dirname(path))
            st = attempt(self.errors, self.reader.stat, path)
            if st is not None and parent is not None:
                seen.setdefault(posixpath.join(parent, posixpath.basename(path)), st)
        return tuple(seen.values())

    def sockets(self) -> tuple[FileStat, ...]:
        found = list(perms.KNOWN_SOCKETS)
        for d in perms.SOCKET_DIRS:
            found += attempt(self.errors, self.reader.glob, d, "*.sock") or []
        return tuple(s for s in self.stats(found) if s.kind == "socket")

    def audit(self) -> frozenset[str] | None:
        files = list(audit.RULE_FILES)
        for d in audit.RULE_DIRS:
            files += attempt(self.errors, self.reader.glob, d, "*.rules") or []
        texts = [t for f in files if (t := attempt(self.errors, self.reader.text, f))
                 is not None]
        if not texts:
            return None
        return frozenset(p for t in texts for p in audit.watched_paths(t))

    def existing(self, paths: tuple[str, ...]) -> tuple[str, ...]:
        return tuple(p for p in paths
                     if attempt(self.errors, self.reader.stat, p) is not None)


def gather_host_facts(root: Path | str = "/", *, live: bool | None = None) -> HostFacts:
    """Facts of the host at ``root``; ``live`` defaults to ``root == "/"`` (see RootReader)."""
    reader = RootReader(root, live=live)
    g = _Gatherer(reader)
    kernel, kerrors = collect_kernel(reader)
    sysctls, serrors = collect_sysctls(reader)
    sshd = attempt(g.errors, load_sshd_config, reader)
    docker, configs = g.runtime_configs()
    policy = attempt(g.errors, rooted_policy_facts, reader)
    facts = HostFacts(
        root=reader.root, live=reader.is_live, kernel=kernel, sysctls=sysctls, sshd=sshd,
        docker=docker, dockerd_unit=g.dockerd_unit(), runtime_configs=configs,
        sockets=g.sockets(),
        configs=g.stats(list(perms.CONFIG_PATHS)),
        runtime_paths=g.existing(audit.AUDITED_PATHS), audit_watched=g.audit(),
        trust_policy=policy)
    errors = kerrors + serrors + g.errors
    unknowns = tuple(sorted({Unknown(e.path, e.reason, PLUGIN) for e in errors}))
    return _with_unknowns(facts, unknowns)


def _with_unknowns(facts: HostFacts, unknowns: tuple[Unknown, ...]) -> HostFacts:
    from dataclasses import replace

    return replace(facts, unknowns=unknowns)
