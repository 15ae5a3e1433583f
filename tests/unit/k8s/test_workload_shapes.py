"""Issue 16 scope 3: generic pod-template workloads, malformed pod specs as Unknowns,
kubelet flags over configuration files, API server insecure serving, file-path env values,
and netpol owner references without a kind. Manifests are built here, at test time."""

from __future__ import annotations

import json
from typing import Any

import pytest

from ringfence.checks.rule import Check
from ringfence.k8s.facts import K8sFacts, facts_from_objects
from ringfence.k8s.load import load_bytes
from ringfence.k8s.netpol.parse import build_cluster
from ringfence.k8s.rules.rules import K8S_CHECKS
from ringfence.k8s.rules.secrets import sensitive

IMAGE = "registry.invalid/app:1@sha256:" + "ab" * 32


def _facts(*docs: dict[str, Any]) -> K8sFacts:
    text = "\n---\n".join(json.dumps(d) for d in docs).encode()
    loaded = load_bytes(text, "m.yaml")
    return facts_from_objects(loaded.objects, loaded.unknowns)


def _check(rule_id: str) -> Check[K8sFacts]:
    return next(c for c in K8S_CHECKS if c.rule.id == rule_id)


def _fired(rule_id: str, facts: K8sFacts) -> list[tuple[str, str]]:
    return [(v.condition, v.message) for v in _check(rule_id).func(facts)]


def _template(**spec: Any) -> dict[str, Any]:
    return {"metadata": {"labels": {"app": "x"}},
            "spec": {"containers": [{"name": "c", "image": IMAGE}], **spec}}


@pytest.mark.parametrize(("api", "kind", "spec"), [
    ("apps.openshift.io/v1", "DeploymentConfig", {"replicas": 1, "template": _template()}),
    ("argoproj.io/v1alpha1", "Rollout", {"template": _template()}),
    ("example.invalid/v1", "Worker", {"jobTemplate": {"spec": {"template": _template()}}}),
])
def test_custom_kinds_with_a_pod_template_are_workloads(api: str, kind: str,
                                                        spec: dict[str, Any]) -> None:
    facts = _facts({"apiVersion": api, "kind": kind,
                    "metadata": {"name": "w", "namespace": "shop"}, "spec": spec})
    assert [p.ref for p in facts.pods] == [f"{kind}/shop/w"]
    assert [c.image for c in facts.pods[0].containers] == [IMAGE]
    # evaluated like a Deployment: its writable root filesystem is a finding
    assert _fired("K8S-036", facts) == [
        ("unset", f"{kind}/shop/w: spec.containers[c] root filesystem is writable")]
    cluster = build_cluster(_facts({"apiVersion": api, "kind": kind,
                                    "metadata": {"name": "w", "namespace": "shop"},
                                    "spec": spec}).objects)
    assert [(w.kind, w.name) for w in cluster.workloads] == [(kind, "w")]


@pytest.mark.parametrize("spec", [
    {"replicas": 1},  # no template
    {"template": {"spec": {"containers": "web"}}},  # containers is no list: not a template
    {"template": "x"},
])
def test_custom_kinds_without_a_pod_template_are_not_workloads(spec: dict[str, Any]) -> None:
    facts = _facts({"apiVersion": "example.invalid/v1", "kind": "Thing",
                    "metadata": {"name": "t"}, "spec": spec})
    assert facts.pods == () and facts.unknowns == ()


@pytest.mark.parametrize(("doc", "why"), [
    ({"kind": "Pod", "spec": "nope"}, "spec is a string, not a mapping"),
    ({"kind": "Pod", "spec": {"containers": {"name": "c"}}},
     "spec.containers is a dict, not a list"),
    ({"kind": "Pod", "spec": {"containers": ["web"]}},
     "spec.containers[0] is a string, not a container"),
    ({"kind": "Pod"}, "spec is missing"),
    ({"kind": "Deployment", "apiVersion": "apps/v1", "spec": {"template": []}},
     "spec.template is a list, not a mapping"),
    ({"kind": "Deployment", "apiVersion": "apps/v1", "spec": {"template": {"spec": 3}}},
     "spec.template.spec is a number, not a mapping"),
    ({"kind": "CronJob", "apiVersion": "batch/v1",
      "spec": {"jobTemplate": {"spec": {"template": {"spec": {
          "initContainers": [{"name": "i", "image": IMAGE}], "containers": True}}}}}},
     "spec.jobTemplate.spec.template.spec.containers is a boolean, not a list"),
])
def test_malformed_pod_specs_are_unknowns_with_file_and_line(doc: dict[str, Any],
                                                             why: str) -> None:
    good = {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "ok", "namespace": "a"},
            "spec": {"containers": [{"name": "c", "image": IMAGE}]}}
    bad = {"apiVersion": "v1", "metadata": {"name": "bad", "namespace": "a"}, **doc}
    facts = _facts(good, bad)
    assert [p.ref for p in facts.pods] == ["Pod/a/ok"]
    assert [(u.location, u.reason) for u in facts.unknowns] == [
        ("m.yaml:3", f"{doc['kind']}/a/bad: not evaluated, malformed pod spec: {why}")]


