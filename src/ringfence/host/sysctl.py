"""Security sysctls: effective values from /proc/sys on a live host, else the configured
values of ``sysctl --system`` (sysctl.d directories then /etc/sysctl.conf)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from ringfence.host.facts import FactError, RootReader, attempt

SECURITY_SYSCTLS: tuple[str, ...] = (
    "kernel.kptr_restrict", "kernel.dmesg_restrict", "kernel.unprivileged_bpf_disabled",
    "kernel.yama.ptrace_scope", "kernel.perf_event_paranoid", "vm.unprivileged_userfaultfd",
    "fs.protected_symlinks", "fs.protected_hardlinks", "fs.protected_fifos",
    "fs.protected_regular", "fs.suid_dumpable", "user.max_user_namespaces",
    "kernel.unprivileged_userns_clone", "net.ipv4.ip_forward",
)

# `sysctl --system` order: the first directory holding a file name wins, files apply in
# name order, /etc/sysctl.conf last.
SYSCTL_DIRS: tuple[str, ...] = ("/etc/sysctl.d", "/run/sysctl.d", "/usr/local/lib/sysctl.d",
                                "/usr/lib/sysctl.d", "/lib/sysctl.d")


@dataclass(frozen=True, slots=True)
class Sysctl:
    name: str
    value: str
    source: str  # /proc/sys/... (effective) or the file that configures it

    @property
    def effective(self) -> bool:
        return self.source.startswith("/proc/sys/")

    def as_int(self) -> int | None:
        try:
            return int(self.value.split()[0])
        except (ValueError, IndexError):
            return None


def normalize_name(name: str) -> str:
    return name.strip().lstrip("-").replace("/", ".")


def parse_sysctl_conf(text: str, source: str) -> dict[str, Sysctl]:
    """``name = value`` lines; ``#``/``;`` comments; a leading ``-`` only mutes errors."""
    out: dict[str, Sysctl] = {}
    for raw in text.splitlines():
        line = raw.strip()
        if not line or line[0] in "#;" or "=" not in line:
            continue
        name, value = line.split("=", 1)
        key = normalize_name(name)
        out[key] = Sysctl(key, value.strip(), source)
    return out


def config_files(reader: RootReader) -> list[str]:
    chosen: dict[str, str] = {}
    for directory in SYSCTL_DIRS:
        for path in reader.glob(directory, "*.conf"):
            chosen.setdefault(path.rsplit("/", 1)[1], path)
    return [chosen[name] for name in sorted(chosen)] + ["/etc/sysctl.conf"]


def configured(reader: RootReader, errors: list[FactError]) -> dict[str, Sysctl]:
    out: dict[str, Sysctl] = {}
    for path in config_files(reader):
        text = attempt(errors, reader.text, path)
        if text is not None:
            out.update(parse_sysctl_conf(text, path))
    return out


def effective(reader: RootReader, names: Iterable[str],
              errors: list[FactError]) -> dict[str, Sysctl]:
    out: dict[str, Sysctl] = {}
    for name in names:
        path = "/proc/sys/" + name.replace(".", "/")
        text = attempt(errors, reader.text, path)
        if text is not None:
            out[name] = Sysctl(name, text.strip(), path)
    return out


def collect_sysctls(reader: RootReader) -> tuple[dict[str, Sysctl], list[FactError]]:
    """Security sysctls only: live values win; configured values fill in on a mounted root."""
    errors: list[FactError] = []
    if reader.is_live:
        return effective(reader, SECURITY_SYSCTLS, errors), errors
    conf = configured(reader, errors)
    return {n: conf[n] for n in SECURITY_SYSCTLS if n in conf}, errors
