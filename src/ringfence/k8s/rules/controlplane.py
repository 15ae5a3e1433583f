"""Control plane: kube-apiserver flags from its static pod manifest, and kubelets: the
flags on a kubelet Pod's command line (a static pod or DaemonSet running ``kubelet``) and
KubeletConfiguration files, with CIS Kubernetes Benchmark references.

Declared versus effective, as the kubelet resolves it: a command-line flag overrides the
configuration file, the file overrides the defaults. Kubelet configuration-file defaults
(kubelet.config.k8s.io/v1beta1) are secure (anonymous authentication off, webhook
authentication on, Webhook authorization, read-only port 0); the kubelet's flag defaults,
used when it runs without ``--config``, are not (anonymous on, AlwaysAllow, read-only port
10255). A kubelet Pod with ``--config`` takes the one KubeletConfiguration of the input
when there is exactly one (that file is then evaluated only through it); with none or
several, only what its flags set is known (the file it reads is not), and a rule needing
a setting it does not show is not evaluated.
``--protect-kernel-defaults`` defaults to false either way. Each violation names where the
effective value came from (``flag``, ``config-file``, ``default``).

kube-apiserver flag defaults are insecure too: an unset ``--anonymous-auth`` or
``--profiling`` is true. ``--insecure-port`` (non-zero) and ``--insecure-bind-address``
serve the API without authentication or authorization on the releases that still accept
them (removed in v1.24, where a non-zero port stops the server from starting).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any, Final

from ringfence.checks.rule import Check, Violation
from ringfence.k8s.facts import K8sFacts
from ringfence.k8s.podview import PodView, seq
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


# boolean flags read here: pflag never takes their value from the next argument
# (``--anonymous-auth false`` is anonymous-auth=true and a stray argument "false")
BOOL_FLAGS: Final = frozenset({"anonymous-auth", "profiling", "authentication-token-webhook",
                               "protect-kernel-defaults"})


def _flags(argv: list[str]) -> Flags:
    flags: Flags = {}
    for i, a in enumerate(argv):
        if a.startswith("--"):
            name, eq, value = a[2:].partition("=")
            if not eq and name not in BOOL_FLAGS and i + 1 < len(argv) \
                    and not argv[i + 1].startswith("--"):
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


# a control yields plain messages, or (condition, message) for a rule listing conditions
Hits = Iterator[str | tuple[str, str]]


def anonymous_auth(f: Flags) -> Hits:
    if "anonymous-auth" not in f:
        yield "default", "--anonymous-auth is not set (default true)"
    elif f["anonymous-auth"] != "false":
        yield "flag", f"--anonymous-auth is {f['anonymous-auth']}"


def authorization(f: Flags) -> Hits:
    modes = _csv(f.get("authorization-mode", "AlwaysAllow"))
    if "AlwaysAllow" in modes:
        yield "always-allow", "--authorization-mode includes AlwaysAllow" + (
            "" if "authorization-mode" in f else " (the default)")
    for needed in ("Node", "RBAC"):
        if needed not in modes and "authorization-config" not in f:
            yield f"no-{needed.lower()}", f"--authorization-mode lacks {needed}"


def admission(f: Flags) -> Hits:
    enabled = _csv(f.get("enable-admission-plugins"))
    disabled = _csv(f.get("disable-admission-plugins"))
    if "AlwaysAdmit" in enabled:
        yield "always-admit", "admission plugin AlwaysAdmit is enabled"
    if "NodeRestriction" not in enabled:
        yield "no-node-restriction", "admission plugin NodeRestriction is not enabled"
    if "PodSecurity" in disabled:
        yield "pod-security-disabled", "admission plugin PodSecurity is disabled"


def insecure_serving(f: Flags) -> Hits:
    """kube-apiserver < v1.24: ``--insecure-port`` other than 0 serves the API over plain
    HTTP with no authentication or authorization; ``--insecure-bind-address`` exposes that
    port beyond localhost."""
    port = f.get("insecure-port")
    if port is not None and port.strip() not in ("0", ""):
        yield "insecure-port", f"--insecure-port is {port} (unauthenticated HTTP API)"
    address = f.get("insecure-bind-address")
    if address is not None and address.strip() not in ("127.0.0.1", "localhost", "::1"):
        yield "insecure-bind-address", f"--insecure-bind-address is {address}"


def encryption(f: Flags) -> Iterator[str]:
    if not f.get("encryption-provider-config"):
        yield "--encryption-provider-config is not set (Secrets stored in plain text in etcd)"


def audit(f: Flags) -> Iterator[str]:
    if not (f.get("audit-log-path") or f.get("audit-webhook-config-file")):
        yield "no audit log (--audit-log-path or --audit-webhook-config-file)"


def profiling(f: Flags) -> Hits:
    if "profiling" not in f:
        yield "default", "--profiling is not set (default true)"
    elif f["profiling"] != "false":
        yield "flag", f"--profiling is {f['profiling']}"


def oidc(f: Flags) -> Hits:
    issuer = f.get("oidc-issuer-url")
    if issuer is None:
        return
    if not issuer.startswith("https://"):
        yield "issuer-not-https", f"--oidc-issuer-url {issuer} is not https"
    if not f.get("oidc-client-id"):
        yield "no-client-id", "--oidc-client-id is not set"
    if f.get("oidc-username-claim", "sub") not in ("sub", "email") and \
            f.get("oidc-username-prefix") == "-":
        yield "unprefixed-usernames", ("OIDC usernames are unprefixed and may collide with "
                                       "other users")


def _apiserver_check(rule: Rule, control: Callable[[Flags], Hits],
                     conditions: tuple[str, ...] = ()) -> Check[K8sFacts]:
    def run(facts: K8sFacts) -> Iterator[Violation]:
        for pod, flags in _apiservers(facts):
            for hit in control(flags):
                condition, message = hit if isinstance(hit, tuple) else ("", hit)
                yield Violation(f"{pod.ref}: kube-apiserver {message}", pod.location,
                                condition)

    return Check(rule, run, lambda facts: next(_apiservers(facts), None) is not None,
                 conditions)


@dataclass(frozen=True, slots=True)
class Setting:
    """One effective kubelet setting and where it came from."""

    value: object
    source: str  # "flag", "config-file" or "default"


@dataclass(frozen=True, slots=True)
class Kubelet:
    """A kubelet as evaluated: a kubelet Pod (its flags, over its configuration file when
    known) or a KubeletConfiguration file alone."""

    ref: str
    location: str
    settings: Mapping[str, Setting]


# setting -> (flag name, path in the KubeletConfiguration, config-file default, flag default)
KUBELET_SETTINGS: Final[Mapping[str, tuple[str, tuple[str, ...], object, object]]] = {
    "anonymous-auth": ("anonymous-auth", ("authentication", "anonymous", "enabled"), False,
                       True),
    "webhook-authn": ("authentication-token-webhook", ("authentication", "webhook",
                                                       "enabled"), True, False),
    "authorization-mode": ("authorization-mode", ("authorization", "mode"), "Webhook",
                           "AlwaysAllow"),
    "read-only-port": ("read-only-port", ("readOnlyPort",), 0, 10255),
    "protect-kernel-defaults": ("protect-kernel-defaults", ("protectKernelDefaults",),
                                False, False),
}


def kubelet_flags(pod: PodView) -> Flags | None:
    """``--name=value`` flags of a pod's kubelet container, or None if it has none."""
    for c in pod.containers:
        argv = [str(a) for a in seq(c.raw.get("command")) + seq(c.raw.get("args"))]
        if argv and any(a.rsplit("/", 1)[-1] == "kubelet" for a in argv[:2]):
            return _flags(argv)
    return None