def test_nested_lists_still_flatten() -> None:
    pod = {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p"},
           "spec": {"containers": [{"name": "c", "image": IMAGE}]}}
    facts = _facts({"apiVersion": "v1", "kind": "List", "items": [
        {"apiVersion": "v1", "kind": "List", "items": [pod]}]})
    assert [p.ref for p in facts.pods] == ["Pod/p"]


def _apiserver(*flags: str) -> dict[str, Any]:
    return {"apiVersion": "v1", "kind": "Pod",
            "metadata": {"name": "kube-apiserver", "namespace": "kube-system"},
            "spec": {"containers": [{"name": "a", "image": IMAGE,
                                     "command": ["kube-apiserver", *flags]}]}}


@pytest.mark.parametrize(("flags", "conditions"), [
    ((), []),
    (("--insecure-port=0",), []),
    (("--insecure-port", "8080"), ["insecure-port"]),
    (("--insecure-port=8080", "--insecure-bind-address=0.0.0.0"),
     ["insecure-port", "insecure-bind-address"]),
    (("--insecure-bind-address=127.0.0.1", "--insecure-port=0"), []),
])
def test_apiserver_insecure_serving(flags: tuple[str, ...], conditions: list[str]) -> None:
    assert [c for c, _ in _fired("K8S-107", _facts(_apiserver(*flags)))] == conditions


KUBELET_CONF = {"apiVersion": "kubelet.config.k8s.io/v1beta1", "kind": "KubeletConfiguration",
                "authentication": {"anonymous": {"enabled": False}}, "readOnlyPort": 0,
                "protectKernelDefaults": True}


def _kubelet(*flags: str) -> dict[str, Any]:
    return {"apiVersion": "v1", "kind": "Pod",
            "metadata": {"name": "kubelet", "namespace": "kube-system"},
            "spec": {"containers": [{"name": "k", "image": IMAGE,
                                     "args": ["kubelet", *flags]}]}}


@pytest.mark.parametrize(("docs", "rule", "expected"), [
    # the config file alone
    ((KUBELET_CONF,), "K8S-110", []),
    ((KUBELET_CONF,), "K8S-111", []),
    # a flag overrides the file the kubelet reads
    ((KUBELET_CONF, _kubelet("--config=/c.yaml", "--anonymous-auth=true")), "K8S-110",
     [("anonymous-auth", "Pod/kube-system/kubelet: kubelet anonymous authentication is "
       "enabled (flag)")]),
    ((KUBELET_CONF, _kubelet("--config=/c.yaml", "--read-only-port=0")), "K8S-111", []),
    # ... and the file overrides the kubelet's flag defaults (it is reported once, through
    # the kubelet that reads it)
    ((KUBELET_CONF, _kubelet("--config=/c.yaml")), "K8S-110", []),
    (({**KUBELET_CONF, "readOnlyPort": 10255}, _kubelet("--config=/c.yaml")), "K8S-111",
     [("config-file", "Pod/kube-system/kubelet: kubelet read-only port is open "
       "(unauthenticated read access) (read-only-port 10255, config-file)")]),
    # no --config: the flag defaults are insecure
    ((_kubelet(),), "K8S-110",
     [("anonymous-auth", "Pod/kube-system/kubelet: kubelet anonymous authentication is "
       "enabled (default)"),
      ("webhook-authn", "Pod/kube-system/kubelet: kubelet webhook authentication is "
       "disabled (default)"),
      ("always-allow", "Pod/kube-system/kubelet: kubelet authorization mode is AlwaysAllow "
       "(default)")]),
    ((_kubelet("--anonymous-auth=false", "--authentication-token-webhook",
               "--authorization-mode=Webhook"),), "K8S-110", []),
    # --config whose file is not in the input: what the flags say
    ((_kubelet("--config=/c.yaml", "--protect-kernel-defaults=false"),), "K8S-112",
     [("flag", "Pod/kube-system/kubelet: kubelet kernel defaults are not protected "
       "(protect-kernel-defaults False, flag)")]),
])
def test_kubelet_flags_override_the_config_file(docs: tuple[dict[str, Any], ...], rule: str,
                                                expected: list[tuple[str, str]]) -> None:
    assert _fired(rule, _facts(*docs)) == expected


