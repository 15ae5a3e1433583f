"""Declared seccomp profiles (OCI ``linux.seccomp`` and Docker/podman profile JSON) parsed into
frozen values, and evaluated declaratively over the same SeccompData the cBPF interpreter uses.

    profile = parse_profile(json.loads(text), caps=frozenset({"CAP_SYS_ADMIN"}))
    evaluate(profile, SeccompData.for_syscall("mount")).blocked
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Final

from ringfence.runtime import caps as capnames
from ringfence.runtime.seccomp_bpf import (
    AUDIT_ARCH_X86_64,
    DANGEROUS_PROBES,
    Probe,
    SeccompData,
    Verdict,
)
from ringfence.runtime.syscalls_x86_64 import NAMES_X86_64

EPERM: Final = 1
_ACTIONS: Final = {
    "SCMP_ACT_KILL": "KILL_THREAD", "SCMP_ACT_KILL_THREAD": "KILL_THREAD",
    "SCMP_ACT_KILL_PROCESS": "KILL_PROCESS", "SCMP_ACT_TRAP": "TRAP",
    "SCMP_ACT_ERRNO": "ERRNO", "SCMP_ACT_TRACE": "TRACE", "SCMP_ACT_ALLOW": "ALLOW",
    "SCMP_ACT_LOG": "LOG", "SCMP_ACT_NOTIFY": "USER_NOTIF",
}
_U64: Final = 0xFFFFFFFFFFFFFFFF
# Docker/podman profiles name arches in includes/excludes as Go's GOARCH ("amd64"), libseccomp
# as SCMP_ARCH_*; both spellings of one architecture are the same arch here
_ARCH_ALIASES: Final = {
    "SCMP_ARCH_X86_64": ("amd64", "x86_64"), "SCMP_ARCH_X86": ("x86", "386", "i386"),
    "SCMP_ARCH_X32": ("x32",), "SCMP_ARCH_AARCH64": ("arm64", "aarch64"),
    "SCMP_ARCH_ARM": ("arm",), "SCMP_ARCH_PPC64LE": ("ppc64le",),
    "SCMP_ARCH_S390X": ("s390x",), "SCMP_ARCH_S390": ("s390",),
    "SCMP_ARCH_RISCV64": ("riscv64",),
}


class ProfileError(ValueError):
    """A profile that is not a seccomp profile (unknown action or operator, wrong shape)."""


@dataclass(frozen=True, slots=True)
class ArgCond:
    index: int
    op: str  # SCMP_CMP_EQ | NE | LT | LE | GE | GT | MASKED_EQ
    value: int
    value_two: int = 0

    def matches(self, args: tuple[int, ...]) -> bool:
        arg = args[self.index] & _U64
        if self.op == "SCMP_CMP_MASKED_EQ":
            return arg & self.value == self.value_two
        return {"SCMP_CMP_EQ": arg == self.value, "SCMP_CMP_NE": arg != self.value,
                "SCMP_CMP_LT": arg < self.value, "SCMP_CMP_LE": arg <= self.value,
                "SCMP_CMP_GE": arg >= self.value, "SCMP_CMP_GT": arg > self.value}[self.op]


@dataclass(frozen=True, slots=True)
class SyscallRule:
    names: tuple[str, ...]
    action: str  # kernel action name: ALLOW, ERRNO, KILL_PROCESS...
    errno: int = EPERM
    args: tuple[ArgCond, ...] = ()


@dataclass(frozen=True, slots=True)
class SeccompProfile:
    default_action: str
    default_errno: int = EPERM
    architectures: tuple[str, ...] = ()
    rules: tuple[SyscallRule, ...] = ()
    flags: tuple[str, ...] = ()

    def rules_for(self, name: str) -> tuple[SyscallRule, ...]:
        return tuple(r for r in self.rules if name in r.names)


def action_name(text: str) -> str:
    try:
        return _ACTIONS[text.strip().upper()]
    except KeyError:
        raise ProfileError(f"unknown seccomp action {text!r}") from None


def parse_profile(doc: Mapping[str, Any], caps: Iterable[str] | None = None,
                  arch: str = "SCMP_ARCH_X86_64") -> SeccompProfile:
    """Parse an OCI ``linux.seccomp`` object or a Docker/podman profile file. Docker's
    ``includes``/``excludes`` (caps, arches) are resolved against ``caps`` and ``arch``; with
    ``caps=None`` conditional blocks are resolved as for a container with no capabilities."""
    if not isinstance(doc, Mapping) or "defaultAction" not in doc:
        raise ProfileError("not a seccomp profile: no defaultAction")
    have = frozenset(capnames.normalize_all(caps or ()))
    default_errno = int(doc.get("defaultErrnoRet") or EPERM)
    rules = tuple(_rule(entry, default_errno) for entry in doc.get("syscalls") or ()
                  if _selected(entry, have, arch))
    arches = tuple(doc.get("architectures") or ()) or tuple(
        m.get("architecture", "") for m in doc.get("archMap") or ())
    return SeccompProfile(action_name(str(doc["defaultAction"])), default_errno, arches,
                          rules, tuple(doc.get("flags") or ()))


def _selected(entry: Mapping[str, Any], have: frozenset[str], arch: str) -> bool:
    inc, exc = entry.get("includes") or {}, entry.get("excludes") or {}
    need = set(capnames.normalize_all(inc.get("caps") or ()))
    if need and not need <= have:
        return False
    names = _arch_names(arch)
    if inc.get("arches") and not names & set(inc["arches"]):
        return False
    if set(capnames.normalize_all(exc.get("caps") or ())) & have:
        return False
    return not (exc.get("arches") and names & set(exc["arches"]))


def _arch_names(arch: str) -> frozenset[str]:
    """Every spelling of ``arch`` (libseccomp's SCMP_ARCH_* and Docker's GOARCH names)."""
    for scmp, aliases in _ARCH_ALIASES.items():
        if arch == scmp or arch in aliases:
            return frozenset((scmp, *aliases))
    return frozenset((arch,))


def _rule(entry: Mapping[str, Any], default_errno: int) -> SyscallRule:
    names = tuple(entry.get("names") or ()) or ((entry["name"],) if entry.get("name") else ())
    errno = entry.get("errnoRet")
    conds = tuple(_cond(a) for a in entry.get("args") or ())
    return SyscallRule(names, action_name(str(entry.get("action", ""))),
                       int(errno) if errno is not None else default_errno, conds)


def _cond(arg: Mapping[str, Any]) -> ArgCond:
    op = str(arg.get("op", "")).upper()
    if op not in ("SCMP_CMP_EQ", "SCMP_CMP_NE", "SCMP_CMP_LT", "SCMP_CMP_LE",
                  "SCMP_CMP_GE", "SCMP_CMP_GT", "SCMP_CMP_MASKED_EQ"):
        raise ProfileError(f"unknown argument operator {op!r}")
    index = int(arg.get("index", 0))
    if not 0 <= index < 6:
        raise ProfileError(f"argument index {index} out of range")
    return ArgCond(index, op, int(arg.get("value", 0)), int(arg.get("valueTwo", 0)))


def evaluate(profile: SeccompProfile, data: SeccompData) -> Verdict:
    """What the profile declares for one call: the first rule naming the syscall whose
    argument conditions all hold (rules for one syscall are alternatives), else the default.
    Only x86_64 calls are evaluated; other architectures get the default action."""
    name = NAMES_X86_64.get(data.nr, "") if data.arch == AUDIT_ARCH_X86_64 else ""
    for rule in profile.rules_for(name) if name else ():
        if all(c.matches(data.args) for c in rule.args):
            return Verdict(rule.action, rule.errno if rule.action == "ERRNO" else 0)
    errno = profile.default_errno if profile.default_action == "ERRNO" else 0
    return Verdict(profile.default_action, errno)


def assess_profile(profile: SeccompProfile,
                   probes: Iterable[Probe] = DANGEROUS_PROBES) -> dict[str, Verdict]:
    return {p.label: evaluate(profile, p.data()) for p in probes}


def blocked_by_profile(profile: SeccompProfile | None,
                       probes: Iterable[Probe] = DANGEROUS_PROBES) -> frozenset[str]:
    if profile is None:
        return frozenset()
    return frozenset(label for label, v in assess_profile(profile, probes).items()
                     if v.blocked)