def _from_config(conf: Mapping[str, Any], path: tuple[str, ...]) -> object:
    node: object = conf
    for key in path:
        node = node.get(key) if isinstance(node, Mapping) else None
    return node


def _flag_value(text: str, like: object) -> object:
    if isinstance(like, bool):
        return text.strip().lower() not in ("false", "0", "f")
    if isinstance(like, int):
        try:
            return int(text.strip())
        except ValueError:
            return text  # not a port the kubelet would accept: shown as given
    return text


def _settings(flags: Flags | None, conf: Mapping[str, Any] | None) -> dict[str, Setting]:
    """Effective settings: flag over config file over defaults (the config file's when the
    kubelet reads one, else the flags'). A kubelet Pod with ``--config`` whose file is not
    in the input gets only the settings its flags give."""
    out: dict[str, Setting] = {}
    reads_config = conf is not None or (flags is not None and "config" in flags)
    for key, (flag, path, conf_default, flag_default) in KUBELET_SETTINGS.items():
        if flags is not None and flag in flags:
            out[key] = Setting(_flag_value(flags[flag], flag_default), "flag")
        elif conf is not None and (value := _from_config(conf, path)) is not None:
            out[key] = Setting(value, "config-file")
        elif conf is not None or not reads_config:
            out[key] = Setting(conf_default if reads_config else flag_default, "default")
    return out