@pytest.mark.parametrize(("flags", "rule", "evaluated"), [
    ((), "K8S-110", False), ((), "K8S-111", False), ((), "K8S-112", False),
    (("--read-only-port=0",), "K8S-111", True),
    (("--anonymous-auth=false", "--authorization-mode=Webhook"), "K8S-110", False),
    (("--anonymous-auth=false", "--authorization-mode=Webhook",
      "--authentication-token-webhook"), "K8S-110", True),
])
def test_a_kubelet_whose_config_file_is_absent_is_evaluated_only_on_its_flags(
        flags: tuple[str, ...], rule: str, evaluated: bool) -> None:
    check = _check(rule)
    facts = _facts(_kubelet("--config=/c.yaml", *flags))
    assert check.applies is not None and check.applies(facts) is evaluated
    if evaluated:
        assert _fired(rule, facts) == []


def test_two_config_files_are_each_evaluated_when_the_kubelet_file_is_ambiguous() -> None:
    facts = _facts({**KUBELET_CONF, "readOnlyPort": 10255}, KUBELET_CONF,
                   _kubelet("--config=/c.yaml"))
    assert [c for c, _ in _fired("K8S-111", facts)] == ["config-file"]


@pytest.mark.parametrize(("name", "value", "condition"), [
    ("PASSWORD_FILE", "/run/secrets/db", None),
    ("DB_PASSWORD", "/run/secrets/db-password", None),
    ("API_KEY_PATH", "./secrets/key", None),
    ("TOKEN_FILE", "file:///var/run/secrets/token", None),
    ("SSH_PRIVATE_KEY", "~/.ssh/id_ed25519", None),
    ("DB_PASSWORD", "hunter2", "name"),
    ("DB_PASSWORD", "/ not a path", "name"),
    ("DB_PASSWORD", "hunter2 /run/secrets", "name"),
    ("GIT_FILE", "ghp_" + "A1b2" * 9, "value"),  # a token is a token, whatever the name
    ("LOG_LEVEL", "/var/log", None),
])
def test_file_path_values_are_not_secret_literals(name: str, value: str,
                                                  condition: str | None) -> None:
    hit = sensitive(name, value)
    assert (hit[0] if hit else None) == condition


@pytest.mark.parametrize("ref", [
    {"controller": True, "name": "web-1"},
    {"controller": True, "kind": [], "name": "web-1"},
    {"controller": True, "kind": "ReplicaSet"},
])
def test_netpol_owner_reference_without_kind_keeps_the_pod(ref: dict[str, Any]) -> None:
    pod = {"apiVersion": "v1", "kind": "Pod",
           "metadata": {"name": "web-1-abc", "namespace": "shop", "ownerReferences": [ref]},
           "spec": {"containers": [{"name": "c", "image": IMAGE}]}}
    cluster = build_cluster(_facts(pod).objects)
    assert [(w.kind, w.name) for w in cluster.workloads] == [("Pod", "web-1-abc")]
    assert "[]" not in cluster.workloads[0].ref


@pytest.mark.parametrize(("argv", "rule", "conditions"), [
    # pflag: a boolean flag never takes the next argument as its value
    ((_apiserver("--anonymous-auth", "false"),), "K8S-100", ["flag"]),
    ((_apiserver("--anonymous-auth=false"),), "K8S-100", []),
    ((_apiserver("--profiling", "false"),), "K8S-105", ["flag"]),
    ((_kubelet("--config=/c.yaml", "--protect-kernel-defaults", "false"),), "K8S-112", []),
    ((_kubelet("--config=/c.yaml", "--anonymous-auth", "false"),), "K8S-110",
     ["anonymous-auth"]),
    # a non-boolean flag does take it
    ((_apiserver("--insecure-port", "0"),), "K8S-107", []),
])
def test_boolean_flags_do_not_swallow_the_next_argument(argv: tuple[dict[str, Any], ...],
                                                        rule: str,
                                                        conditions: list[str]) -> None:
    assert [c for c, _ in _fired(rule, _facts(*argv))] == conditions
