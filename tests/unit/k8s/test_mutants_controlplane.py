"""Control-plane rules, each decision alone (bench/mutation.py `controlplane`): kube-apiserver
flags parsed as pflag parses them (``--x=v``, ``--x v``, booleans never taking the next
argument, repeated slice flags appended), every API server control with its condition, and
the kubelet's effective settings (flag over configuration file over the defaults of the
mode it runs in), each violation naming its source."""

from __future__ import annotations

import json
from typing import Any

import pytest

from ringfence.checks.engine import run_checks
from ringfence.k8s.facts import K8sFacts, facts_from_objects
from ringfence.k8s.load import load_bytes
from ringfence.k8s.rules import controlplane as cp

CHECKS = {c.rule.id: c for c in cp.CONTROL_PLANE_CHECKS}


def _hits(control: Any, flags: dict[str, str]) -> list[tuple[str, str]]:
    return [h if isinstance(h, tuple) else ("", h) for h in control(flags)]


@pytest.mark.parametrize(("argv", "flags"), [
    (["kube-apiserver", "--a=1", "--b", "2", "--c"], {"a": "1", "b": "2", "c": "true"}),
    (["kube-apiserver", "--anonymous-auth", "false"], {"anonymous-auth": "true"}),
    (["kube-apiserver", "--profiling", "--x=1"], {"profiling": "true", "x": "1"}),
    (["kube-apiserver", "--b", "--c=3"], {"b": "true", "c": "3"}),
    (["kube-apiserver", "--x=", "--y"], {"x": "", "y": "true"}),
    (["kube-apiserver", "--authorization-mode=AlwaysAllow", "--authorization-mode=Node,RBAC",
      "--x=1", "--x=2"], {"authorization-mode": "AlwaysAllow,Node,RBAC", "x": "2"}),
    (["kube-apiserver", "-v", "2", "plain"], {}),
])
def test_flags_as_pflag_reads_them(argv: list[str], flags: dict[str, str]) -> None:
    assert cp._flags(argv) == flags


@pytest.mark.parametrize(("flags", "hits"), [
    ({}, [("default", "--anonymous-auth is not set (default true)")]),
    ({"anonymous-auth": "true"}, [("flag", "--anonymous-auth is true")]),
    ({"anonymous-auth": "False"}, [("flag", "--anonymous-auth is False")]),
    ({"anonymous-auth": "false"}, []),
])
def test_anonymous_auth(flags: dict[str, str], hits: list[tuple[str, str]]) -> None:
    assert _hits(cp.anonymous_auth, flags) == hits


@pytest.mark.parametrize(("flags", "conditions"), [
    ({}, ["always-allow", "no-node", "no-rbac"]),
    ({"authorization-mode": "Node,RBAC"}, []),
    ({"authorization-mode": " RBAC , Node "}, []),
    ({"authorization-mode": "RBAC"}, ["no-node"]),
    ({"authorization-mode": "Node"}, ["no-rbac"]),
    ({"authorization-mode": "Node,RBAC,AlwaysAllow"}, ["always-allow"]),
    ({"authorization-mode": "Webhook", "authorization-config": "/etc/authz.yaml"}, []),
    ({"authorization-mode": "AlwaysAllow", "authorization-config": "/x"}, ["always-allow"]),
])
def test_authorization(flags: dict[str, str], conditions: list[str]) -> None:
    hits = _hits(cp.authorization, flags)
    assert [c for c, _ in hits] == conditions
    if "always-allow" in conditions:
        suffix = "" if "authorization-mode" in flags else " (the default)"
        assert hits[0][1] == "--authorization-mode includes AlwaysAllow" + suffix
    for c, msg in hits[1:] if conditions[:1] == ["always-allow"] else hits:
        assert msg == f"--authorization-mode lacks {c[3:].upper() if c == 'no-rbac' else 'Node'}"


