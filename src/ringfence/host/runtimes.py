"""Container runtime daemon configs: Docker daemon.json, containerd config.toml, CRI-O
crio.conf, containers.conf and registries.conf, parsed into frozen values (pure)."""

from __future__ import annotations

import json
import tomllib
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from ringfence.host.dockerd_unit import BOOL_OPTIONS, VALUE_OPTIONS, is_tcp


class ConfigError(Exception):
    """A runtime config file that is not valid JSON/TOML or not the expected shape."""


@dataclass(frozen=True, slots=True)
class DockerDaemon:
    """The daemon.json keys CIS Docker section 2 looks at (dockerd defaults when absent)."""

    source: str
    icc: bool
    userns_remap: str | None
    no_new_privileges: bool
    live_restore: bool
    log_driver: str
    tcp_hosts: tuple[str, ...]
    tls_verify: bool
    seccomp_profile: str | None
    # the CIS keys daemon.json sets explicitly, as text ("true"/"false" for booleans): a key
    # it leaves out may come from a dockerd flag, else dockerd's default
    settings: tuple[tuple[str, str], ...] = ()

    def setting(self, key: str) -> str | None:
        return next((v for k, v in self.settings if k == key), None)


@dataclass(frozen=True, slots=True)
class RuntimeConfig:
    """What any runtime config says about registries trusted without TLS and confinement."""

    runtime: str  # docker | containerd | cri-o | containers.conf | registries.conf
    source: str
    insecure_registries: tuple[str, ...] = ()
    unconfined: tuple[str, ...] = ()  # settings that switch default confinement off
    short_names: str | None = None  # registries.conf short-name-mode
    search_registries: tuple[str, ...] = ()


def _table(doc: Mapping[str, Any], *keys: str) -> Mapping[str, Any]:
    cur: Any = doc
    for key in keys:
        cur = cur.get(key, {}) if isinstance(cur, Mapping) else {}
    return cur if isinstance(cur, Mapping) else {}


