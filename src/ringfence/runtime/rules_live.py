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

# a test yields its messages, or (message, condition) pairs for a rule with conditions
Pair = Callable[[ContainerSpec, Effective], Iterator[str | tuple[str, str]]]
NS_COMPARED: Final[tuple[str, ...]] = ("pid", "network", "ipc", "uts", "mount")
# the direction of a difference: the kernel enforces less than declared (the drift that
# matters) or more (harmless, still a drift worth knowing)
WEAKER, STRICTER = "weaker", "stricter"
DIRECTIONS: Final = (WEAKER, STRICTER)


def _rule(num: int, title: str, sev: Severity, fix: str) -> Rule:
    return Rule(f"RT-{num}", title, sev, "host", fix, ("container-escape",),
                ("T1611", "CIS Docker 5"))


def _pair_check(rule: Rule, test: Pair,
                conditions: tuple[str, ...] = DIRECTIONS) -> Check[RuntimeFacts]:
    def func(facts: RuntimeFacts) -> Iterator[Violation]:
        for c in facts.live:
            if c.declared is not None:
                for item in test(c.declared, c.effective):
                    message, condition = (item, "") if isinstance(item, str) else item
                    yield Violation(f"{c.id[:12]} pid {c.effective.pid}: {message}",
                                    f"pid {c.effective.pid}", condition)

    return Check(rule, func, lambda f: any(c.declared is not None for c in f.live),
                 conditions)


def _diff(extra: set[str], missing: set[str]) -> str:
    parts = [f"+{', '.join(sorted(extra))}" if extra else "",
             f"-{', '.join(sorted(missing))}" if missing else ""]
    return " ".join(p for p in parts if p)


def _caps(d: ContainerSpec, e: Effective) -> Iterator[tuple[str, str]]:
    declared = set(d.capabilities or ())
    extra, missing = set(e.cap_bnd) - declared, declared - set(e.cap_bnd)
    if extra:
        yield f"bounding set differs from declared: {_diff(extra, set())}", "bounding-extra"
    if missing:
        yield f"bounding set differs from declared: {_diff(set(), missing)}", "bounding-missing"
    beyond = set(e.cap_eff | e.cap_amb) - declared
    if beyond:
        yield (f"effective/ambient capabilities not declared: {', '.join(sorted(beyond))}",
               "undeclared-effective")


def _nnp(d: ContainerSpec, e: Effective) -> Iterator[tuple[str, str]]:
    if d.no_new_privileges is not None and d.no_new_privileges != e.no_new_privs:
        yield (f"NoNewPrivs declared {int(d.no_new_privileges)}, effective "
               f"{int(e.no_new_privs)}", WEAKER if d.no_new_privileges else STRICTER)


def _seccomp_mode(d: ContainerSpec, e: Effective) -> Iterator[tuple[str, str]]:
    declared_filter = d.seccomp.mode != "unconfined"
    if declared_filter != (e.seccomp_mode == 2):
        yield (f"seccomp declared {d.seccomp.mode}, effective mode {e.seccomp_mode} "
               f"({e.seccomp_filters} filters)", WEAKER if declared_filter else STRICTER)


def _seccomp_calls(d: ContainerSpec, e: Effective) -> Iterator[tuple[str, str]]:
    if e.blocked is None or (d.seccomp.profile is None and d.seccomp.mode != "unconfined"):
        return  # filter unreadable, or the declared profile is a runtime default by name
    declared = blocked_by_profile(d.seccomp.profile)
    if declared - e.blocked:
        yield (f"dangerous syscalls blocked differ from declared: "
               f"{_diff(set(), set(declared - e.blocked))}", WEAKER)
    if e.blocked - declared:
        yield (f"dangerous syscalls blocked differ from declared: "
               f"{_diff(set(e.blocked - declared), set())}", STRICTER)


def _rootfs(d: ContainerSpec, e: Effective) -> Iterator[tuple[str, str]]:
    if d.read_only_rootfs is not None and e.root_read_only is not None \
            and d.read_only_rootfs != e.root_read_only:
        yield (f"root filesystem declared {'ro' if d.read_only_rootfs else 'rw'}, mounted "
               f"{'ro' if e.root_read_only else 'rw'}",
               WEAKER if d.read_only_rootfs else STRICTER)


