"""HOST rules over kernel facts and security sysctls (CIS Docker 1.2.1: a hardened host;
Lynis KRNL-6000: kernel sysctl values)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass

from ringfence.checks.rule import Check, Violation
from ringfence.host.model import HostFacts
from ringfence.host.sysctl import Sysctl
from ringfence.model.finding import Rule, Severity

HOST = "host"
NEEDED_SECCOMP_ACTIONS = ("kill_process", "errno", "allow")


def _seccomp(f: HostFacts) -> Iterator[Violation]:
    k = f.kernel
    if k.config_on("CONFIG_SECCOMP_FILTER") is False:
        yield Violation("kernel built without CONFIG_SECCOMP_FILTER: no seccomp-bpf profiles",
                        k.config_source or "", "config-off")
    if k.seccomp_actions is not None:
        missing = [a for a in NEEDED_SECCOMP_ACTIONS if a not in k.seccomp_actions]
        if missing:
            yield Violation(f"seccomp actions missing: {', '.join(missing)}",
                            "/proc/sys/kernel/seccomp/actions_avail", "actions-missing")


SECCOMP = Check(Rule(
    "HOST-001", "Kernel supports seccomp-bpf filtering", Severity.HIGH, HOST,
    "Run a kernel built with CONFIG_SECCOMP and CONFIG_SECCOMP_FILTER so runtimes can apply "
    "their default seccomp profile.", ("container-escape",),
    ("CIS Docker 1.2.1", "CIS Docker 5.21", "T1611")), _seccomp,
    lambda f: f.kernel.seccomp_actions is not None or f.kernel.config is not None,
    ("config-off", "actions-missing"))


def _mac(f: HostFacts) -> Iterator[Violation]:
    k = f.kernel
    if k.selinux == "enforcing" or k.apparmor:
        return
    selinux = k.selinux or "not known"
    yield Violation(f"no mandatory access control enforced (SELinux {selinux}, AppArmor "
                    f"{'enabled' if k.apparmor else 'not enabled'})",
                    "/sys/fs/selinux/enforce, /sys/module/apparmor/parameters/enabled")


MAC = Check(Rule(
    "HOST-002", "An LSM confines containers (SELinux enforcing or AppArmor enabled)",
    Severity.MEDIUM, HOST,
    "Enable AppArmor (apparmor=1 security=apparmor) or SELinux in enforcing mode so "
    "container runtimes apply their default profiles and labels.", ("container-escape",),
    ("CIS Docker 1.2.1", "CIS Docker 5.1", "CIS Docker 5.2", "T1611")), _mac,
    lambda f: f.kernel.selinux is not None or f.kernel.apparmor is not None)


def _cgroups(f: HostFacts) -> Iterator[Violation]:
    mode = f.kernel.cgroup_mode
    if mode != "v2":
        yield Violation(f"cgroup hierarchy is {mode}: controllers are on cgroup v1, without "
                        "v2's delegation and pressure-aware limits", "/proc/mounts")


CGROUPS = Check(Rule(
    "HOST-003", "The unified cgroup v2 hierarchy is the only one", Severity.LOW, HOST,
    "Boot with systemd.unified_cgroup_hierarchy=1 (and without cgroup_no_v1 overrides) so "
    "container limits use cgroup v2.", ("resource-exhaustion",),
    ("CIS Docker 1.2.1", "Lynis CONT-8104")), _cgroups,
    lambda f: f.kernel.cgroup_mode is not None)


@dataclass(frozen=True, slots=True)
class Want:
    name: str
    ok: Callable[[int], bool]
    text: str

    @property
    def condition(self) -> str:
        """The rule's condition for this sysctl: its last name component, kebab-case."""
        return self.name.rsplit(".", 1)[1].replace("_", "-")


# a sysctl rule's value comes from /proc/sys on a live host (effective) or from the sysctl.d
# files of a mounted root (configured): two sources, two conditions
EFFECTIVE, CONFIGURED = "effective", "configured"


def _is(s: Sysctl) -> str:
    return "is" if s.effective else "is configured as"


def _sysctl_check(wants: tuple[Want, ...]) -> Callable[[HostFacts], Iterator[Violation]]:
    several = len(wants) > 1

    def check(f: HostFacts) -> Iterator[Violation]:
        for want in wants:
            s = f.sysctls.get(want.name)
            if s is None:
                continue
            value = s.as_int()
            if value is None or not want.ok(value):
                live = want.condition if several else EFFECTIVE
                yield Violation(f"{want.name} {_is(s)} {s.value}, want {want.text}", s.source,
                                live if s.effective else CONFIGURED)

    return check


def _any_sysctl(*names: str) -> Callable[[HostFacts], bool]:
    return lambda f: any(n in f.sysctls for n in names)


def sysctl_rule(rule: Rule, *wants: Want) -> Check[HostFacts]:
    """Conditions: each sysctl's effective value when the rule reads several (else the
    effective value), and a configured value (one path for all: the sysctl.d reader)."""
    live = tuple(w.condition for w in wants) if len(wants) > 1 else (EFFECTIVE,)
    return Check(rule, _sysctl_check(wants), _any_sysctl(*(w.name for w in wants)),
                 (*live, CONFIGURED))


def _ge(n: int) -> Callable[[int], bool]:
    return lambda v: v >= n


def _eq(n: int) -> Callable[[int], bool]:
    return lambda v: v == n


