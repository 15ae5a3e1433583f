"""Pod Security Standards: every control of the Baseline and Restricted profiles, as the
Kubernetes documentation (concepts/security/pod-security-standards, v1.33) defines them.

Each control is a function PodView -> messages; a rule per control wraps it, and
``pss_level`` reports the highest profile a pod meets (Restricted includes Baseline).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping
from typing import Any, Final

from ringfence.checks.rule import Check, Violation
from ringfence.k8s.facts import K8sFacts
from ringfence.k8s.podview import PodView, mapping, seq
from ringfence.model.finding import Rule, Severity

Control = Callable[[PodView], Iterator[str]]

BASELINE_CAPS: Final = frozenset({
    "AUDIT_WRITE", "CHOWN", "DAC_OVERRIDE", "FOWNER", "FSETID", "KILL", "MKNOD",
    "NET_BIND_SERVICE", "SETFCAP", "SETGID", "SETPCAP", "SETUID", "SYS_CHROOT"})
SAFE_SYSCTLS: Final = frozenset({
    "kernel.shm_rmid_forced", "net.ipv4.ip_local_port_range",
    "net.ipv4.ip_unprivileged_port_start", "net.ipv4.tcp_syncookies",
    "net.ipv4.ping_group_range", "net.ipv4.ip_local_reserved_ports",
    "net.ipv4.tcp_keepalive_time", "net.ipv4.tcp_fin_timeout",
    "net.ipv4.tcp_keepalive_intvl", "net.ipv4.tcp_keepalive_probes"})
SELINUX_TYPES: Final = frozenset({"", "container_t", "container_init_t", "container_kvm_t",
                                  "container_engine_t"})
RESTRICTED_VOLUMES: Final = frozenset({"configMap", "csi", "downwardAPI", "emptyDir",
                                       "ephemeral", "persistentVolumeClaim", "projected",
                                       "secret"})
APPARMOR_ANNOTATION: Final = "container.apparmor.security.beta.kubernetes.io/"


def pod_check(rule: Rule, control: Control) -> Check[K8sFacts]:
    """A rule evaluated on every pod view; ``applies`` only when there are pods."""

    def run(facts: K8sFacts) -> Iterator[Violation]:
        for pod in facts.pods:
            for message in control(pod):
                yield Violation(f"{pod.ref}: {message}", pod.location)

    return Check(rule, run, lambda facts: bool(facts.pods))


def _sc_values(pod: PodView, *path: str) -> Iterator[tuple[str, Any]]:
    """(where, value) of a securityContext field at pod level and in every container."""
    for where, sc in pod.all_security_contexts():
        value: Any = sc
        for key in path:
            value = mapping(value).get(key)
        if value is not None:
            yield where, value


def host_process(pod: PodView) -> Iterator[str]:
    for where, v in _sc_values(pod, "windowsOptions", "hostProcess"):
        if v is not False:
            yield f"{where}.windowsOptions.hostProcess is {v}"


def host_namespaces(pod: PodView) -> Iterator[str]:
    for key in ("hostNetwork", "hostPID", "hostIPC"):
        if pod.spec.get(key) not in (None, False):
            yield f"spec.{key} is {pod.spec[key]}"


def privileged(pod: PodView) -> Iterator[str]:
    for c in pod.containers:
        if c.security_context.get("privileged") not in (None, False):
            yield f"{c.field_path} is privileged"


def _caps(sc: Mapping[str, Any], key: str) -> list[str]:
    return [str(x) for x in seq(mapping(sc.get("capabilities")).get(key))]


def capabilities_baseline(pod: PodView) -> Iterator[str]:
    for c in pod.containers:
        extra = [x for x in _caps(c.security_context, "add") if x not in BASELINE_CAPS]
        if extra:
            yield f"{c.field_path} adds capabilities {', '.join(extra)}"


def host_path(pod: PodView) -> Iterator[str]:
    for v in pod.volumes:
        if v.get("hostPath") is not None:
            path = mapping(v.get("hostPath")).get("path", "")
            yield f"volume {v.get('name')} is hostPath {path}"


def host_ports(pod: PodView) -> Iterator[str]:
    for c in pod.containers:
        for p in seq(c.raw.get("ports")):
            port = mapping(p).get("hostPort")
            if port not in (None, 0):
                yield f"{c.field_path} uses hostPort {port}"


def apparmor(pod: PodView) -> Iterator[str]:
    for where, v in _sc_values(pod, "appArmorProfile", "type"):
        if v not in ("RuntimeDefault", "Localhost"):
            yield f"{where}.appArmorProfile.type is {v}"
    for key, value in pod.annotations.items():
        if key.startswith(APPARMOR_ANNOTATION) and not (
                value == "runtime/default" or value.startswith("localhost/")):
            yield f"annotation {key} is {value}"


def selinux(pod: PodView) -> Iterator[str]:
    for where, opts in _sc_values(pod, "seLinuxOptions"):
        opts = mapping(opts)
        if str(opts.get("type") or "") not in SELINUX_TYPES:
            yield f"{where}.seLinuxOptions.type is {opts.get('type')}"
        for key in ("user", "role"):
            if opts.get(key):
                yield f"{where}.seLinuxOptions.{key} is set ({opts[key]})"


def proc_mount(pod: PodView) -> Iterator[str]:
    for c in pod.containers:
        value = c.security_context.get("procMount")
        if value not in (None, "Default"):
            yield f"{c.field_path} procMount is {value}"


def seccomp_baseline(pod: PodView) -> Iterator[str]:
    for where, v in _sc_values(pod, "seccompProfile", "type"):
        if v == "Unconfined":
            yield f"{where}.seccompProfile.type is Unconfined"


def sysctls(pod: PodView) -> Iterator[str]:
    for s in seq(pod.security_context.get("sysctls")):
        name = mapping(s).get("name")
        if not isinstance(name, str) or name not in SAFE_SYSCTLS:
            yield f"unsafe sysctl {name}"


def volume_types(pod: PodView) -> Iterator[str]:
    for v in pod.volumes:
        kinds = [k for k in v if k != "name"]
        bad = [k for k in kinds if k not in RESTRICTED_VOLUMES]
        if bad:
            yield f"volume {v.get('name')} is of type {', '.join(bad)}"


def _windows(pod: PodView) -> bool:
    return mapping(pod.spec.get("os")).get("name") == "windows"


def privilege_escalation(pod: PodView) -> Iterator[str]:
    if _windows(pod):
        return
    for c in pod.containers:
        if c.security_context.get("allowPrivilegeEscalation") is not False:
            yield f"{c.field_path} does not set allowPrivilegeEscalation: false"


def run_as_non_root(pod: PodView) -> Iterator[str]:
    pod_level = pod.security_context.get("runAsNonRoot")
    for c in pod.containers:
        own = c.security_context.get("runAsNonRoot")
        if own is False or (own is not True and pod_level is not True):
            yield f"{c.field_path} may run as root (runAsNonRoot is not true)"


def run_as_user(pod: PodView) -> Iterator[str]:
    for where, v in _sc_values(pod, "runAsUser"):
        if v == 0:
            yield f"{where}.runAsUser is 0"


def seccomp_restricted(pod: PodView) -> Iterator[str]:
    if _windows(pod):
        return
    ok = ("RuntimeDefault", "Localhost")
    pod_type = mapping(pod.security_context.get("seccompProfile")).get("type")
    for c in pod.containers:
        own = mapping(c.security_context.get("seccompProfile")).get("type")
        effective = own if own is not None else pod_type
        if effective not in ok:
            yield f"{c.field_path} seccompProfile.type is {effective or 'not set'}"


def capabilities_restricted(pod: PodView) -> Iterator[str]:
    if _windows(pod):
        return
    for c in pod.containers:
        if "ALL" not in _caps(c.security_context, "drop"):
            yield f"{c.field_path} does not drop ALL capabilities"
        extra = [x for x in _caps(c.security_context, "add") if x != "NET_BIND_SERVICE"]
        if extra:
            yield f"{c.field_path} adds capabilities {', '.join(extra)}"


def _rule(num: int, control: str, profile: str, title: str, severity: Severity,
          remediation: str, threats: Iterable[str], extra: Iterable[str] = ()) -> Rule:
    return Rule(f"K8S-{num:03d}", title, severity, "platform", remediation, tuple(threats),
                (f"PSS {profile}: {control}", *extra))


ESC = ("container-escape",)
BASELINE: Final[tuple[tuple[Rule, Control], ...]] = (
    (_rule(1, "HostProcess", "baseline", "Windows HostProcess container", Severity.CRITICAL,
           "Do not set windowsOptions.hostProcess.", ESC, ("T1611",)), host_process),
    (_rule(2, "Host Namespaces", "baseline", "Pod shares host namespaces", Severity.HIGH,
           "Remove hostNetwork, hostPID and hostIPC (or set them false).",
           ("container-escape", "lateral-movement"), ("T1611",)), host_namespaces),
    (_rule(3, "Privileged Containers", "baseline", "Privileged container", Severity.CRITICAL,
           "Set securityContext.privileged: false.", ESC, ("T1611", "CIS Kubernetes 5.2.2")),
     privileged),
    (_rule(4, "Capabilities", "baseline", "Capabilities added beyond the default set",
           Severity.HIGH, "Add only capabilities from the default set (or none).", ESC,
           ("T1611",)), capabilities_baseline),
    (_rule(5, "HostPath Volumes", "baseline", "hostPath volume", Severity.HIGH,
           "Use a PersistentVolumeClaim, emptyDir or configMap instead of hostPath.",
           ("container-escape", "persistence-drift"), ("T1611",)), host_path),
    (_rule(6, "Host Ports", "baseline", "Container binds a host port", Severity.MEDIUM,
           "Remove hostPort; expose the port through a Service.", ("lateral-movement",)),
     host_ports),
    (_rule(7, "AppArmor", "baseline", "AppArmor profile overridden or disabled",
           Severity.MEDIUM, "Use RuntimeDefault or a Localhost AppArmor profile.", ESC),
     apparmor),
    (_rule(8, "SELinux", "baseline", "Custom SELinux options", Severity.MEDIUM,
           "Leave seLinuxOptions user/role unset and type to a container_* type.", ESC),
     selinux),
    (_rule(9, "/proc Mount Type", "baseline", "Unmasked /proc mount", Severity.HIGH,
           "Leave procMount unset or Default.", ESC), proc_mount),
    (_rule(10, "Seccomp", "baseline", "Seccomp explicitly Unconfined", Severity.HIGH,
           "Do not set seccompProfile.type: Unconfined.", ESC), seccomp_baseline),
    (_rule(11, "Sysctls", "baseline", "Unsafe sysctl", Severity.HIGH,
           "Set only namespaced, safe sysctls.", ("container-escape",
                                                  "resource-exhaustion")), sysctls),
)
RESTRICTED: Final[tuple[tuple[Rule, Control], ...]] = (
    (_rule(20, "Volume Types", "restricted", "Volume type outside the restricted set",
           Severity.MEDIUM, "Use configMap, csi, downwardAPI, emptyDir, ephemeral, "
           "persistentVolumeClaim, projected or secret volumes.",
           ("container-escape", "data-exfiltration")), volume_types),
    (_rule(21, "Privilege Escalation", "restricted", "Privilege escalation allowed",
           Severity.MEDIUM, "Set securityContext.allowPrivilegeEscalation: false.", ESC,
           ("T1548", "CIS Kubernetes 5.2.5")), privilege_escalation),
    (_rule(22, "Running as Non-root", "restricted", "Container may run as root",
           Severity.MEDIUM, "Set securityContext.runAsNonRoot: true.", ESC,
           ("CIS Kubernetes 5.2.6",)), run_as_non_root),
    (_rule(23, "Running as Non-root user", "restricted", "Container runs as UID 0",
           Severity.MEDIUM, "Set runAsUser to a non-zero UID.", ESC), run_as_user),
    (_rule(24, "Seccomp", "restricted", "No seccomp profile", Severity.MEDIUM,
           "Set seccompProfile.type: RuntimeDefault (pod or every container).", ESC),
     seccomp_restricted),
    (_rule(25, "Capabilities", "restricted", "Capabilities not dropped", Severity.MEDIUM,
           "Drop ALL capabilities; add back at most NET_BIND_SERVICE.", ESC),
     capabilities_restricted),
)
PSS_CHECKS: Final = tuple(pod_check(r, c) for r, c in BASELINE + RESTRICTED)


def pss_level(pod: PodView) -> str:
    """The highest Pod Security Standards profile the pod meets."""
    if any(next(c(pod), None) is not None for _, c in BASELINE):
        return "privileged"
    if any(next(c(pod), None) is not None for _, c in RESTRICTED):
        return "baseline"
    return "restricted"