@pytest.mark.parametrize(("flags", "conditions"), [
    ({}, ["no-node-restriction"]),
    ({"enable-admission-plugins": "NodeRestriction"}, []),
    ({"enable-admission-plugins": "NodeRestriction,AlwaysAdmit"}, ["always-admit"]),
    ({"enable-admission-plugins": "NodeRestriction", "disable-admission-plugins":
      "PodSecurity"}, ["pod-security-disabled"]),
    ({"enable-admission-plugins": "NodeRestriction", "disable-admission-plugins":
      "AlwaysPullImages"}, []),
])
def test_admission(flags: dict[str, str], conditions: list[str]) -> None:
    assert [c for c, _ in _hits(cp.admission, flags)] == conditions


@pytest.mark.parametrize(("flags", "hits"), [
    ({}, []), ({"insecure-port": "0"}, []), ({"insecure-port": " 0 "}, []),
    ({"insecure-port": ""}, []),
    ({"insecure-port": "8080"}, [("insecure-port",
                                  "--insecure-port is 8080 (unauthenticated HTTP API)")]),
    ({"insecure-bind-address": "127.0.0.1"}, []), ({"insecure-bind-address": "::1"}, []),
    ({"insecure-bind-address": "localhost"}, []),
    ({"insecure-bind-address": "10.0.0.1"}, [("insecure-bind-address",
                                              "--insecure-bind-address is 10.0.0.1")]),
])
def test_insecure_serving(flags: dict[str, str], hits: list[tuple[str, str]]) -> None:
    assert _hits(cp.insecure_serving, flags) == hits


def test_encryption_audit_profiling() -> None:
    assert _hits(cp.encryption, {}) == [("", "--encryption-provider-config is not set "
                                             "(Secrets stored in plain text in etcd)")]
    assert _hits(cp.encryption, {"encryption-provider-config": ""}) != []
    assert _hits(cp.encryption, {"encryption-provider-config": "/e.yaml"}) == []
    assert _hits(cp.audit, {}) == [("", "no audit log (--audit-log-path or "
                                        "--audit-webhook-config-file)")]
    assert _hits(cp.audit, {"audit-log-path": "/a.log"}) == []
    assert _hits(cp.audit, {"audit-webhook-config-file": "/w.yaml"}) == []
    assert _hits(cp.profiling, {}) == [("default", "--profiling is not set (default true)")]
    assert _hits(cp.profiling, {"profiling": "true"}) == [("flag", "--profiling is true")]
    assert _hits(cp.profiling, {"profiling": "false"}) == []


@pytest.mark.parametrize(("flags", "conditions"), [
    ({}, []),
    ({"oidc-issuer-url": "https://idp", "oidc-client-id": "k"}, []),
    ({"oidc-issuer-url": "http://idp", "oidc-client-id": "k"}, ["issuer-not-https"]),
    ({"oidc-issuer-url": "https://idp"}, ["no-client-id"]),
    ({"oidc-issuer-url": "https://idp", "oidc-client-id": "k", "oidc-username-claim": "name",
      "oidc-username-prefix": "-"}, ["unprefixed-usernames"]),
    ({"oidc-issuer-url": "https://idp", "oidc-client-id": "k", "oidc-username-claim": "email",
      "oidc-username-prefix": "-"}, []),
    ({"oidc-issuer-url": "https://idp", "oidc-client-id": "k", "oidc-username-prefix": "-"},
     []),
    ({"oidc-issuer-url": "https://idp", "oidc-client-id": "k", "oidc-username-claim": "name"},
     []),
])
def test_oidc(flags: dict[str, str], conditions: list[str]) -> None:
    hits = _hits(cp.oidc, flags)
    assert [c for c, _ in hits] == conditions
    if conditions == ["issuer-not-https"]:
        assert hits[0][1] == "--oidc-issuer-url http://idp is not https"


def _pod(name: str, command: list[str], ns: str = "kube-system") -> dict[str, Any]:
    return {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": name, "namespace": ns},
            "spec": {"containers": [{"name": name, "image": "registry.invalid/k@sha256:"
                                     + "a" * 64, "command": command}]}}


def _facts(*docs: dict[str, Any]) -> K8sFacts:
    loaded = load_bytes("\n---\n".join(json.dumps(d) for d in docs).encode(), "cp.yaml")
    return facts_from_objects(loaded.objects)


