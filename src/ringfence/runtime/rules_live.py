"""RT-1NN: declared configuration vs what the kernel enforces for live container processes."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Final

from ringfence.checks.rule import Check, Violation
from ringfence.model.finding import Rule, Severity
from ringfence.runtime.effective import Effective
from ringfence.runtime.seccomp_profile import blocked_by_profile
from ringfence.runtime.spec import ContainerSpec, mcs_pair

if TYPE_CHECKING:
    from ringfence.runtime.facts import RuntimeFacts

Pair = Callable[[ContainerSpec, Effective], Iterator[str]]
NS_COMPARED: Final[tuple[str, ...]] = ("pid", "network", "ipc", "uts", "mount")


def _rule(num: int, title: str, sev: Severity, fix: str) -> Rule:
    return Rule(f"RT-{num}", title, sev, "host", fix, ("container-escape",),
                ("T1611", "CIS Docker 5"))


def _pair_check(rule: Rule, test: Pair) -> Check[RuntimeFacts]:
    def func(facts: RuntimeFacts) -> Iterator[Violation]:
        for c in facts.live:
            if c.declared is not None:
                for message in test(c.declared, c.effective):
                    yield Violation(f"{c.id[:12]} pid {c.effective.pid}: {message}",
                                    f"pid {c.effective.pid}")

    return Check(rule, func, lambda f: any(c.declared is not None for c in f.live))


def _diff(extra: set[str], missing: set[str]) -> str:
    parts = [f"+{', '.join(sorted(extra))}" if extra else "",
             f"-{', '.join(sorted(missing))}" if missing else ""]
    return " ".join(p for p in parts if p)


def _caps(d: ContainerSpec, e: Effective) -> Iterator[str]:
    declared = set(d.capabilities or ())
    if set(e.cap_bnd) != declared:
        diff = _diff(set(e.cap_bnd) - declared, declared - set(e.cap_bnd))
        yield f"bounding set differs from declared: {diff}"
    beyond = set(e.cap_eff | e.cap_amb) - declared
    if beyond:
        yield f"effective/ambient capabilities not declared: {', '.join(sorted(beyond))}"


def _nnp(d: ContainerSpec, e: Effective) -> Iterator[str]:
    if d.no_new_privileges is not None and d.no_new_privileges != e.no_new_privs:
        yield f"NoNewPrivs declared {int(d.no_new_privileges)}, effective {int(e.no_new_privs)}"


def _seccomp_mode(d: ContainerSpec, e: Effective) -> Iterator[str]:
    declared_filter = d.seccomp.mode != "unconfined"
    if declared_filter != (e.seccomp_mode == 2):
        yield f"seccomp declared {d.seccomp.mode}, effective mode {e.seccomp_mode} " \
              f"({e.seccomp_filters} filters)"


def _seccomp_calls(d: ContainerSpec, e: Effective) -> Iterator[str]:
    if e.blocked is None or (d.seccomp.profile is None and d.seccomp.mode != "unconfined"):
        return  # filter unreadable, or the declared profile is a runtime default by name
    declared = blocked_by_profile(d.seccomp.profile)
    if declared != e.blocked:
        yield f"dangerous syscalls blocked differ from declared: " \
              f"{_diff(set(e.blocked - declared), set(declared - e.blocked))}"


def _rootfs(d: ContainerSpec, e: Effective) -> Iterator[str]:
    if d.read_only_rootfs is not None and e.root_read_only is not None \
            and d.read_only_rootfs != e.root_read_only:
        yield f"root filesystem declared {'ro' if d.read_only_rootfs else 'rw'}, mounted " \
              f"{'ro' if e.root_read_only else 'rw'}"


def _namespaces(d: ContainerSpec, e: Effective) -> Iterator[str]:
    declared = {n for n in NS_COMPARED if n in d.host_namespaces}
    effective = {n for n in NS_COMPARED if n in e.host_namespaces}
    if d.user_namespace is not None and d.user_namespace == ("user" in e.host_namespaces):
        yield f"user namespace declared {'own' if d.user_namespace else 'host'}, effective " \
              f"{'host' if 'user' in e.host_namespaces else 'own'}"
    if declared != effective:
        diff = _diff(effective - declared, declared - effective)
        yield f"namespaces shared with the host differ: {diff}"


def _user(d: ContainerSpec, e: Effective) -> Iterator[str]:
    if d.user is None or not e.uids or not d.user.split(":")[0].isdigit():
        return
    uid = int(d.user.split(":")[0])
    if e.uids[1] != uid and not any(inside <= e.uids[1] < inside + n and inside == uid
                                   for inside, _, n in e.uid_map if len(e.uid_map) > 1):
        yield f"user declared uid {uid}, process runs as uid {e.uids[1]}"


def _limits(d: ContainerSpec, e: Effective) -> Iterator[str]:
    lim = d.limits
    if lim is None:
        return
    pairs = (("memory", lim.memory if lim.has_memory else None, e.memory_limit),
             ("pids", lim.pids if lim.has_pids else None, e.pids_limit),
             ("cpu quota", lim.cpu_quota, e.cpu_quota))
    for name, want, have in pairs:
        if want != have:
            yield f"{name} limit declared {want or 'none'}, cgroup has {have or 'none'}"


def _lsm(d: ContainerSpec, e: Effective) -> Iterator[str]:
    want = d.selinux_label or (d.apparmor if d.apparmor not in (None, "unconfined") else "")
    if want and not e.lsm_label.startswith(want):
        yield f"LSM label declared {want!r}, process has {e.lsm_label or 'none'!r}"


def _mcs_shared(facts: RuntimeFacts) -> Iterator[Violation]:
    seen: dict[str, list[str]] = {}
    for c in facts.live:
        pair = mcs_pair(c.effective.lsm_label)
        if pair and "-" not in pair and "." not in pair:
            seen.setdefault(pair, []).append(f"{c.id[:12]} (pid {c.effective.pid})")
    for pair, who in sorted(seen.items()):
        if len(who) > 1:
            yield Violation(f"containers share SELinux MCS categories {pair}: "
                            f"{', '.join(who)}", pair)


S = Severity
LIVE_CHECKS: Final[tuple[Check[RuntimeFacts], ...]] = (
    _pair_check(_rule(101, "Effective capabilities differ from declared", S.HIGH,
                      "Find what changed the process's capabilities (exec with extra caps, "
                      "a runtime bug, a tampered bundle) and recreate the container."), _caps),
    _pair_check(_rule(102, "NoNewPrivs differs from declared", S.HIGH,
                      "Recreate the container; check the runtime honours noNewPrivileges."),
                _nnp),
    _pair_check(_rule(103, "Seccomp mode differs from declared", S.HIGH,
                      "Recreate the container; check the runtime was built with seccomp."),
                _seccomp_mode),
    _pair_check(_rule(104, "Live seccomp filter differs from the declared profile", S.HIGH,
                      "Compare the loaded filter with the profile; recreate the container."),
                _seccomp_calls),
    _pair_check(_rule(105, "Root filesystem writability differs from declared", S.MEDIUM,
                      "Recreate the container with a read-only root."), _rootfs),
    _pair_check(_rule(106, "Namespaces differ from declared", S.HIGH,
                      "Find who joined the container to host namespaces (setns, --pid host "
                      "on exec) and recreate it."), _namespaces),
    _pair_check(_rule(107, "Process user differs from declared", S.MEDIUM,
                      "Recreate the container; check exec --user and setuid binaries."), _user),
    _pair_check(_rule(108, "Cgroup limits differ from declared", S.MEDIUM,
                      "Recreate or `update` the container to the declared limits."), _limits),
    _pair_check(_rule(109, "LSM label differs from declared", S.HIGH,
                      "Check the LSM is enabled and the runtime applied the label."), _lsm),
    Check(Rule("RT-110", "Containers share an SELinux MCS category pair", S.HIGH, "host",
               "Give each container unique MCS categories (no fixed level=s0:cX,cY reused).",
               ("container-escape", "lateral-movement"), ("CIS Docker 5.2", "T1611")),
          _mcs_shared, lambda f: any(c.effective.lsm_label for c in f.live)),
)
