"""The one table of Pod Security Standards controls x policy versions, as Pod Security
Admission registers them (``policy/check_*.go``: each check's level, its ``VersionedCheck``
list with ``MinimumVersion``, and ``OverrideCheckIDs``), v1.0 through v1.37.

Resolution follows ``policy/registry.go``: at policy version v1.N a control runs the latest
revision whose ``since`` is <= N (none: not checked at that version); ``latest`` and any
version newer than the newest revision in the table resolve to ``MAX_VERSION``; a pod at
``restricted`` runs every baseline and restricted control, except a baseline control that a
restricted control with a revision at that version overrides.

Sources: the Kubernetes Pod Security Standards page of each release and the policy code of
kubernetes/kubernetes (release branches up to 1.37). Two behaviours were patched into 1.0
functions upstream rather than version-gated, and so apply at every version here too: the
``image`` volume type (restricted) and the AppArmor ``appArmorProfile`` fields (baseline).
Not in the table: checks seen only on unreleased branches (``securityContext.ulimits`` of
KEP-5758, which did not ship in 1.37; ``cgroupOptions``); the probe-host check allows no
host at all (a variant allowing 127.0.0.1/::1 was not what shipped in 1.34).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Final

from ringfence.k8s import pss_controls as c
from ringfence.k8s.podview import PodView
from ringfence.k8s.psa import LEVEL_RANK, PssPolicy


@dataclass(frozen=True, slots=True)
class Revision:
    """The check a control runs from policy version v1.<since> on."""

    since: int
    check: c.Control


@dataclass(frozen=True, slots=True)
class PsaControl:
    """One PSA check: its id, the reason PSA prints when it forbids a pod, its level, its
    revisions (ascending), the ways it can fire, and the baseline check it overrides."""

    id: str
    reason: str
    level: str
    revisions: tuple[Revision, ...]
    conditions: tuple[str, ...] = ()
    overrides: str = ""

    def at(self, version: int) -> c.Control | None:
        """The revision in force at policy version v1.<version>, or None."""
        found = None
        for rev in self.revisions:
            if rev.since <= version:
                found = rev.check
        return found


def _rev(*pairs: tuple[int, c.Control]) -> tuple[Revision, ...]:
    return tuple(Revision(since, check) for since, check in pairs)


# check_seLinuxOptions.go: container_engine_t from v1.31
SELINUX_TYPES: Final = c.cumulative(
    ("", "container_t", "container_init_t", "container_kvm_t"), ("container_engine_t",))
# check_sysctls.go: the safe set grows at v1.27, v1.29, v1.32 and v1.37
SYSCTL_VERSIONS: Final = (0, 27, 29, 32, 37)
SAFE_SYSCTLS: Final = c.cumulative(
    ("kernel.shm_rmid_forced", "net.ipv4.ip_local_port_range", "net.ipv4.tcp_syncookies",
     "net.ipv4.ping_group_range", "net.ipv4.ip_unprivileged_port_start"),
    ("net.ipv4.ip_local_reserved_ports",),
    ("net.ipv4.tcp_keepalive_time", "net.ipv4.tcp_fin_timeout",
     "net.ipv4.tcp_keepalive_intvl", "net.ipv4.tcp_keepalive_probes"),
    ("net.ipv4.tcp_rmem", "net.ipv4.tcp_wmem"),
    ("net.ipv4.tcp_slow_start_after_idle", "net.ipv4.tcp_notsent_lowat"),
)

B, R = "baseline", "restricted"
TABLE: Final[tuple[PsaControl, ...]] = (
    PsaControl("windowsHostProcess", "hostProcess", B, _rev((0, c.host_process))),
    PsaControl("hostNamespaces", "host namespaces", B, _rev((0, c.host_namespaces)),
               ("hostNetwork", "hostPID", "hostIPC")),
    PsaControl("privileged", "privileged", B, _rev((0, c.privileged))),
    PsaControl("capabilities_baseline", "non-default capabilities", B,
               _rev((0, c.capabilities_baseline))),
    PsaControl("hostPathVolumes", "hostPath volumes", B, _rev((0, c.host_path_volumes))),
    PsaControl("hostPorts", "hostPort", B, _rev((0, c.host_ports))),
    PsaControl("appArmorProfile", "forbidden AppArmor profile", B, _rev((0, c.apparmor)),
               ("field", "annotation")),
    PsaControl("seLinuxOptions", "seLinuxOptions", B,
               _rev((0, c.selinux(SELINUX_TYPES[0])), (31, c.selinux(SELINUX_TYPES[1]))),
               ("type", "user", "role")),
    PsaControl("procMount", "procMount", B,
               _rev((0, c.proc_mount), (35, c.unless_user_namespace(c.proc_mount)))),
    PsaControl("seccompProfile_baseline", "seccompProfile", B,
               _rev((0, c.seccomp_annotations), (19, c.seccomp_fields)),
               ("annotation", "field")),
    PsaControl("sysctls", "forbidden sysctls", B,
               _rev(*((v, c.sysctls(s)) for v, s in zip(SYSCTL_VERSIONS, SAFE_SYSCTLS,
                                                        strict=True)))),
    PsaControl("hostProbesAndHostLifecycle", "probe or lifecycle host", B,
               _rev((34, c.host_probes_and_lifecycle)), ("probe", "lifecycle")),
    PsaControl("restrictedVolumes", "restricted volume types", R, _rev((0, c.volume_types)),
               overrides="hostPathVolumes"),
    PsaControl("allowPrivilegeEscalation", "allowPrivilegeEscalation != false", R,
               _rev((8, c.privilege_escalation),
                    (25, c.unless_windows(c.privilege_escalation)))),
    PsaControl("runAsNonRoot", "runAsNonRoot != true", R,
               _rev((0, c.run_as_non_root), (35, c.unless_user_namespace(c.run_as_non_root))),
               ("false", "unset")),
    PsaControl("runAsUser", "runAsUser=0", R,
               _rev((23, c.run_as_user), (35, c.unless_user_namespace(c.run_as_user)))),
    PsaControl("seccompProfile_restricted", "seccompProfile", R,
               _rev((19, c.seccomp_restricted), (25, c.unless_windows(c.seccomp_restricted))),
               ("type", "unset"), overrides="seccompProfile_baseline"),
    PsaControl("capabilities_restricted", "unrestricted capabilities", R,
               _rev((22, c.capabilities_restricted),
                    (25, c.unless_windows(c.capabilities_restricted))),
               ("drop", "add"), overrides="capabilities_baseline"),
    PsaControl("procMount_restricted", "procMount", R, _rev((35, c.proc_mount)),
               overrides="procMount"),
)
BY_ID: Final[Mapping[str, PsaControl]] = MappingProxyType({x.id: x for x in TABLE})
# registry.go maxVersion: the newest MinimumVersion; "latest" and newer versions clamp to it
MAX_VERSION: Final = max(r.since for x in TABLE for r in x.revisions)
_OVERRIDDEN_BY: Final = MappingProxyType({x.overrides: x for x in TABLE if x.overrides})


def effective_version(policy: PssPolicy) -> int:
    return MAX_VERSION if policy.version is None else min(policy.version, MAX_VERSION)


def in_force(control: PsaControl, policy: PssPolicy) -> c.Control | None:
    """The revision of ``control`` a pod at ``policy`` is checked with (None: not checked:
    the level is lower than the control's, or the version predates it)."""
    if LEVEL_RANK[policy.level] < LEVEL_RANK[control.level]:
        return None
    return control.at(effective_version(policy))


def hits(control: PsaControl, pod: PodView, policy: PssPolicy) -> Iterator[c.Hit]:
    """How ``pod`` breaks ``control`` at ``policy`` (nothing: it holds or is not checked).

    A baseline control a restricted one overrides at this policy is not run by PSA; its hits
    are kept only when the overriding check refuses the pod too, so the rule still names the
    baseline breach (e.g. an added SYS_ADMIN) while the verdict stays PSA's (a Windows pod
    that the restricted revision exempts is admitted)."""
    check = in_force(control, policy)
    if check is None:
        return
    found = list(check(pod))
    if not found:
        return
    over = _OVERRIDDEN_BY.get(control.id)
    over_check = in_force(over, policy) if over is not None else None
    if over_check is not None and next(over_check(pod), None) is None:
        return
    yield from found


def denies(pod: PodView, policy: PssPolicy) -> list[tuple[PsaControl, list[c.Hit]]]:
    """PSA's verdict: every control that refuses ``pod`` at ``policy`` (empty: admitted)."""
    out = []
    for control in TABLE:
        found = list(hits(control, pod, policy))
        if found:
            out.append((control, found))
    return out


def highest_level(pod: PodView, version: int | None = None) -> str:
    """The highest level whose checks at ``version`` (None: latest) admit the pod."""
    for level in ("restricted", "baseline"):
        if not denies(pod, PssPolicy(level, version)):
            return level
    return "privileged"