KREFS = ("CIS Docker 1.2.1", "Lynis KRNL-6000")
LEAKS = sysctl_rule(Rule(
    "HOST-005", "Kernel addresses and logs are hidden from unprivileged users",
    Severity.MEDIUM, HOST, "Set kernel.kptr_restrict=1 (or 2) and kernel.dmesg_restrict=1 in "
    "/etc/sysctl.d/.", ("container-escape",), (*KREFS, "T1611")),
    Want("kernel.kptr_restrict", _ge(1), ">= 1"), Want("kernel.dmesg_restrict", _eq(1), "1"))
BPF = sysctl_rule(Rule(
    "HOST-006", "Unprivileged eBPF is disabled", Severity.HIGH, HOST,
    "Set kernel.unprivileged_bpf_disabled=1 (2 lets root re-enable it).",
    ("container-escape",), (*KREFS, "T1611")),
    Want("kernel.unprivileged_bpf_disabled", _ge(1), ">= 1"))
PRIMITIVES = sysctl_rule(Rule(
    "HOST-007", "perf events and userfaultfd are closed to unprivileged users",
    Severity.MEDIUM, HOST, "Set kernel.perf_event_paranoid=2 (or 3) and "
    "vm.unprivileged_userfaultfd=0.", ("container-escape",), (*KREFS, "T1611")),
    Want("kernel.perf_event_paranoid", _ge(2), ">= 2"),
    Want("vm.unprivileged_userfaultfd", _eq(0), "0"))
FS_PROTECT = sysctl_rule(Rule(
    "HOST-008", "Link, FIFO and regular-file protections in sticky directories are on",
    Severity.MEDIUM, HOST, "Set fs.protected_symlinks=1, fs.protected_hardlinks=1, "
    "fs.protected_fifos=1 and fs.protected_regular=2.", ("container-escape",
                                                         "persistence-drift"),
    (*KREFS, "T1611")),
    Want("fs.protected_symlinks", _eq(1), "1"), Want("fs.protected_hardlinks", _eq(1), "1"),
    Want("fs.protected_fifos", _ge(1), ">= 1"), Want("fs.protected_regular", _ge(1), ">= 1"))
DUMPABLE = sysctl_rule(Rule(
    "HOST-009", "setuid programs do not dump core", Severity.LOW, HOST,
    "Set fs.suid_dumpable=0.", ("credential-theft",), (*KREFS, "T1003")),
    Want("fs.suid_dumpable", _eq(0), "0"))
FORWARD = sysctl_rule(Rule(
    "HOST-010", "The host does not route IPv4 between interfaces", Severity.LOW, HOST,
    "Set net.ipv4.ip_forward=0 unless containers use bridge networking (which needs it); "
    "then restrict forwarding with firewall rules.", ("lateral-movement",), (*KREFS,)),
    Want("net.ipv4.ip_forward", _eq(0), "0"))


def _ptrace(f: HostFacts) -> Iterator[Violation]:
    s = f.sysctls.get("kernel.yama.ptrace_scope")
    if s is None:
        yield Violation("Yama is not built in (CONFIG_SECURITY_YAMA): any process may ptrace "
                        "others of the same user", f.kernel.config_source or "", "no-yama")
    elif (s.as_int() or 0) < 1:
        yield Violation(f"kernel.yama.ptrace_scope {_is(s)} {s.value}, want >= 1", s.source,
                        "ptrace-scope" if s.effective else CONFIGURED)


PTRACE = Check(Rule(
    "HOST-011", "ptrace is restricted to descendants (Yama)", Severity.MEDIUM, HOST,
    "Build the kernel with Yama and set kernel.yama.ptrace_scope=1 (2 for admin-only).",
    ("credential-theft", "lateral-movement"), (*KREFS, "T1055.008")), _ptrace,
    lambda f: "kernel.yama.ptrace_scope" in f.sysctls or (
        f.live and f.kernel.config_on("CONFIG_SECURITY_YAMA") is False),
    ("no-yama", "ptrace-scope", CONFIGURED))


def _userns(f: HostFacts) -> Iterator[Violation]:
    clone = f.sysctls.get("kernel.unprivileged_userns_clone")
    if clone is not None:
        if clone.as_int() != 0:
            yield Violation(f"kernel.unprivileged_userns_clone {_is(clone)} {clone.value}",
                            clone.source, "userns-clone" if clone.effective else CONFIGURED)
        return
    limit = f.sysctls["user.max_user_namespaces"]
    if (limit.as_int() or 0) > 0 and f.kernel.config_on("CONFIG_USER_NS") is not False:
        yield Violation(f"user.max_user_namespaces {_is(limit)} {limit.value}: any user can "
                        "create user namespaces", limit.source,
                        "max-user-namespaces" if limit.effective else CONFIGURED)


USERNS = Check(Rule(
    "HOST-004", "Unprivileged users cannot create user namespaces", Severity.LOW, HOST,
    "If no rootless containers run here, set kernel.unprivileged_userns_clone=0 (Debian) or "
    "user.max_user_namespaces=0; otherwise keep the kernel patched.", ("container-escape",),
    (*KREFS, "T1611")), _userns,
    _any_sysctl("kernel.unprivileged_userns_clone", "user.max_user_namespaces"),
    ("userns-clone", "max-user-namespaces", CONFIGURED))

KERNEL_CHECKS: tuple[Check[HostFacts], ...] = (
    SECCOMP, MAC, CGROUPS, USERNS, LEAKS, BPF, PRIMITIVES, FS_PROTECT, DUMPABLE, FORWARD,
    PTRACE)