NS_CONDITIONS: Final = (*DIRECTIONS, "userns-weaker", "userns-stricter")


def _namespaces(d: ContainerSpec, e: Effective) -> Iterator[tuple[str, str]]:
    declared = {n for n in NS_COMPARED if n in d.host_namespaces}
    effective = {n for n in NS_COMPARED if n in e.host_namespaces}
    if d.user_namespace is not None and d.user_namespace == ("user" in e.host_namespaces):
        yield (f"user namespace declared {'own' if d.user_namespace else 'host'}, effective "
               f"{'host' if 'user' in e.host_namespaces else 'own'}",
               "userns-weaker" if d.user_namespace else "userns-stricter")
    if effective - declared:
        yield (f"namespaces shared with the host differ: {_diff(effective - declared, set())}",
               WEAKER)
    if declared - effective:
        yield (f"namespaces shared with the host differ: {_diff(set(), declared - effective)}",
               STRICTER)


def _user(d: ContainerSpec, e: Effective) -> Iterator[tuple[str, str]]:
    if d.user is None or not e.uids or not d.user.split(":")[0].isdigit():
        return
    uid = int(d.user.split(":")[0])
    if e.uids[1] != uid and not any(inside <= e.uids[1] < inside + n and inside == uid
                                   for inside, _, n in e.uid_map if len(e.uid_map) > 1):
        yield (f"user declared uid {uid}, process runs as uid {e.uids[1]}",
               "root" if e.uids[1] == 0 else "other-uid")


def _looser(want: int | None, have: int | None) -> bool:
    """A cgroup limit ``have`` is looser than the declared ``want`` (None = unlimited)."""
    return want is not None and (have is None or have > want)


def _limits(d: ContainerSpec, e: Effective) -> Iterator[tuple[str, str]]:
    lim = d.limits
    if lim is None:
        return
    pairs = (("memory", lim.memory if lim.has_memory else None, e.memory_limit),
             ("pids", lim.pids if lim.has_pids else None, e.pids_limit),
             ("cpu quota", lim.cpu_quota, e.cpu_quota))
    for name, want, have in pairs:
        if want != have:
            yield (f"{name} limit declared {want or 'none'}, cgroup has {have or 'none'}",
                   WEAKER if _looser(want, have) else STRICTER)


def _lsm(d: ContainerSpec, e: Effective) -> Iterator[tuple[str, str]]:
    want = d.selinux_label or (d.apparmor if d.apparmor not in (None, "unconfined") else "")
    if want and not e.lsm_label.startswith(want):
        yield (f"LSM label declared {want!r}, process has {e.lsm_label or 'none'!r}",
               "selinux" if d.selinux_label else "apparmor")


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
                      "a runtime bug, a tampered bundle) and recreate the container."), _caps,
                ("bounding-extra", "bounding-missing", "undeclared-effective")),
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
                      "on exec) and recreate it."), _namespaces, NS_CONDITIONS),
    _pair_check(_rule(107, "Process user differs from declared", S.MEDIUM,
                      "Recreate the container; check exec --user and setuid binaries."), _user,
                ("root", "other-uid")),
    _pair_check(_rule(108, "Cgroup limits differ from declared", S.MEDIUM,
                      "Recreate or `update` the container to the declared limits."), _limits),
    _pair_check(_rule(109, "LSM label differs from declared", S.HIGH,
                      "Check the LSM is enabled and the runtime applied the label."), _lsm,
                ("selinux", "apparmor")),
    Check(Rule("RT-110", "Containers share an SELinux MCS category pair", S.HIGH, "host",
               "Give each container unique MCS categories (no fixed level=s0:cX,cY reused).",
               ("container-escape", "lateral-movement"), ("CIS Docker 5.2", "T1611")),
          _mcs_shared, lambda f: any(c.effective.lsm_label for c in f.live)),
)
