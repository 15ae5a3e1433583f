"""Control plane: kube-apiserver flags from its static pod manifest and kubelet
configuration files (KubeletConfiguration), with CIS Kubernetes Benchmark references.

Kubelet configuration-file defaults (kubelet.config.k8s.io/v1beta1) are secure: anonymous
authentication off, webhook authentication on, Webhook authorization, read-only port 0; an
unset field is therefore not a finding. kube-apiserver flag defaults are not: an unset
``--anonymous-auth`` or ``--profiling`` is true.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Final

from ringfence.checks.rule import Check, Violation
from ringfence.k8s.facts import K8sFacts
from ringfence.k8s.objects import K8sObject
from ringfence.k8s.podview import PodView, mapping, seq
from ringfence.model.finding import Rule, Severity

Flags = dict[str, str]


def apiserver_flags(pod: PodView) -> Flags | None:
    """``--name=value`` flags of a pod's kube-apiserver container, or None if it has none."""
    for c in pod.containers:
        argv = [str(a) for a in seq(c.raw.get("command")) + seq(c.raw.get("args"))]
        if argv and any(a.rsplit("/", 1)[-1] == "kube-apiserver" for a in argv[:2]):
            return _flags(argv)
    return None


# string-slice flags: kube-apiserver (pflag) appends a repeated occurrence, others replace
SLICE_FLAGS: Final = frozenset({"authorization-mode", "enable-admission-plugins",
                                "disable-admission-plugins"})


def _flags(argv: list[str]) -> Flags:
    flags: Flags = {}
    for i, a in enumerate(argv):
        if a.startswith("--"):
            name, eq, value = a[2:].partition("=")
            if not eq and i + 1 < len(argv) and not argv[i + 1].startswith("--"):
                value = argv[i + 1]
            value = value if (eq or value) else "true"
            if name in SLICE_FLAGS and name in flags:
                value = f"{flags[name]},{value}"
            flags[name] = value
    return flags


def _apiservers(facts: K8sFacts) -> Iterator[tuple[PodView, Flags]]:
    for pod in facts.pods:
        if (flags := apiserver_flags(pod)) is not None:
            yield pod, flags


def _csv(value: str | None) -> list[str]:
    return [x.strip() for x in (value or "").split(",") if x.strip()]


def anonymous_auth(f: Flags) -> Iterator[str]:
    if f.get("anonymous-auth", "true") != "false":
        yield "--anonymous-auth is not false"


def authorization(f: Flags) -> Iterator[str]:
    modes = _csv(f.get("authorization-mode", "AlwaysAllow"))
    if "AlwaysAllow" in modes:
        yield "--authorization-mode includes AlwaysAllow"
    for needed in ("Node", "RBAC"):
        if needed not in modes and "authorization-config" not in f:
            yield f"--authorization-mode lacks {needed}"


def admission(f: Flags) -> Iterator[str]:
    enabled = _csv(f.get("enable-admission-plugins"))
    disabled = _csv(f.get("disable-admission-plugins"))
    if "AlwaysAdmit" in enabled:
        yield "admission plugin AlwaysAdmit is enabled"
    if "NodeRestriction" not in enabled:
        yield "admission plugin NodeRestriction is not enabled"
    if "PodSecurity" in disabled:
        yield "admission plugin PodSecurity is disabled"


def encryption(f: Flags) -> Iterator[str]:
    if not f.get("encryption-provider-config"):
        yield "--encryption-provider-config is not set (Secrets stored in plain text in etcd)"


def audit(f: Flags) -> Iterator[str]:
    if not (f.get("audit-log-path") or f.get("audit-webhook-config-file")):
        yield "no audit log (--audit-log-path or --audit-webhook-config-file)"


def profiling(f: Flags) -> Iterator[str]:
    if f.get("profiling", "true") != "false":
        yield "--profiling is not false"


def oidc(f: Flags) -> Iterator[str]:
    issuer = f.get("oidc-issuer-url")
    if issuer is None:
        return
    if not issuer.startswith("https://"):
        yield f"--oidc-issuer-url {issuer} is not https"
    if not f.get("oidc-client-id"):
        yield "--oidc-client-id is not set"
    if f.get("oidc-username-claim", "sub") not in ("sub", "email") and \
            f.get("oidc-username-prefix") == "-":
        yield "OIDC usernames are unprefixed and may collide with other users"


