"""Pod Security Standards rules: one rule per Pod Security Admission check of the control
table (``ringfence.k8s.pss_table``), evaluated at each pod's policy: the user's
``--pss-level``/``--pss-version``, else its Namespace's ``pod-security.kubernetes.io/enforce``
and ``enforce-version`` labels, else restricted at latest.

A rule is evaluated only when some pod's policy includes its check at that version (a
restricted check is not evaluated for a baseline namespace, nor the v1.34 probe-host check
for a namespace pinned to v1.33). Messages start with the reason PSA gives
(``host namespaces``, ``allowPrivilegeEscalation != false``, ...).

``pss_level`` reports the highest level a pod meets; ``NAMESPACE_CHECKS`` report Namespaces
whose labels make PSA enforce nothing (``enforce: privileged``) or that PSA cannot parse.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping
from typing import Final

from ringfence.checks.rule import Check, Violation
from ringfence.k8s.facts import K8sFacts
from ringfence.k8s.podview import PodView
from ringfence.k8s.psa import DEFAULT_SELECTION, ENFORCE_LABEL, PssPolicy
from ringfence.k8s.pss_table import BY_ID, PsaControl, highest_level, hits, in_force
from ringfence.model.finding import Rule, Severity

# a workload rule's control: plain messages, or (condition, message) for a rule that lists
# its conditions
Control = Callable[[PodView], Iterable[str | tuple[str, str]]]


def pod_check(rule: Rule, control: Control, conditions: tuple[str, ...] = ()
              ) -> Check[K8sFacts]:
    """A rule evaluated on every pod view; ``applies`` only when there are pods."""

    def run(facts: K8sFacts) -> Iterator[Violation]:
        for pod in facts.pods:
            for item in control(pod):
                condition, message = item if isinstance(item, tuple) else ("", item)
                yield Violation(f"{pod.ref}: {message}", pod.location, condition)

    return Check(rule, run, lambda facts: bool(facts.pods), conditions)


def pod_policies(facts: K8sFacts) -> Iterator[tuple[PodView, PssPolicy]]:
    """Every pod with the Pod Security policy it is evaluated at."""
    labels = _namespace_labels(facts)
    policies: dict[str, PssPolicy] = {}  # one resolution per namespace
    for pod in facts.pods:
        policy = policies.get(pod.namespace)
        if policy is None:
            policy = policies[pod.namespace] = facts.pss.resolve(labels.get(pod.namespace))[0]
        yield pod, policy


def _namespace_labels(facts: K8sFacts) -> dict[str, Mapping[str, str]]:
    return {o.name: o.labels for o in facts.of_kind("Namespace")}


def pss_check(rule: Rule, control: PsaControl) -> Check[K8sFacts]:
    def run(facts: K8sFacts) -> Iterator[Violation]:
        for pod, policy in pod_policies(facts):
            for condition, detail in hits(control, pod, policy):
                yield Violation(f"{pod.ref}: {control.reason}: {detail} [{policy}]",
                                pod.location, condition)

    def applies(facts: K8sFacts) -> bool:
        return any(in_force(control, policy) is not None for _, policy in pod_policies(facts))

    return Check(rule, run, applies, control.conditions)


def _rule(num: int, control: str, title: str, severity: Severity, remediation: str,
          threats: Iterable[str], extra: Iterable[str] = ()) -> tuple[Rule, PsaControl]:
    psa = BY_ID[control]
    return (Rule(f"K8S-{num:03d}", title, severity, "platform", remediation, tuple(threats),
                 (f"PSS {psa.level}: {psa.id} ({psa.reason})", *extra)), psa)


ESC = ("container-escape",)
RULES: Final[tuple[tuple[Rule, PsaControl], ...]] = (
    _rule(1, "windowsHostProcess", "Windows HostProcess container", Severity.CRITICAL,
          "Do not set windowsOptions.hostProcess.", ESC, ("T1611",)),
    _rule(2, "hostNamespaces", "Pod shares host namespaces", Severity.HIGH,
          "Remove hostNetwork, hostPID and hostIPC (or set them false).",
          ("container-escape", "lateral-movement"), ("T1611",)),
    _rule(3, "privileged", "Privileged container", Severity.CRITICAL,
          "Set securityContext.privileged: false.", ESC, ("T1611", "CIS Kubernetes 5.2.2")),
    _rule(4, "capabilities_baseline", "Capabilities added beyond the default set",
          Severity.HIGH, "Add only capabilities from the default set (or none).", ESC,
          ("T1611",)),
    _rule(5, "hostPathVolumes", "hostPath volume", Severity.HIGH,
          "Use a PersistentVolumeClaim, emptyDir or configMap instead of hostPath.",
          ("container-escape", "persistence-drift"), ("T1611",)),
    _rule(6, "hostPorts", "Container binds a host port", Severity.MEDIUM,
          "Remove hostPort; expose the port through a Service.", ("lateral-movement",)),
    _rule(7, "appArmorProfile", "AppArmor profile overridden or disabled", Severity.MEDIUM,
          "Use RuntimeDefault or a Localhost AppArmor profile.", ESC),
    _rule(8, "seLinuxOptions", "Custom SELinux options", Severity.MEDIUM,
          "Leave seLinuxOptions user/role unset and type to a container_* type.", ESC),
    _rule(9, "procMount", "Unmasked /proc mount", Severity.HIGH,
          "Leave procMount unset or Default (Unmasked only in a pod with hostUsers: false).",
          ESC),
    _rule(10, "seccompProfile_baseline", "Seccomp profile other than RuntimeDefault or "
          "Localhost", Severity.HIGH, "Do not set seccompProfile.type: Unconfined (nor the "
          "seccomp annotations to unconfined).", ESC),
    _rule(11, "sysctls", "Unsafe sysctl", Severity.HIGH,
          "Set only the safe sysctls of the policy version.",
          ("container-escape", "resource-exhaustion")),
    _rule(12, "hostProbesAndHostLifecycle", "Probe or lifecycle handler aimed at another host",
          Severity.MEDIUM, "Leave host unset in httpGet/tcpSocket probes and lifecycle "
          "handlers (the kubelet then targets the pod IP).", ("lateral-movement",)),
    _rule(20, "restrictedVolumes", "Volume type outside the restricted set", Severity.MEDIUM,
          "Use configMap, csi, downwardAPI, emptyDir, ephemeral, image, "
          "persistentVolumeClaim, projected or secret volumes.",
          ("container-escape", "data-exfiltration")),
    _rule(21, "allowPrivilegeEscalation", "Privilege escalation allowed", Severity.MEDIUM,
          "Set securityContext.allowPrivilegeEscalation: false.", ESC,
          ("T1548", "CIS Kubernetes 5.2.5")),
    _rule(22, "runAsNonRoot", "Container may run as root", Severity.MEDIUM,
          "Set securityContext.runAsNonRoot: true.", ESC, ("CIS Kubernetes 5.2.6",)),
    _rule(23, "runAsUser", "Container runs as UID 0", Severity.MEDIUM,
          "Set runAsUser to a non-zero UID.", ESC),
    _rule(24, "seccompProfile_restricted", "No seccomp profile", Severity.MEDIUM,
          "Set seccompProfile.type: RuntimeDefault (pod or every container).", ESC),
    _rule(25, "capabilities_restricted", "Capabilities not dropped", Severity.MEDIUM,
          "Drop ALL capabilities; add back at most NET_BIND_SERVICE.", ESC),
    _rule(26, "procMount_restricted", "Unmasked /proc mount under restricted",
          Severity.MEDIUM, "Leave procMount unset or Default: restricted refuses Unmasked "
          "even with hostUsers: false.", ESC),
)
PSS_CHECKS: Final = tuple(pss_check(r, c) for r, c in RULES)


def pss_level(pod: PodView, version: int | None = None) -> str:
    """The highest Pod Security Standards level the pod meets at ``version`` (latest)."""
    return highest_level(pod, version)


# --- Namespaces ----------------------------------------------------------------------------

def _privileged_namespaces(facts: K8sFacts) -> Iterator[Violation]:
    for ns in facts.of_kind("Namespace"):
        if ns.labels.get(ENFORCE_LABEL) == "privileged":
            yield Violation(f"{ns.ref}: {ENFORCE_LABEL}=privileged: Pod Security admission "
                            "refuses no pod in this namespace", ns.location)


def _unparsable_labels(facts: K8sFacts) -> Iterator[Violation]:
    for ns in facts.of_kind("Namespace"):
        policy, problems = DEFAULT_SELECTION.resolve(ns.labels)
        for problem in problems:
            yield Violation(f"{ns.ref}: {problem} (PSA enforces {policy} instead)",
                            ns.location)


def _has_namespaces(facts: K8sFacts) -> bool:
    return bool(facts.of_kind("Namespace"))


NAMESPACE_CHECKS: Final[tuple[Check[K8sFacts], ...]] = (
    Check(Rule("K8S-013", "Namespace enforces the privileged Pod Security level",
               Severity.HIGH, "platform", "Label the namespace pod-security.kubernetes.io/"
               "enforce: baseline (or restricted); grant exceptions per workload instead.",
               ("container-escape",), ("PSA namespace labels",)),
          _privileged_namespaces, _has_namespaces),
    Check(Rule("K8S-014", "Pod Security namespace label PSA cannot parse", Severity.LOW,
               "platform", "Use privileged, baseline or restricted for enforce and latest or "
               "v1.N for enforce-version.", ("container-escape",), ("PSA namespace labels",)),
          _unparsable_labels, _has_namespaces),
)