def _conf(**fields: Any) -> dict[str, Any]:
    return {"apiVersion": "kubelet.config.k8s.io/v1beta1", "kind": "KubeletConfiguration",
            **fields}


def test_apiserver_found_by_its_command_and_rule_messages() -> None:
    facts = _facts(_pod("kube-apiserver", ["/usr/local/bin/kube-apiserver",
                                           "--anonymous-auth=false"]),
                   _pod("web", ["nginx", "--anonymous-auth=true"]))
    run = run_checks([CHECKS["K8S-100"]], facts)
    assert "K8S-100" in run.evaluated and run.findings == ()
    run = run_checks([CHECKS["K8S-105"]], facts)
    assert [f.message for f in run.findings] == [
        "Pod/kube-system/kube-apiserver: kube-apiserver --profiling is not set (default true)"]
    none = run_checks([CHECKS["K8S-100"]], _facts(_pod("web", ["nginx"])))
    assert "K8S-100" not in none.evaluated
    # the binary as the second word (a shell wrapper) counts; later words do not
    wrapped = _facts(_pod("a", ["sh", "kube-apiserver", "--profiling=false"]))
    assert run_checks([CHECKS["K8S-105"]], wrapped).findings == ()
    late = _facts(_pod("a", ["sh", "-c", "kube-apiserver"]))
    assert "K8S-105" not in run_checks([CHECKS["K8S-105"]], late).evaluated


def _kubelet_msgs(rule: str, *docs: dict[str, Any]) -> tuple[bool, list[str]]:
    run = run_checks([CHECKS[rule]], _facts(*docs))
    return rule in run.evaluated, [f.message for f in run.findings]


def test_kubelet_config_file_alone_uses_secure_file_defaults() -> None:
    assert _kubelet_msgs("K8S-110", _conf()) == (True, [])
    assert _kubelet_msgs("K8S-111", _conf()) == (True, [])
    evaluated, msgs = _kubelet_msgs("K8S-110", _conf(authentication={
        "anonymous": {"enabled": True}, "webhook": {"enabled": False}},
        authorization={"mode": "AlwaysAllow"}))
    assert evaluated and [m.split(" kubelet ", 1)[1] for m in msgs] == [
        "anonymous authentication is enabled (config-file)",
        "webhook authentication is disabled (config-file)",
        "authorization mode is AlwaysAllow (config-file)"]
    evaluated, msgs = _kubelet_msgs("K8S-111", _conf(readOnlyPort=10255))
    assert [m.split(" kubelet ", 1)[1] for m in msgs] == [
        "read-only port is open (unauthenticated read access) (read-only-port 10255, "
        "config-file)"]
    evaluated, msgs = _kubelet_msgs("K8S-112", _conf())
    assert [m.split(" kubelet ", 1)[1] for m in msgs] == [
        "kernel defaults are not protected (protect-kernel-defaults False, default)"]
    assert _kubelet_msgs("K8S-112", _conf(protectKernelDefaults=True)) == (True, [])


def test_kubelet_pod_without_config_uses_insecure_flag_defaults() -> None:
    evaluated, msgs = _kubelet_msgs("K8S-110", _pod("kubelet", ["kubelet"]))
    assert evaluated and [m.split(" kubelet ", 1)[1] for m in msgs] == [
        "anonymous authentication is enabled (default)",
        "webhook authentication is disabled (default)",
        "authorization mode is AlwaysAllow (default)"]
    evaluated, msgs = _kubelet_msgs("K8S-111", _pod("kubelet", ["kubelet"]))
    assert [m.split(" kubelet ", 1)[1] for m in msgs] == [
        "read-only port is open (unauthenticated read access) (read-only-port 10255, "
        "default)"]
    flags = ["kubelet", "--anonymous-auth=false", "--authentication-token-webhook",
             "--authorization-mode=Webhook", "--read-only-port=0",
             "--protect-kernel-defaults=true"]
    for rule in ("K8S-110", "K8S-111", "K8S-112"):
        assert _kubelet_msgs(rule, _pod("kubelet", flags)) == (True, []), rule