def _apiserver_check(rule: Rule, control: Callable[[Flags], Iterator[str]]) -> Check[K8sFacts]:
    def run(facts: K8sFacts) -> Iterator[Violation]:
        for pod, flags in _apiservers(facts):
            for message in control(flags):
                yield Violation(f"{pod.ref}: kube-apiserver {message}", pod.location)

    return Check(rule, run, lambda facts: next(_apiservers(facts), None) is not None)


def _kubelet(conf: K8sObject) -> Iterator[str]:
    authn, authz = mapping(conf.raw.get("authentication")), mapping(
        conf.raw.get("authorization"))
    if mapping(authn.get("anonymous")).get("enabled") is True:
        yield "authentication.anonymous.enabled is true"
    if mapping(authn.get("webhook")).get("enabled") is False:
        yield "authentication.webhook.enabled is false"
    if authz.get("mode") == "AlwaysAllow":
        yield "authorization.mode is AlwaysAllow"


def _read_only_port(conf: K8sObject) -> Iterator[str]:
    if conf.raw.get("readOnlyPort") not in (None, 0):
        yield f"readOnlyPort is {conf.raw['readOnlyPort']} (unauthenticated read access)"


def _kubelet_check(rule: Rule, control: Callable[[K8sObject], Iterator[str]]) -> Check[K8sFacts]:
    def run(facts: K8sFacts) -> Iterator[Violation]:
        for conf in facts.of_kind("KubeletConfiguration"):
            for message in control(conf):
                yield Violation(f"{conf.source}: kubelet {message}", conf.location)

    return Check(rule, run, lambda facts: bool(facts.of_kind("KubeletConfiguration")))


def _r(num: int, title: str, severity: Severity, remediation: str,
       threats: tuple[str, ...], refs: tuple[str, ...]) -> Rule:
    return Rule(f"K8S-{num:03d}", title, severity, "platform", remediation, threats, refs)


PE = ("platform-privilege-escalation",)
CONTROL_PLANE_CHECKS: Final[tuple[Check[K8sFacts], ...]] = (
    _apiserver_check(_r(100, "API server allows anonymous requests", Severity.HIGH,
                        "Run kube-apiserver with --anonymous-auth=false.", PE,
                        ("CIS Kubernetes 1.2.1",)), anonymous_auth),
    _apiserver_check(_r(101, "API server authorization is not Node,RBAC", Severity.CRITICAL,
                        "Use --authorization-mode=Node,RBAC (never AlwaysAllow).", PE,
                        ("CIS Kubernetes 1.2.6", "CIS Kubernetes 1.2.7",
                         "CIS Kubernetes 1.2.8")), authorization),
    _apiserver_check(_r(102, "Admission plugins weaken the API server", Severity.HIGH,
                        "Enable NodeRestriction and PodSecurity; never AlwaysAdmit.",
                        ("platform-privilege-escalation", "container-escape"),
                        ("CIS Kubernetes 1.2.10", "CIS Kubernetes 1.2.14")), admission),
    _apiserver_check(_r(103, "Secrets not encrypted at rest", Severity.MEDIUM,
                        "Set --encryption-provider-config with an aescbc/kms provider.",
                        ("credential-theft", "data-exfiltration"),
                        ("CIS Kubernetes 1.2.27",)), encryption),
    _apiserver_check(_r(104, "API server audit logging disabled", Severity.MEDIUM,
                        "Set --audit-log-path and an audit policy.", ("persistence-drift",),
                        ("CIS Kubernetes 1.2.16",)), audit),
    _apiserver_check(_r(105, "API server profiling enabled", Severity.LOW,
                        "Set --profiling=false.", ("data-exfiltration",),
                        ("CIS Kubernetes 1.2.15",)), profiling),
    _apiserver_check(_r(106, "Weak OIDC configuration", Severity.MEDIUM,
                        "Use an https issuer, a client id and prefixed usernames.",
                        ("credential-theft", "platform-privilege-escalation"), ("T1078",)),
                     oidc),
    _kubelet_check(_r(110, "Kubelet API accepts unauthenticated or unauthorised requests",
                      Severity.CRITICAL, "Disable anonymous auth, enable webhook authn and "
                      "Webhook authorization.", ("container-escape", *PE),
                      ("CIS Kubernetes 4.2.1", "CIS Kubernetes 4.2.2")), _kubelet),
    _kubelet_check(_r(111, "Kubelet read-only port open", Severity.MEDIUM,
                      "Set readOnlyPort: 0.", ("data-exfiltration",),
                      ("CIS Kubernetes 4.2.4",)), _read_only_port),
)
