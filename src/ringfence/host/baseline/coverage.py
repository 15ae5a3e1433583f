"""Which drift rules a drift could not decide: a value that could not be read (on the host
or when the baseline was taken) leaves the rule of that value unevaluated, so a rule that
did not fire is not counted as holding (the depth report reads this)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Final

from ringfence.host.baseline.drift import HostDrift
from ringfence.host.baseline.model import HostSnapshot
from ringfence.host.baseline.scoring import FILE_RULE, RULE_OF_DOMAIN

# where a problem path belongs when no recorded value came from it (first match wins)
_PREFIXES: Final[tuple[tuple[str, str], ...]] = (
    ("/etc/ssh/", "HOST-101"), ("/etc/sudoers", "HOST-103"),
    ("/etc/passwd", "HOST-104"), ("/etc/group", "HOST-104"), ("/etc/shadow", "HOST-104"),
    ("/etc/gshadow", "HOST-104"), ("/etc/pam", "HOST-104"),
    ("/etc/sysctl", "HOST-105"), ("/usr/lib/sysctl.d", "HOST-105"), ("/lib/sysctl.d", "HOST-105"),
    ("/run/sysctl.d", "HOST-105"), ("/proc/", "HOST-105"), ("/etc/modules", "HOST-105"),
    ("/etc/modprobe.d", "HOST-105"), ("/etc/default/grub", "HOST-105"),
    ("/etc/docker", "HOST-106"), ("/etc/containerd", "HOST-106"), ("/etc/containers", "HOST-106"),
    ("/etc/crio", "HOST-106"), ("/usr/share/containers", "HOST-106"),
    ("/etc/kubernetes", "HOST-106"), ("/var/lib/kubelet", "HOST-106"),
    ("/etc/audit", "HOST-107"),
    ("/var/lib/dpkg", "HOST-108"), ("/lib/apk", "HOST-108"), ("/var/lib/rpm", "HOST-108"),
    ("/usr/lib/sysimage/rpm", "HOST-108"),
    ("/etc/ld.so", "HOST-112"), ("/etc/cron", "HOST-112"), ("/var/spool/cron", "HOST-112"),
    ("/etc/systemd", "HOST-112"),
    ("/bin", "HOST-102"), ("/sbin", "HOST-102"), ("/usr/", "HOST-102"), ("/lib", "HOST-102"),
    ("/opt", "HOST-102"),
)
IDENTITY: Final = frozenset({"/etc/machine-id", "/etc/hostname"})  # no rule: same_host's
LIVE_RULE: Final = "HOST-105"  # effective sysctls, /proc/cmdline, loaded modules


def _rules_of(path: str, snapshots: Iterable[HostSnapshot]) -> set[str]:
    """The rules whose values come from ``path``: recorded sources first, else the table,
    else every drift rule (a path nothing explains may hold anything)."""
    if path in IDENTITY:
        return set()
    rules = {RULE_OF_DOMAIN[f.domain] for s in snapshots for f in s.facts.values()
             if f.source == path and f.domain in RULE_OF_DOMAIN}
    if rules:
        return rules
    for prefix, rule in _PREFIXES:
        if path.startswith(prefix):
            return {rule}
    return {*RULE_OF_DOMAIN.values(), FILE_RULE}


def undecided(drift: HostDrift, baseline: HostSnapshot, current: HostSnapshot,
              ) -> dict[str, str]:
    """Drift rule -> why it was not evaluated (only rules without a reported change)."""
    out: dict[str, list[str]] = {}
    for label, problems in (("on the host", drift.problems),
                            ("when the baseline was taken", drift.baseline_problems)):
        for path, reason in problems:
            for rule in _rules_of(path, (baseline, current)):
                out.setdefault(rule, []).append(f"{path} could not be read {label}: {reason}")
    if drift.live_mismatch:
        out.setdefault(LIVE_RULE, []).append(
            "the baseline and the host differ in whether /proc and /sys were read: live "
            "kernel values not compared")
    fired = {c.rule for c in drift.changes}
    return {rule: "; ".join(why[:3]) + (f"; {len(why) - 3} more" if len(why) > 3 else "")
            for rule, why in sorted(out.items()) if rule not in fired}
