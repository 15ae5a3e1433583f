"""Kernel facts: release, build config, LSMs, SELinux/AppArmor mode, seccomp, Landlock, cgroups.

Parsers here are pure; :func:`collect_kernel` reads through the RootReader. On a mounted
root (not live) there is no /proc or /sys: the release and config come from /boot.
"""

from __future__ import annotations

import gzip
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, TypeVar

from ringfence.host.facts import FactError, RootReader, attempt

T = TypeVar("T")

_CONFIG_LINE = re.compile(r"^(CONFIG_[A-Za-z0-9_]+)=(.*)$")
_UNSET_LINE = re.compile(r"^# (CONFIG_[A-Za-z0-9_]+) is not set$")


@dataclass(frozen=True, slots=True)
class KernelFacts:
    release: str | None
    config: Mapping[str, str] | None  # CONFIG_X -> "y" | "m" | "n" | value (quotes removed)
    config_source: str | None
    lsms: tuple[str, ...] | None  # active LSMs in order (/sys/kernel/security/lsm)
    lsm_source: str | None
    selinux: str | None  # enforcing | permissive | disabled | None (not known)
    apparmor: bool | None
    seccomp_actions: tuple[str, ...] | None
    cgroup_mode: str | None  # v1 | v2 | hybrid | None
    landlock: bool | None

    def config_on(self, name: str) -> bool | None:
        if self.config is None:
            return None
        return self.config.get(name, "n") in ("y", "m")


def parse_kconfig(text: str) -> dict[str, str]:
    """``CONFIG_X=y`` lines (and ``# CONFIG_X is not set`` as ``n``)."""
    out: dict[str, str] = {}
    for line in text.splitlines():
        line = line.strip()
        if m := _CONFIG_LINE.match(line):
            out[m.group(1)] = m.group(2).strip('"')
        elif m := _UNSET_LINE.match(line):
            out[m.group(1)] = "n"
    return out


def cgroup_mode(mounts: str) -> str | None:
    """v2 (unified only), v1 (legacy only) or hybrid (both), from /proc/mounts text."""
    types = {fields[2] for fields in (line.split() for line in mounts.splitlines())
             if len(fields) >= 3}
    v1, v2 = "cgroup" in types, "cgroup2" in types
    if v1 and v2:
        return "hybrid"
    if v2:
        return "v2"
    return "v1" if v1 else None


def lsms_from_config(config: Mapping[str, str]) -> tuple[str, ...] | None:
    """The boot-time LSM order the kernel was built with (CONFIG_LSM), when present."""
    value = config.get("CONFIG_LSM")
    return tuple(x for x in value.split(",") if x) if value else None


def lsms_from_cmdline(words: tuple[str, ...]) -> tuple[str, ...] | None:
    """The ``lsm=`` boot parameter (the last one wins, as in the kernel)."""
    values = [w.split("=", 1)[1] for w in words if w.startswith("lsm=")]
    return tuple(x for x in values[-1].split(",") if x) if values else None


def _release_key(name: str) -> list[int | str]:
    return [int(p) if p.isdigit() else p for p in re.split(r"[.\-+_]", name)]


def _read_config(reader: RootReader, release: str | None) -> tuple[str | None, str | None]:
    if reader.is_live:
        data = reader.read("/proc/config.gz")
        if data is not None:
            return gzip.decompress(data).decode("utf-8", "replace"), "/proc/config.gz"
    candidates = [f"/boot/config-{release}"] if release else []
    candidates += sorted(reader.glob("/boot", "config-*"), reverse=True,
                         key=lambda p: _release_key(p.rsplit("config-", 1)[1]))
    for path in candidates:
        text = reader.text(path)
        if text is not None:
            return text, path
    return None, None


def _release(reader: RootReader) -> str | None:
    if reader.is_live:
        text = reader.text("/proc/sys/kernel/osrelease")
        return text.strip() if text else None
    return None


def _selinux(reader: RootReader) -> str | None:
    if not reader.is_live:
        return None
    enforce = reader.text("/sys/fs/selinux/enforce")
    if enforce is None:
        return "disabled"
    return "enforcing" if enforce.strip() == "1" else "permissive"


def _apparmor(reader: RootReader) -> bool | None:
    if not reader.is_live:
        return None
    enabled = reader.text("/sys/module/apparmor/parameters/enabled")
    return enabled is not None and enabled.strip().upper().startswith("Y")


def _words(reader: RootReader, path: str, sep: str | None = None) -> tuple[str, ...] | None:
    if not reader.is_live:
        return None
    text = reader.text(path)
    return None if text is None else tuple(w for w in text.strip().split(sep) if w)


def collect_kernel(reader: RootReader) -> tuple[KernelFacts, list[FactError]]:
    errors: list[FactError] = []

    def guard(func: Callable[..., T], *args: Any) -> T | None:
        return attempt(errors, func, *args)

    release = guard(_release, reader)
    conf = guard(_read_config, reader, release) or (None, None)
    config = parse_kconfig(conf[0]) if conf[0] is not None else None
    lsms = guard(_words, reader, "/sys/kernel/security/lsm", ",")
    lsm_source = "/sys/kernel/security/lsm" if lsms is not None else None
    if lsms is None and (cmdline := guard(_words, reader, "/proc/cmdline")):
        lsms = lsms_from_cmdline(cmdline)
        lsm_source = "/proc/cmdline (lsm=)" if lsms is not None else None
    if lsms is None and config is not None and (lsms := lsms_from_config(config)):
        lsm_source = f"{conf[1]} (CONFIG_LSM, boot default)"
    mounts = guard(reader.text, "/proc/mounts") if reader.is_live else None
    landlock = ("landlock" in lsms) if lsms is not None else None
    facts = KernelFacts(
        release=release, config=config, config_source=conf[1], lsms=lsms,
        lsm_source=lsm_source, selinux=guard(_selinux, reader),
        apparmor=guard(_apparmor, reader),
        seccomp_actions=guard(_words, reader, "/proc/sys/kernel/seccomp/actions_avail"),
        cgroup_mode=cgroup_mode(mounts) if mounts else None, landlock=landlock)
    return facts, errors
