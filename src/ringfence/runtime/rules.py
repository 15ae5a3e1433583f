"""RT-0NN: declared runtime configuration (CIS Docker section 5) over ContainerSpec."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Final

from ringfence.checks.rule import Check, Violation
from ringfence.model.finding import Rule, Severity
from ringfence.runtime import caps as capnames
from ringfence.runtime.facts import RuntimeFacts
from ringfence.runtime.rules_live import LIVE_CHECKS
from ringfence.runtime.seccomp_profile import blocked_by_profile
from ringfence.runtime.spec import RUNTIME_SOCKETS, ContainerSpec, is_sensitive_source

# a test yields its messages; a rule with conditions yields (message, condition) pairs
SpecTest = Callable[[ContainerSpec], Iterator[str | tuple[str, str]]]


def _rule(num: int, title: str, sev: Severity, fix: str, threats: tuple[str, ...],
          refs: tuple[str, ...]) -> Rule:
    return Rule(f"RT-{num:03d}", title, sev, "host", fix, threats, refs)


def _check(rule: Rule, test: SpecTest,
           known: Callable[[ContainerSpec], bool] = lambda s: True,
           conditions: tuple[str, ...] = ()) -> Check[RuntimeFacts]:
    def func(facts: RuntimeFacts) -> Iterator[Violation]:
        for spec in facts.specs:
            if known(spec):
                for item in test(spec):
                    message, condition = (item, "") if isinstance(item, str) else item
                    yield Violation(f"{spec.label}: {message}", spec.location, condition)

    return Check(rule, func, lambda f: any(known(s) for s in f.specs), conditions)


def _privileged(s: ContainerSpec) -> Iterator[str]:
    if s.privileged:
        yield "runs privileged (all capabilities, all devices, no seccomp/LSM confinement)"


def _dangerous_caps(s: ContainerSpec) -> Iterator[str]:
    bad = sorted((s.capabilities or frozenset()) & capnames.DANGEROUS)
    if bad and not s.privileged:
        yield f"holds dangerous capabilities {', '.join(bad)}"


def _all_not_dropped(s: ContainerSpec) -> Iterator[tuple[str, str]]:
    granted = s.capabilities or frozenset()
    if s.source in ("docker", "podman"):
        kept = granted - set(s.cap_add)
        if "ALL" not in s.cap_drop and kept:
            yield f"ALL is not dropped: keeps {len(kept)} default capabilities", "engine-default"
    elif granted >= capnames.PODMAN_DEFAULT:  # OCI: the runtime's default set kept whole
        yield (f"bounding set keeps the runtime default capabilities ({len(granted)})",
               "oci-default")


def _seccomp(s: ContainerSpec) -> Iterator[tuple[str, str]]:
    if s.seccomp.mode == "unconfined" and not s.privileged:
        yield "seccomp is unconfined", "unconfined"
    elif s.seccomp.profile is not None and not blocked_by_profile(s.seccomp.profile):
        yield "the seccomp profile blocks none of the dangerous syscalls", "blocks-none"


def _lsm(s: ContainerSpec) -> Iterator[tuple[str, str]]:
    if s.apparmor == "unconfined":
        yield "AppArmor profile is unconfined", "apparmor"
    if s.selinux_disabled:
        yield "SELinux labelling is disabled (label=disable / spc_t)", "selinux"


def _nnp(s: ContainerSpec) -> Iterator[str]:
    if not s.no_new_privileges:
        yield "no_new_privs is off: setuid binaries can raise privileges"


def _rootfs(s: ContainerSpec) -> Iterator[str]:
    if not s.read_only_rootfs:
        yield "root filesystem is writable"


def _root(s: ContainerSpec) -> Iterator[str]:
    if s.runs_as_root:
        yield f"runs as root (user {s.user or 'unset'})"


def _host_ns(s: ContainerSpec) -> Iterator[str]:
    shared = sorted(s.host_namespaces - {"cgroup"})
    if shared:
        yield f"shares host namespaces: {', '.join(shared)}"


def _userns(s: ContainerSpec) -> Iterator[str]:
    if s.user_namespace is False:
        yield "no user namespace: root in the container is root on the host"


def _sockets(s: ContainerSpec) -> Iterator[tuple[str, str]]:
    for m in s.mounts:
        if m.is_bind and m.source in RUNTIME_SOCKETS:
            yield f"runtime socket {m.source} mounted at {m.destination}", "known-path"
        elif m.is_bind and m.source.endswith(".sock"):
            yield f"runtime socket {m.source} mounted at {m.destination}", "sock-file"


def _sensitive(s: ContainerSpec) -> Iterator[str]:
    for m in s.mounts:
        if m.is_bind and is_sensitive_source(m.source) and m.source not in RUNTIME_SOCKETS:
            yield f"host {m.source} mounted {'ro' if m.read_only else 'rw'} at {m.destination}"


def _devices(s: ContainerSpec) -> Iterator[str]:
    if s.devices:
        yield f"{len(s.devices)} host devices passed in: {', '.join(s.devices[:5])}"


def _memory(s: ContainerSpec) -> Iterator[str]:
    if s.limits is not None and not s.limits.has_memory:
        yield "no memory limit"


def _pids(s: ContainerSpec) -> Iterator[str]:
    if s.limits is not None and not s.limits.has_pids:
        yield "no pids limit"


def _cpu(s: ContainerSpec) -> Iterator[str]:
    if s.limits is not None and not s.limits.has_cpu:
        yield "no CPU quota or cpuset"


def _propagation(s: ContainerSpec) -> Iterator[tuple[str, str]]:
    if s.rootfs_propagation in ("shared", "rshared"):
        yield f"rootfs propagation is {s.rootfs_propagation}", "rootfs"
    for m in s.mounts:
        if m.propagation in ("shared", "rshared"):
            yield f"mount {m.source} -> {m.destination} has {m.propagation} propagation", "mount"


ESC, RES = ("container-escape",), ("resource-exhaustion",)
H = Severity
SPEC_CHECKS: Final[tuple[Check[RuntimeFacts], ...]] = (
    _check(_rule(1, "Privileged container", H.CRITICAL, "Do not run with --privileged; grant "
                 "only the capabilities and devices needed.", ESC,
                 ("CIS Docker 5.4", "PSS baseline: Privileged Containers", "T1611")),
           _privileged),
    _check(_rule(2, "Dangerous capabilities granted", H.HIGH, "Remove --cap-add of "
                 "SYS_ADMIN, SYS_PTRACE, SYS_MODULE, NET_ADMIN...", ESC,
                 ("CIS Docker 5.3", "PSS baseline: Capabilities", "T1611")),
           _dangerous_caps, lambda s: s.capabilities is not None),
    _check(_rule(3, "Capabilities not dropped to a minimum", H.MEDIUM, "--cap-drop=ALL and "
                 "add back only what the workload needs.", ESC,
                 ("CIS Docker 5.3", "PSS restricted: Capabilities")),
           _all_not_dropped, lambda s: s.capabilities is not None,
           ("engine-default", "oci-default")),
    _check(_rule(4, "Seccomp unconfined", H.HIGH, "Keep the runtime's default seccomp "
                 "profile or a stricter one; never seccomp=unconfined.", ESC,
                 ("CIS Docker 5.21", "PSS baseline: Seccomp", "T1611")), _seccomp,
           conditions=("unconfined", "blocks-none")),
    _check(_rule(5, "AppArmor or SELinux confinement disabled", H.MEDIUM, "Drop "
                 "apparmor=unconfined / label=disable.", ESC,
                 ("CIS Docker 5.1", "CIS Docker 5.2", "PSS baseline: AppArmor",
                  "PSS baseline: SELinux")), _lsm, conditions=("apparmor", "selinux")),
    _check(_rule(6, "no_new_privs not set", H.MEDIUM, "--security-opt no-new-privileges "
                 "(OCI process.noNewPrivileges: true).", ("container-escape",
                                                           "platform-privilege-escalation"),
                 ("CIS Docker 5.25", "PSS restricted: Privilege Escalation")), _nnp,
           lambda s: s.no_new_privileges is not None),
    _check(_rule(7, "Writable root filesystem", H.LOW, "--read-only with tmpfs where the "
                 "workload writes.", ("persistence-drift",), ("CIS Docker 5.12",)), _rootfs,
           lambda s: s.read_only_rootfs is not None),
    _check(_rule(8, "Container runs as root", H.MEDIUM, "Run as a non-root user (--user, "
                 "USER in the image, runAsNonRoot).", ESC,
                 ("CIS Docker 4.1", "PSS restricted: Running as Non-root")), _root,
           lambda s: s.user is not None),
    _check(_rule(9, "Host namespaces shared", H.HIGH, "Do not use --pid/--network/--ipc/--uts "
                 "host; keep a private mount namespace.", ("container-escape",
                                                           "lateral-movement"),
                 ("CIS Docker 5.9", "CIS Docker 5.15", "CIS Docker 5.16", "CIS Docker 5.20",
                  "PSS baseline: Host Namespaces", "T1611")), _host_ns),
    _check(_rule(10, "No user namespace", H.LOW, "Run with a user namespace (userns-remap, "
                 "--userns=auto, OCI linux.namespaces user + uidMappings).", ESC,
                 ("CIS Docker 5.30", "CIS Docker 2.8")), _userns,
           lambda s: s.user_namespace is not None),
    _check(_rule(11, "Container runtime socket mounted", H.CRITICAL, "Never mount docker/"
                 "containerd/CRI-O/podman sockets into a container.", ESC,
                 ("CIS Docker 5.31", "T1611", "T1610")), _sockets,
           conditions=("known-path", "sock-file")),
    _check(_rule(12, "Sensitive host directory mounted", H.HIGH, "Do not bind-mount /, /etc, "
                 "/proc, /sys, /boot, /var/lib/docker... from the host.",
                 ("container-escape", "credential-theft"), ("CIS Docker 5.5", "T1611")),
           _sensitive),
    _check(_rule(13, "Host devices exposed", H.HIGH, "Do not pass host devices (--device) "
                 "unless required, and then read-only.", ESC, ("CIS Docker 5.17",)), _devices),
    _check(_rule(14, "No memory limit", H.MEDIUM, "--memory (OCI linux.resources.memory.limit).",
                 RES, ("CIS Docker 5.10",)), _memory, lambda s: s.limits is not None),
    _check(_rule(15, "No pids limit", H.MEDIUM, "--pids-limit (OCI linux.resources.pids.limit).",
                 RES, ("CIS Docker 5.28",)), _pids, lambda s: s.limits is not None),
    _check(_rule(16, "No CPU limit", H.LOW, "--cpus or --cpuset-cpus.", RES,
                 ("CIS Docker 5.11",)), _cpu, lambda s: s.limits is not None),
    _check(_rule(17, "Shared mount propagation", H.MEDIUM, "Use private or slave propagation "
                 "for bind mounts.", ESC, ("CIS Docker 5.19",)), _propagation,
           conditions=("rootfs", "mount")),
)
RT_CHECKS: Final[tuple[Check[RuntimeFacts], ...]] = (*SPEC_CHECKS, *LIVE_CHECKS)