def test_kubelet_flag_over_file_and_unknown_file() -> None:
    pod = _pod("kubelet", ["kubelet", "--config=/var/lib/kubelet/config.yaml",
                           "--read-only-port", "10255", "--protect-kernel-defaults=0"])
    evaluated, msgs = _kubelet_msgs("K8S-111", pod, _conf(readOnlyPort=0))
    assert evaluated and len(msgs) == 1 and msgs[0].endswith("(read-only-port 10255, flag)")
    evaluated, msgs = _kubelet_msgs("K8S-112", pod, _conf(protectKernelDefaults=True))
    assert msgs[0].endswith("(protect-kernel-defaults False, flag)")
    # the file is read through the pod: not reported a second time on its own
    assert _kubelet_msgs("K8S-110", pod, _conf()) == (True, [])
    # --config with no file in the input: only what the flags give is known
    assert _kubelet_msgs("K8S-111", pod)[0] is True
    assert _kubelet_msgs("K8S-110", pod) == (False, [])
    # two files: which one the kubelet reads is unknown
    assert _kubelet_msgs("K8S-110", pod, _conf(), _conf(readOnlyPort=1))[0] is False


@pytest.mark.parametrize(("text", "like", "value"), [
    ("false", True, False), ("0", True, False), ("F", True, False), ("true", True, True),
    (" 10255 ", 1, 10255), ("x", 1, "x"), ("Webhook", "s", "Webhook")])
def test_flag_values(text: str, like: object, value: object) -> None:
    assert cp._flag_value(text, like) == value


def test_admission_and_oidc_messages() -> None:
    assert _hits(cp.admission, {"disable-admission-plugins": "PodSecurity"}) == [
        ("no-node-restriction", "admission plugin NodeRestriction is not enabled"),
        ("pod-security-disabled", "admission plugin PodSecurity is disabled")]
    assert _hits(cp.oidc, {"oidc-issuer-url": "https://idp", "oidc-username-claim": "name",
                           "oidc-username-prefix": "-"}) == [
        ("no-client-id", "--oidc-client-id is not set"),
        ("unprefixed-usernames",
         "OIDC usernames are unprefixed and may collide with other users")]


def test_kubelet_file_read_through_its_pod_is_reported_once_at_the_pod() -> None:
    web = _pod("web", ["nginx"], ns="default")
    kubelet = _pod("kubelet", ["/usr/bin/kubelet"])
    kubelet["spec"]["containers"][0]["args"] = ["--config=/etc/kubelet.yaml"]
    facts = _facts(web, kubelet, _conf(readOnlyPort=10255))
    run = run_checks([CHECKS["K8S-111"]], facts)
    assert [f.message for f in run.findings] == [
        "Pod/kube-system/kubelet: kubelet read-only port is open (unauthenticated read "
        "access) (read-only-port 10255, config-file)"]
    assert run.findings[0].location == facts.pods[1].location
    # a kubelet Pod without --config does not read the file: both are evaluated
    plain = _pod("kubelet", ["kubelet", "--read-only-port=0"])
    run = run_checks([CHECKS["K8S-111"]], _facts(web, plain, _conf(readOnlyPort=10255)))
    assert len(run.findings) == 1 and run.findings[0].message.endswith(
        "(read-only-port 10255, config-file)")
    assert run.findings[0].location and not run.findings[0].message.startswith("Pod/")


def test_kubelet_found_as_the_first_or_second_word_only() -> None:
    """The kubelet is the program (``/usr/bin/kubelet``) or the word after a wrapper
    (``hyperkube kubelet``); a later word naming a kubelet path (a log shipper's
    ``tail -F /var/log/kubelet``) is no kubelet: no kubelet rule runs on that pod."""
    for argv in (["/usr/bin/kubelet"], ["hyperkube", "kubelet"]):
        evaluated, msgs = _kubelet_msgs("K8S-110", _pod("k", argv))
        assert evaluated and msgs, argv  # flag defaults: anonymous auth on
    for argv in (["tail", "-F", "/var/log/kubelet"], ["sh", "-c", "kubelet"]):
        assert _kubelet_msgs("K8S-110", _pod("k", argv)) == (False, []), argv
        assert cp.kubelet_flags(next(iter(_facts(_pod("k", argv)).pods))) is None
