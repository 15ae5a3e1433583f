"""The Pod Security Standards checks as Pod Security Admission implements them
(``k8s.io/pod-security-admission/policy/check_*.go``), one function per check revision.

Each function reads a PodView and yields ``(condition, detail)`` for every way the pod breaks
the check; ``condition`` names which of the rule's listed conditions fired ("" when the check
has a single one). Which revision applies at which policy version, and at which level, is the
table in ``pss_table.py``; nothing here depends on a version.

Hostile values fail closed: a field of the wrong type is read as "set to something not
allowed", never as absent, unless the admission controller's own decoding would drop it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from typing import Any, Final

from ringfence.k8s.podview import ContainerView, PodView, mapping, seq

Hit = tuple[str, str]
Control = Callable[[PodView], Iterator[Hit]]

# check_capabilities_baseline.go capabilities_allowed_1_0 (unchanged since)
BASELINE_CAPS: Final = frozenset({
    "AUDIT_WRITE", "CHOWN", "DAC_OVERRIDE", "FOWNER", "FSETID", "KILL", "MKNOD",
    "NET_BIND_SERVICE", "SETFCAP", "SETGID", "SETPCAP", "SETUID", "SYS_CHROOT"})
# check_restrictedVolumes.go: image volumes were added to the 1.0 function (v1.33 code), so
# they pass at every policy version
RESTRICTED_VOLUMES: Final = frozenset({
    "configMap", "csi", "downwardAPI", "emptyDir", "ephemeral", "image",
    "persistentVolumeClaim", "projected", "secret"})
APPARMOR_ANNOTATION: Final = "container.apparmor.security.beta.kubernetes.io/"
SECCOMP_POD_ANNOTATION: Final = "seccomp.security.alpha.kubernetes.io/pod"
SECCOMP_CONTAINER_ANNOTATION: Final = "container.seccomp.security.alpha.kubernetes.io/"
_SECCOMP_TYPES: Final = ("RuntimeDefault", "Localhost")
_PROBES: Final = ("livenessProbe", "readinessProbe", "startupProbe")
_HANDLERS: Final = ("postStart", "preStop")


def _v(value: object) -> str:
    """A field value as the manifest spells it (true, not True)."""
    return str(value).lower() if isinstance(value, bool) else str(value)


def _cfield(c: ContainerView, key: str) -> str:
    return f"{c.field_path}.securityContext.{key}"


def windows(pod: PodView) -> bool:
    """``spec.os.name: windows``: the pod-level exemption of several restricted checks."""
    return mapping(pod.spec.get("os")).get("name") == "windows"


def user_namespace(pod: PodView) -> bool:
    """``spec.hostUsers: false`` (helpers.go relaxPolicyForUserNamespacePod)."""
    return pod.spec.get("hostUsers") is False


def _unless(predicate: Callable[[PodView], bool], control: Control) -> Control:
    """A later revision of ``control`` that admits pods ``predicate`` exempts."""

    def revised(pod: PodView) -> Iterator[Hit]:
        if not predicate(pod):
            yield from control(pod)

    return revised


# --- baseline ----------------------------------------------------------------------------

def host_process(pod: PodView) -> Iterator[Hit]:
    for where, sc in pod.all_security_contexts():
        value = mapping(sc.get("windowsOptions")).get("hostProcess")
        if value is not None and value is not False:
            yield "", f"{where}.windowsOptions.hostProcess={_v(value)}"


def host_namespaces(pod: PodView) -> Iterator[Hit]:
    for key in ("hostNetwork", "hostPID", "hostIPC"):
        if pod.spec.get(key) not in (None, False):
            yield key, f"spec.{key}={_v(pod.spec[key])}"


def privileged(pod: PodView) -> Iterator[Hit]:
    for c in pod.containers:
        if c.security_context.get("privileged") not in (None, False):
            yield "", f"{_cfield(c, 'privileged')}={_v(c.security_context['privileged'])}"


def _caps(c: ContainerView, key: str) -> list[str]:
    return [str(x) for x in seq(mapping(c.security_context.get("capabilities")).get(key))]


def capabilities_baseline(pod: PodView) -> Iterator[Hit]:
    for c in pod.containers:
        extra = [x for x in _caps(c, "add") if x not in BASELINE_CAPS]
        if extra:
            yield "", f"{_cfield(c, 'capabilities.add')} has {', '.join(extra)}"


def host_path_volumes(pod: PodView) -> Iterator[Hit]:
    for v in pod.volumes:
        if v.get("hostPath") is not None:
            path = mapping(v.get("hostPath")).get("path", "")
            yield "", f"volume {v.get('name')} is hostPath {path}"


def host_ports(pod: PodView) -> Iterator[Hit]:
    for c in pod.containers:
        for p in seq(c.raw.get("ports")):
            port = mapping(p).get("hostPort")
            if port not in (None, 0):
                yield "", f"{c.field_path} uses hostPort {port}"


def apparmor(pod: PodView) -> Iterator[Hit]:
    for where, sc in pod.all_security_contexts():
        profile = sc.get("appArmorProfile")
        if profile is not None:
            kind = mapping(profile).get("type")
            if kind not in _SECCOMP_TYPES:  # RuntimeDefault and Localhost, as for seccomp
                yield "field", f"{where}.appArmorProfile.type={kind}"
    for key, value in pod.annotations.items():
        if key.startswith(APPARMOR_ANNOTATION) and value not in ("", "runtime/default") and (
                not value.startswith("localhost/")):
            yield "annotation", f"annotation {key}={value}"


def selinux(allowed_types: frozenset[str]) -> Control:
    def check(pod: PodView) -> Iterator[Hit]:
        for where, sc in pod.all_security_contexts():
            if sc.get("seLinuxOptions") is None:
                continue
            opts = mapping(sc.get("seLinuxOptions"))
            kind = opts.get("type", "")
            if not isinstance(kind, str) or kind not in allowed_types:
                yield "type", f"{where}.seLinuxOptions.type={kind}"
            for key in ("user", "role"):
                if opts.get(key) not in (None, ""):
                    yield key, f"{where}.seLinuxOptions.{key}={opts[key]}"

    return check


def proc_mount(pod: PodView) -> Iterator[Hit]:
    for c in pod.containers:
        value = c.security_context.get("procMount")
        if value not in (None, "Default"):
            yield "", f"{_cfield(c, 'procMount')}={value}"


def seccomp_annotations(pod: PodView) -> Iterator[Hit]:
    """Before v1.19 the baseline check reads the alpha seccomp annotations only."""

    def valid(value: str) -> bool:
        return value in ("runtime/default", "docker/default") or value.startswith(
            "localhost/")

    keys = [SECCOMP_POD_ANNOTATION] + [SECCOMP_CONTAINER_ANNOTATION + c.name
                                       for c in pod.containers]
    for key in keys:
        value = pod.annotations.get(key)
        if value is not None and not valid(value):
            yield "annotation", f"annotation {key}={value}"


def seccomp_fields(pod: PodView) -> Iterator[Hit]:
    for where, sc in pod.all_security_contexts():
        profile = sc.get("seccompProfile")
        if profile is not None:
            kind = mapping(profile).get("type")
            if kind not in _SECCOMP_TYPES:
                yield "field", f"{where}.seccompProfile.type={kind}"


def sysctls(allowed: frozenset[str]) -> Control:
    def check(pod: PodView) -> Iterator[Hit]:
        for s in seq(pod.security_context.get("sysctls")):
            name = mapping(s).get("name")
            if not isinstance(name, str) or name not in allowed:
                yield "", f"spec.securityContext.sysctls has {name}"

    return check


def _host_of(handler: object) -> Iterator[tuple[str, Any]]:
    for action in ("httpGet", "tcpSocket"):
        host = mapping(mapping(handler).get(action)).get("host")
        if host not in (None, ""):
            yield action, host


def host_probes_and_lifecycle(pod: PodView) -> Iterator[Hit]:
    for c in pod.containers:
        for probe in _PROBES:
            for action, host in _host_of(c.raw.get(probe)):
                yield "probe", f"{c.field_path}.{probe}.{action}.host={host}"
        lifecycle = mapping(c.raw.get("lifecycle"))
        for handler in _HANDLERS:
            for action, host in _host_of(lifecycle.get(handler)):
                yield "lifecycle", f"{c.field_path}.lifecycle.{handler}.{action}.host={host}"


# --- restricted --------------------------------------------------------------------------

def volume_types(pod: PodView) -> Iterator[Hit]:
    for v in pod.volumes:
        bad = [k for k, value in v.items() if k != "name" and value is not None
               and k not in RESTRICTED_VOLUMES]
        if bad:
            yield "", f"volume {v.get('name')} is of type {', '.join(bad)}"


def privilege_escalation(pod: PodView) -> Iterator[Hit]:
    for c in pod.containers:
        if c.security_context.get("allowPrivilegeEscalation") is not False:
            yield "", f"{_cfield(c, 'allowPrivilegeEscalation')} is not false"


def run_as_non_root(pod: PodView) -> Iterator[Hit]:
    pod_value = pod.security_context.get("runAsNonRoot")
    if pod_value is not None and pod_value is not True:
        yield "false", f"spec.securityContext.runAsNonRoot={_v(pod_value)}"
    for c in pod.containers:
        own = c.security_context.get("runAsNonRoot")
        if own is None:
            if pod_value is not True:
                yield "unset", f"pod or {c.field_path} must set runAsNonRoot=true"
        elif own is not True:
            yield "false", f"{_cfield(c, 'runAsNonRoot')}={_v(own)}"


def run_as_user(pod: PodView) -> Iterator[Hit]:
    for where, sc in pod.all_security_contexts():
        value = sc.get("runAsUser")
        if value is not None and (isinstance(value, bool) or not isinstance(value, int)
                                  or value == 0):
            yield "", f"{where}.runAsUser={_v(value)}"


def seccomp_restricted(pod: PodView) -> Iterator[Hit]:
    profile = pod.security_context.get("seccompProfile")
    pod_set = False
    if profile is not None:
        kind = mapping(profile).get("type")
        if kind in _SECCOMP_TYPES:
            pod_set = True
        else:
            yield "type", f"spec.securityContext.seccompProfile.type={kind}"
    for c in pod.containers:
        own = c.security_context.get("seccompProfile")
        if own is not None:
            kind = mapping(own).get("type")
            if kind not in _SECCOMP_TYPES:
                yield "type", f"{_cfield(c, 'seccompProfile.type')}={kind}"
        elif not pod_set:
            yield "unset", (f"pod or {c.field_path} must set seccompProfile.type to "
                            "RuntimeDefault or Localhost")


def capabilities_restricted(pod: PodView) -> Iterator[Hit]:
    for c in pod.containers:
        if "ALL" not in _caps(c, "drop"):
            yield "drop", f'{c.field_path} must set securityContext.capabilities.drop=["ALL"]'
        extra = [x for x in _caps(c, "add") if x != "NET_BIND_SERVICE"]
        if extra:
            yield "add", f"{_cfield(c, 'capabilities.add')} has {', '.join(extra)}"


def unless_windows(control: Control) -> Control:
    return _unless(windows, control)


def unless_user_namespace(control: Control) -> Control:
    return _unless(user_namespace, control)


def cumulative(*additions: Iterable[str]) -> list[frozenset[str]]:
    """Allow-lists that grow by version: each set is its predecessors plus its additions."""
    out: list[frozenset[str]] = []
    for added in additions:
        out.append((out[-1] if out else frozenset()) | frozenset(added))
    return out