def kubelets(facts: K8sFacts) -> Iterator[Kubelet]:
    confs = facts.of_kind("KubeletConfiguration")
    merged = False
    for pod in facts.pods:
        flags = kubelet_flags(pod)
        if flags is None:
            continue
        conf = confs[0].raw if "config" in flags and len(confs) == 1 else None
        merged = merged or conf is not None
        yield Kubelet(f"{pod.ref}: kubelet", pod.location, _settings(flags, conf))
    if not merged:
        for c in confs:
            yield Kubelet(f"{c.source}: kubelet", c.location, _settings(None, c.raw))


def _kubelet_auth(k: Kubelet) -> Hits:
    anon, webhook = k.settings.get("anonymous-auth"), k.settings.get("webhook-authn")
    mode = k.settings.get("authorization-mode")
    if anon is not None and anon.value is True:
        yield "anonymous-auth", f"anonymous authentication is enabled ({anon.source})"
    if webhook is not None and webhook.value is False:
        yield "webhook-authn", f"webhook authentication is disabled ({webhook.source})"
    if mode is not None and "AlwaysAllow" in _csv(str(mode.value)):
        yield "always-allow", f"authorization mode is AlwaysAllow ({mode.source})"


def _source_hit(key: str, bad: Callable[[object], bool], what: str
                ) -> Callable[[Kubelet], Hits]:
    def control(k: Kubelet) -> Hits:
        setting = k.settings.get(key)
        if setting is not None and bad(setting.value):
            yield setting.source, f"{what} ({key} {setting.value}, {setting.source})"
    return control


def _kubelet_check(rule: Rule, control: Callable[[Kubelet], Hits],
                   conditions: tuple[str, ...], needs: tuple[str, ...]) -> Check[K8sFacts]:
    """Evaluated only when every kubelet of the input has the settings ``needs`` names: a
    kubelet reading a configuration file that is not in the input leaves the rule not
    evaluated rather than holding on what its flags happen to say."""

    def run(facts: K8sFacts) -> Iterator[Violation]:
        for k in kubelets(facts):
            for hit in control(k):
                condition, message = hit if isinstance(hit, tuple) else ("", hit)
                yield Violation(f"{k.ref} {message}", k.location, condition)

    def applies(facts: K8sFacts) -> bool:
        found = list(kubelets(facts))
        return bool(found) and all(n in k.settings for k in found for n in needs)

    return Check(rule, run, applies, conditions)


def _r(num: int, title: str, severity: Severity, remediation: str,
       threats: tuple[str, ...], refs: tuple[str, ...]) -> Rule:
    return Rule(f"K8S-{num:03d}", title, severity, "platform", remediation, threats, refs)


