"""HOST-101…109 and HOST-112: the host still is what its signed baseline declared. One rule per fact
domain group (``scoring.RULE_OF_DOMAIN``); each drifted value is one violation naming its
old and new value and the audit rules (HOST-0xx) it may weaken."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Final

from ringfence.checks.rule import Check, Violation
from ringfence.host.baseline.drift import HostDrift
from ringfence.model.finding import Rule, Severity

REFS: Final = ("NIST SP 800-53 CM-2", "NIST SP 800-53 CM-3", "NIST SP 800-53 SI-7",
               "CIS Controls v8 4.1")


def _drifted(rule_id: str) -> Callable[[HostDrift], Iterator[Violation]]:
    def check(drift: HostDrift) -> Iterator[Violation]:
        for change in drift.of_rule(rule_id):
            weak = f" (may weaken {', '.join(change.weakens)})" if change.weakens else ""
            yield Violation(change.describe() + weak, change.source or change.key)
    return check


def _rule(rid: str, title: str, sev: Severity, fix: str,
          threats: tuple[str, ...]) -> Check[HostDrift]:
    return Check(Rule(rid, title, sev, "host", fix, threats, REFS), _drifted(rid))


_REAPPLY = ("Re-apply the host's declared configuration (Ansible, cloud-init), or take a new "
            "signed baseline when the change was approved.")

HOST_DRIFT_CHECKS: Final[tuple[Check[HostDrift], ...]] = (
    _rule("HOST-101", "sshd settings are as baselined", Severity.HIGH, _REAPPLY,
          ("interactive-access", "credential-theft")),
    _rule("HOST-102", "no new or changed setuid/setgid programs or file capabilities",
          Severity.HIGH, "Remove the program, its setuid/setgid bit or its capabilities "
          "(setcap -r); find who installed it. " + _REAPPLY,
          ("container-escape", "persistence-drift")),
    _rule("HOST-103", "sudoers is as baselined", Severity.HIGH, _REAPPLY,
          ("persistence-drift", "interactive-access")),
    _rule("HOST-104", "accounts, groups, password states and PAM stacks are as "
          "baselined", Severity.HIGH,
          _REAPPLY, ("persistence-drift", "credential-theft")),
    _rule("HOST-105", "kernel settings (sysctls, command line, modules) are as baselined",
          Severity.MEDIUM, _REAPPLY, ("container-escape",)),
    _rule("HOST-106", "container runtime and kubelet configuration is as baselined",
          Severity.HIGH, _REAPPLY, ("container-escape", "malicious-image")),
    _rule("HOST-107", "audit rules are as baselined", Severity.MEDIUM, _REAPPLY,
          ("persistence-drift",)),
    _rule("HOST-108", "installed packages are as baselined", Severity.LOW,
          "Upgrades belong in the declared configuration; take a new baseline after them.",
          # a package set as baselined is no defence against its known vulnerabilities: it
          # would make the host ring "hold" vulnerable-package in the depth report
          ("persistence-drift",)),
    _rule("HOST-109", "tracked configuration files are as baselined", Severity.LOW, _REAPPLY,
          ("persistence-drift",)),
    _rule("HOST-112", "no new persistence: preloaded libraries, authorized SSH keys, cron jobs "
          "and systemd units are as baselined", Severity.HIGH,
          "Remove the preload entry, key, cron job or unit and find who added it. " + _REAPPLY,
          ("persistence-drift", "interactive-access")),
)