def _toml(data: bytes, source: str) -> dict[str, Any]:
    try:
        return tomllib.loads(data.decode("utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{source}: not valid TOML: {exc}") from exc
    except RecursionError as exc:  # tomllib recurses once per nested array/inline table
        raise ConfigError(f"{source}: not valid TOML: nested too deeply") from exc


def _scalar(value: object) -> str:
    """A config value as text: strings and numbers as they are, a list or table (wrong type,
    possibly deeply nested) never stringified whole."""
    if isinstance(value, str | int | float | bool):
        return str(value)
    return f"<{type(value).__name__}>"


def _setting(value: object, boolean: bool) -> str:
    """A daemon.json CIS key as text; a boolean key holding anything but a JSON boolean is
    neither "true" nor "false" (dockerd refuses it; the rule reads it as not set safely)."""
    if boolean:
        return "true" if value is True else "false" if value is False else \
            f"not a boolean: {_scalar(value)}"
    return _scalar(value)


def _strings(value: object) -> tuple[str, ...]:
    if isinstance(value, str):
        return (value,)
    if isinstance(value, list):
        return tuple(_scalar(v) for v in value)
    return ()


def _list(value: object) -> list[Any]:
    return value if isinstance(value, list) else []


def parse_daemon_json(data: bytes, source: str) -> tuple[DockerDaemon, RuntimeConfig]:
    try:
        doc = json.loads(data)
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{source}: not valid JSON: {exc}") from exc
    except RecursionError as exc:
        raise ConfigError(f"{source}: not valid JSON: nested too deeply") from exc
    if not isinstance(doc, dict):
        raise ConfigError(f"{source}: not a JSON object")
    hosts = _strings(doc.get("hosts"))
    seccomp = doc.get("seccomp-profile")
    daemon = DockerDaemon(
        source=source, icc=doc.get("icc", True) is not False,
        userns_remap=_scalar(doc["userns-remap"]) if doc.get("userns-remap") else None,
        no_new_privileges=doc.get("no-new-privileges") is True,
        live_restore=doc.get("live-restore") is True,
        log_driver=_scalar(doc.get("log-driver", "json-file")),
        tcp_hosts=tuple(h for h in hosts if is_tcp(h)),
        tls_verify=doc.get("tlsverify") is True,
        seccomp_profile=_scalar(seccomp) if seccomp is not None else None,
        settings=tuple((k, _setting(doc[k], k in BOOL_OPTIONS)) for k in
                       (*BOOL_OPTIONS, *VALUE_OPTIONS) if k in doc))
    unconfined = [f"seccomp-profile={seccomp}"] if seccomp == "unconfined" else []
    if doc.get("selinux-enabled") is False:
        unconfined.append("selinux-enabled=false")
    return daemon, RuntimeConfig("docker", source, _strings(doc.get("insecure-registries")),
                                 tuple(unconfined))


def _cri(doc: Mapping[str, Any]) -> Iterator[tuple[str, Mapping[str, Any]]]:
    """The CRI plugin tables of containerd config version 2 and 3."""
    for name in ("io.containerd.grpc.v1.cri", "io.containerd.cri.v1.runtime",
                 "io.containerd.cri.v1.images"):
        table = _table(doc, "plugins", name)
        if table:
            yield name, table


def parse_containerd(data: bytes, source: str) -> RuntimeConfig:
    doc = _toml(data, source)
    unconfined: list[str] = []
    insecure: list[str] = []
    for name, cri in _cri(doc):
        if cri.get("disable_apparmor") is True:
            unconfined.append(f'plugins."{name}".disable_apparmor=true')
        for host, conf in _table(cri, "registry", "configs").items():
            if _table(conf, "tls").get("insecure_skip_verify") is True:
                insecure.append(str(host))
        for host, mirror in _table(cri, "registry", "mirrors").items():
            endpoints = _strings(mirror.get("endpoint")) if isinstance(mirror, Mapping) else ()
            if any(e.startswith("http://") for e in endpoints):
                insecure.append(str(host))
    return RuntimeConfig("containerd", source, tuple(insecure), tuple(unconfined))


def parse_crio(data: bytes, source: str) -> RuntimeConfig:
    doc = _toml(data, source)
    runtime = _table(doc, "crio", "runtime")
    unconfined = [f"crio.runtime.{k}={runtime[k]}" for k in ("seccomp_profile",
                                                             "apparmor_profile")
                  if runtime.get(k) == "unconfined"]
    if runtime.get("no_pivot") is True:
        unconfined.append("crio.runtime.no_pivot=true")
    insecure = _strings(_table(doc, "crio", "image").get("insecure_registries"))
    return RuntimeConfig("cri-o", source, insecure, tuple(unconfined))


def parse_containers_conf(data: bytes, source: str) -> RuntimeConfig:
    doc = _toml(data, source)
    containers = _table(doc, "containers")
    unconfined = [f"containers.{k}={containers[k]}" for k in ("seccomp_profile",
                                                              "apparmor_profile")
                  if containers.get(k) == "unconfined"]
    if containers.get("label") is False:
        unconfined.append("containers.label=false")
    return RuntimeConfig("containers.conf", source, (), tuple(unconfined))


def parse_registries_conf(data: bytes, source: str) -> RuntimeConfig:
    """containers-registries.conf(5), version 2 (``[[registry]]``) and version 1 tables."""
    doc = _toml(data, source)
    insecure = list(_strings(_table(doc, "registries", "insecure").get("registries")))
    for reg in _list(doc.get("registry")):
        if not isinstance(reg, Mapping):
            continue
        if reg.get("insecure") is True:
            insecure.append(_scalar(reg.get("location") or reg.get("prefix") or "?"))
        for mirror in _list(reg.get("mirror")):
            if isinstance(mirror, Mapping) and mirror.get("insecure") is True:
                insecure.append(_scalar(mirror.get("location", "?")))
    search = _strings(doc.get("unqualified-search-registries")) or _strings(
        _table(doc, "registries", "search").get("registries"))
    mode = doc.get("short-name-mode")
    return RuntimeConfig("registries.conf", source, tuple(insecure), (),
                         _scalar(mode) if mode is not None else None, search)