PE = ("platform-privilege-escalation",)
SOURCES: Final = ("flag", "config-file", "default")
CONTROL_PLANE_CHECKS: Final[tuple[Check[K8sFacts], ...]] = (
    _apiserver_check(_r(100, "API server allows anonymous requests", Severity.HIGH,
                        "Run kube-apiserver with --anonymous-auth=false.", PE,
                        ("CIS Kubernetes 1.2.1",)), anonymous_auth, ("flag", "default")),
    _apiserver_check(_r(101, "API server authorization is not Node,RBAC", Severity.CRITICAL,
                        "Use --authorization-mode=Node,RBAC (never AlwaysAllow).", PE,
                        ("CIS Kubernetes 1.2.6", "CIS Kubernetes 1.2.7",
                         "CIS Kubernetes 1.2.8")), authorization,
                     ("always-allow", "no-node", "no-rbac")),
    _apiserver_check(_r(102, "Admission plugins weaken the API server", Severity.HIGH,
                        "Enable NodeRestriction and PodSecurity; never AlwaysAdmit.",
                        ("platform-privilege-escalation", "container-escape"),
                        ("CIS Kubernetes 1.2.10", "CIS Kubernetes 1.2.14")), admission,
                     ("always-admit", "no-node-restriction", "pod-security-disabled")),
    _apiserver_check(_r(103, "Secrets not encrypted at rest", Severity.MEDIUM,
                        "Set --encryption-provider-config with an aescbc/kms provider.",
                        ("credential-theft", "data-exfiltration"),
                        ("CIS Kubernetes 1.2.27",)), encryption),
    _apiserver_check(_r(104, "API server audit logging disabled", Severity.MEDIUM,
                        "Set --audit-log-path and an audit policy.", ("persistence-drift",),
                        ("CIS Kubernetes 1.2.16",)), audit),
    _apiserver_check(_r(105, "API server profiling enabled", Severity.LOW,
                        "Set --profiling=false.", ("data-exfiltration",),
                        ("CIS Kubernetes 1.2.15",)), profiling, ("flag", "default")),
    _apiserver_check(_r(106, "Weak OIDC configuration", Severity.MEDIUM,
                        "Use an https issuer, a client id and prefixed usernames.",
                        ("credential-theft", "platform-privilege-escalation"), ("T1078",)),
                     oidc, ("issuer-not-https", "no-client-id", "unprefixed-usernames")),
    _apiserver_check(_r(107, "API server serves an insecure port", Severity.CRITICAL,
                        "Remove --insecure-port and --insecure-bind-address (or set "
                        "--insecure-port=0); upgrade to v1.24 or later.", PE,
                        ("CIS Kubernetes 1.2.18", "CIS Kubernetes 1.2.19")), insecure_serving,
                     ("insecure-port", "insecure-bind-address")),
    _kubelet_check(_r(110, "Kubelet API accepts unauthenticated or unauthorised requests",
                      Severity.CRITICAL, "Disable anonymous auth, enable webhook authn and "
                      "Webhook authorization.", ("container-escape", *PE),
                      ("CIS Kubernetes 4.2.1", "CIS Kubernetes 4.2.2")), _kubelet_auth,
                   ("anonymous-auth", "webhook-authn", "always-allow"),
                   ("anonymous-auth", "webhook-authn", "authorization-mode")),
    _kubelet_check(_r(111, "Kubelet read-only port open", Severity.MEDIUM,
                      "Set readOnlyPort: 0 (or --read-only-port=0).", ("data-exfiltration",),
                      ("CIS Kubernetes 4.2.4",)),
                   _source_hit("read-only-port", lambda v: v != 0,
                               "read-only port is open (unauthenticated read access)"),
                   SOURCES, ("read-only-port",)),
    _kubelet_check(_r(112, "Kubelet does not protect kernel defaults", Severity.LOW,
                      "Set protectKernelDefaults: true (or --protect-kernel-defaults=true).",
                      ("container-escape",), ("CIS Kubernetes 4.2.6",)),
                   _source_hit("protect-kernel-defaults", lambda v: v is not True,
                               "kernel defaults are not protected"), SOURCES,
                   ("protect-kernel-defaults",)),
)
