"""Seccomp profile lint rules (RT-201…), listed in the explicit SECCOMP_CHECKS tuple.

Each message says what the hole lets a process in the container do. Facts: seccomp/lint.py.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Final

from ringfence.checks.rule import Check, Violation
from ringfence.model.finding import Rule, Severity
from ringfence.runtime.seccomp_bpf import ALLOWING, DANGEROUS_PROBES
from ringfence.runtime.seccomp_profile import evaluate
from ringfence.seccomp.lint import ProfileFacts
from ringfence.seccomp.syscalls import COMPAT, TABLES, unknown_names

OCI = "OCI runtime-spec config-linux: seccomp"

DEFAULT_ALLOWS = Rule(
    "RT-201", "Seccomp profile allows every syscall it does not list", Severity.HIGH, "host",
    "Use defaultAction SCMP_ACT_ERRNO (or KILL_PROCESS) and list the syscalls the workload "
    "needs (ringfence seccomp record).",
    ("container-escape",), ("CIS Docker 5.21", OCI, "T1611"))
DANGEROUS_ALLOWED = Rule(
    "RT-202", "Seccomp profile allows escape-class syscalls", Severity.HIGH, "host",
    "Remove mount/unshare/setns/ptrace/bpf/keyctl/module and namespace-creating clone calls "
    "from the allow list, or restrict them with argument conditions.",
    ("container-escape", "credential-theft"), ("CIS Docker 5.21", "T1611", "T1068"))
NO_ARCHITECTURES = Rule(
    "RT-203", "Seccomp profile names no architectures", Severity.LOW, "host",
    "List the native architecture and its compat ABIs (SCMP_ARCH_X86_64, SCMP_ARCH_X86, "
    "SCMP_ARCH_X32) so the filter means the same on every runtime.",
    ("container-escape",), (OCI,))
UNCLEAN_DEFAULT = Rule(
    "RT-204", "Seccomp default action is not a clean denial", Severity.MEDIUM, "host",
    "Use SCMP_ACT_ERRNO (EPERM or ENOSYS) or SCMP_ACT_KILL_PROCESS as defaultAction.",
    ("container-escape",), (OCI, "seccomp(2)"))
UNKNOWN_SYSCALL = Rule(
    "RT-205", "Seccomp profile names syscalls its architectures do not have", Severity.MEDIUM,
    "host", "Fix the names (typos are silently ignored by runc and crun, so a deny rule "
    "denies nothing).", ("container-escape",), (OCI,))


def _default_allows(facts: ProfileFacts) -> Iterator[Violation]:
    action = facts.profile.default_action
    if action in ALLOWING:
        yield Violation(f"defaultAction is {action}: every syscall the profile does not name "
                        "(io_uring, new kernel interfaces) runs, so the profile is a deny list "
                        "an exploit can walk around", f"{facts.source}: defaultAction")


def _dangerous_allowed(facts: ProfileFacts) -> Iterator[Violation]:
    for probe in DANGEROUS_PROBES:
        if not facts.profile.rules_for(probe.syscall):
            continue  # left to the default action (RT-201 judges that)
        verdict = evaluate(facts.profile, probe.data())
        if not verdict.blocked:
            yield Violation(f"{probe.label} is allowed ({verdict.action}) for a container "
                            "without capabilities: only the capability set stands between "
                            "the container and this step of known escapes",
                            f"{facts.source}: syscalls[{probe.syscall}]")


def _no_architectures(facts: ProfileFacts) -> Iterator[Violation]:
    if not facts.arches:
        yield Violation("no architectures or archMap: the runtime adds only its native ABI, "
                        "so the same profile differs between hosts and 32-bit binaries are "
                        "killed", f"{facts.source}: architectures")


# each unclean default action (a condition of RT-204: kebab-case of the action) and its harm
UNCLEAN_ACTIONS: Final[dict[str, str]] = {
    "KILL_THREAD": "kills one thread and leaves the rest of the process running in an "
                   "inconsistent state",
    "TRAP": "sends SIGSYS, which the process can catch and ignore",
    "TRACE": "defers to a ptrace tracer (ENOSYS without one)",
    "USER_NOTIF": "defers every unlisted syscall to a supervisor process"}


def _action_condition(action: str) -> str:
    return action.lower().replace("_", "-")


def _unclean_default(facts: ProfileFacts) -> Iterator[Violation]:
    action = facts.profile.default_action
    why = UNCLEAN_ACTIONS.get(action)
    if why:
        yield Violation(f"defaultAction {action} {why}", f"{facts.source}: defaultAction",
                        _action_condition(action))


def _known_arches(facts: ProfileFacts) -> bool:
    return all(a in TABLES for a in facts.arches)


def _unknown_syscalls(facts: ProfileFacts) -> Iterator[Violation]:
    arches = facts.arches or ("SCMP_ARCH_X86_64", *COMPAT["SCMP_ARCH_X86_64"])
    for name in unknown_names(facts.names, arches):
        yield Violation(f"{name!r} is no syscall of {', '.join(arches)}: the rule naming it "
                        "has no effect", f"{facts.source}: syscalls[{name}]")


SECCOMP_CHECKS: Final[tuple[Check[ProfileFacts], ...]] = (
    Check(DEFAULT_ALLOWS, _default_allows),
    Check(DANGEROUS_ALLOWED, _dangerous_allowed),
    Check(NO_ARCHITECTURES, _no_architectures),
    Check(UNCLEAN_DEFAULT, _unclean_default,
          conditions=tuple(map(_action_condition, UNCLEAN_ACTIONS))),
    # evaluated only when we hold the table of every architecture the profile lists
    Check(UNKNOWN_SYSCALL, _unknown_syscalls, applies=_known_arches),
)
