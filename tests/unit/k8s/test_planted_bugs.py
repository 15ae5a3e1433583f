"""Platform rules against the bugs planted by hand in issue 17, one condition per input.

Each input below is built here and trips exactly the condition under test: when a second
condition of the same rule would fire too, a broken condition hides behind it (the shipped
K8S-101 / K8S-102 bad fixtures set ``AlwaysAllow`` without ``Node,RBAC`` and ``AlwaysAdmit``
without ``NodeRestriction``, so removing the AlwaysAllow / AlwaysAdmit test left them red).

Planted bug (re-planted by hand, issue 17) -> the test here that fails with it:

- privileged check (K8S-003) skips ``initContainers``
  -> test_privileged_init_container_alone_is_found[initContainers]
  (the RBAC node-access twin: test_privileged_init_container_controls_the_node_in_the_rbac_graph)
- API server ``AlwaysAllow`` ignored (K8S-101) -> test_always_allow_beside_node_rbac_is_found
- API server ``AlwaysAdmit`` ignored (K8S-102)
  -> test_always_admit_beside_node_restriction_is_found
- pod-create -> ServiceAccount-token edge removed (RBAC escalation graph)
  -> test_create_pods_reaches_a_service_account_token
- the AWS key-id pattern of K8S-040/041 loses its right ``\\b``
  -> test_aws_key_id_in_a_configmap_has_a_right_boundary (the image secret rule IMG-101
  is caught by tests/unit/secretscan/test_hostile.py::test_boundary_is_honest)

Found on the way (a real false pass in clean main, fixed in controlplane._flags):
``--authorization-mode`` and ``--{enable,disable}-admission-plugins`` are string-slice flags;
kube-apiserver appends repeated occurrences, so ``--authorization-mode=AlwaysAllow
--authorization-mode=Node,RBAC`` runs with AlwaysAllow — it used to be read as ``Node,RBAC``
(test_repeated_slice_flags_accumulate).
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from ringfence.checks.engine import run_checks
from ringfence.k8s.facts import K8sFacts, facts_from_objects
from ringfence.k8s.load import load_bytes
from ringfence.k8s.rbac.facts import RbacFacts, gather
from ringfence.k8s.rbac.graph import CLUSTER_ADMIN, NODE
from ringfence.k8s.rules.pss import pss_level
from ringfence.k8s.rules.rules import K8S_CHECKS

CHECKS = {c.rule.id: c for c in K8S_CHECKS}
IMAGE = "registry.invalid/app@sha256:" + "3f" * 32


def _objects(*docs: dict[str, Any]) -> bytes:
    return "\n---\n".join(json.dumps(d) for d in docs).encode()  # JSON is YAML


def _facts(*docs: dict[str, Any]) -> K8sFacts:
    loaded = load_bytes(_objects(*docs), "planted.yaml")
    assert loaded.unknowns == ()
    return facts_from_objects(loaded.objects)


def _messages(rule_id: str, facts: K8sFacts) -> list[str]:
    run = run_checks([CHECKS[rule_id]], facts)
    assert rule_id in run.evaluated
    return [f.message for f in run.findings]


def _pod(spec: dict[str, Any], name: str = "p") -> dict[str, Any]:
    return {"apiVersion": "v1", "kind": "Pod",
            "metadata": {"name": name, "namespace": "shop"}, "spec": spec}


def _container(name: str, sc: dict[str, Any] | None = None, **extra: Any) -> dict[str, Any]:
    return {"name": name, "image": IMAGE, "securityContext": sc or {}, **extra}


# --- K8S-003: a privileged init container, and nothing else privileged --------------------

@pytest.mark.parametrize("field", ["initContainers", "ephemeralContainers", "containers"])
def test_privileged_init_container_alone_is_found(field: str) -> None:
    spec: dict[str, Any] = {"containers": [_container("web")]}
    spec.setdefault(field, []).append(_container("setup", {"privileged": True}))
    facts = _facts(_pod(spec))
    assert _messages("K8S-003", facts) == [
        f"Pod/shop/p: privileged: spec.{field}[setup].securityContext.privileged=true "
        "[restricted:latest]"]
    (pod,) = facts.pods
    assert pss_level(pod) == "privileged"


def test_privileged_false_everywhere_is_not_found() -> None:
    spec = {"initContainers": [_container("setup", {"privileged": False})],
            "containers": [_container("web", {"privileged": False})]}
    assert _messages("K8S-003", _facts(_pod(spec))) == []


def test_privileged_init_container_controls_the_node_in_the_rbac_graph() -> None:
    spec = {"initContainers": [_container("setup", {"privileged": True})],
            "containers": [_container("web")]}
    doc = {"apiVersion": "apps/v1", "kind": "Deployment",
           "metadata": {"name": "d", "namespace": "shop"},
           "spec": {"template": {"spec": spec}}}
    facts = _rbac(doc)
    paths = {str(p.source): [e.reason.split(" [")[0] for e in p.edges]
             for p in facts.graph.shortest_paths([NODE])}
    assert paths["Workload Deployment shop/d"] == ["container setup: privileged"]


# --- K8S-101 / K8S-102: the dangerous value beside every value the rule asks for ----------

BASE_FLAGS = ("--anonymous-auth=false", "--encryption-provider-config=/etc/k/enc.yaml",
              "--audit-log-path=/var/log/audit.log", "--profiling=false")


def _apiserver(*flags: str, where: str = "command") -> dict[str, Any]:
    argv = ["kube-apiserver", *BASE_FLAGS, *flags]
    container: dict[str, Any] = {"name": "kube-apiserver",
                                 "image": "registry.k8s.io/kube-apiserver:v1.30.2"}
    if where == "command":
        container["command"] = argv
    else:
        container["command"] = argv[:1]
        container["args"] = argv[1:]
    return {"apiVersion": "v1", "kind": "Pod",
            "metadata": {"name": "kube-apiserver", "namespace": "kube-system"},
            "spec": {"hostNetwork": True, "containers": [container]}}


COMPLIANT = ("--authorization-mode=Node,RBAC",
             "--enable-admission-plugins=NodeRestriction,PodSecurity")
ALLOW = "Pod/kube-system/kube-apiserver: kube-apiserver --authorization-mode includes AlwaysAllow"
ADMIT = "Pod/kube-system/kube-apiserver: kube-apiserver admission plugin AlwaysAdmit is enabled"


@pytest.mark.parametrize("where", ["command", "args"])
def test_compliant_api_server_holds(where: str) -> None:
    facts = _facts(_apiserver(*COMPLIANT, where=where))
    assert _messages("K8S-101", facts) == [] and _messages("K8S-102", facts) == []


@pytest.mark.parametrize(("flags", "where"), [
    (("--authorization-mode=Node,RBAC,AlwaysAllow",), "command"),
    (("--authorization-mode=AlwaysAllow,Node,RBAC",), "args"),
    (("--authorization-mode", "Node, RBAC, AlwaysAllow"), "command"),
])
def test_always_allow_beside_node_rbac_is_found(flags: tuple[str, ...], where: str) -> None:
    facts = _facts(_apiserver(*flags, COMPLIANT[1], where=where))
    assert _messages("K8S-101", facts) == [ALLOW]
    assert _messages("K8S-102", facts) == []


@pytest.mark.parametrize(("flags", "where"), [
    (("--enable-admission-plugins=NodeRestriction,AlwaysAdmit",), "command"),
    (("--enable-admission-plugins=AlwaysAdmit,NodeRestriction,PodSecurity",), "args"),
    (("--enable-admission-plugins", "NodeRestriction,AlwaysAdmit"), "command"),
])
def test_always_admit_beside_node_restriction_is_found(flags: tuple[str, ...], where: str,
                                                       ) -> None:
    facts = _facts(_apiserver(COMPLIANT[0], *flags, where=where))
    assert _messages("K8S-102", facts) == [ADMIT]
    assert _messages("K8S-101", facts) == []


def test_repeated_slice_flags_accumulate() -> None:
    # pflag string slices append on repetition: the API server runs with both values
    facts = _facts(_apiserver("--authorization-mode=AlwaysAllow", "--authorization-mode=Node,RBAC",
                              "--enable-admission-plugins=AlwaysAdmit",
                              "--enable-admission-plugins=NodeRestriction"))
    assert _messages("K8S-101", facts) == [ALLOW]
    assert _messages("K8S-102", facts) == [ADMIT]


# --- RBAC: create pods in a namespace -> any service account token there ------------------

def _rbac(*docs: dict[str, Any]) -> RbacFacts:
    loaded = load_bytes(_objects(*docs), "planted.yaml")
    assert loaded.unknowns == ()
    return gather(loaded.objects)


RBAC_V1 = "rbac.authorization.k8s.io/v1"


def _pod_maker_cluster(enforce: str | None) -> RbacFacts:
    """User dev may create pods in namespace team, and nothing else; the team/deployer
    service account holds every verb on every resource. Only running a pod as deployer
    (its token is mounted) leads from dev to cluster-admin."""
    labels = {"pod-security.kubernetes.io/enforce": enforce} if enforce else {}
    return _rbac(
        {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "team", "labels": labels}},
        {"apiVersion": "v1", "kind": "ServiceAccount",
         "metadata": {"name": "deployer", "namespace": "team"}},
        {"apiVersion": RBAC_V1, "kind": "ClusterRole", "metadata": {"name": "everything"},
         "rules": [{"apiGroups": ["*"], "resources": ["*"], "verbs": ["*"]}]},
        {"apiVersion": RBAC_V1, "kind": "ClusterRoleBinding", "metadata": {"name": "deployer"},
         "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole",
                     "name": "everything"},
         "subjects": [{"kind": "ServiceAccount", "name": "deployer", "namespace": "team"}]},
        {"apiVersion": RBAC_V1, "kind": "Role",
         "metadata": {"name": "pod-maker", "namespace": "team"},
         "rules": [{"apiGroups": [""], "resources": ["pods"], "verbs": ["create"]}]},
        {"apiVersion": RBAC_V1, "kind": "RoleBinding",
         "metadata": {"name": "dev", "namespace": "team"},
         "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "Role",
                     "name": "pod-maker"},
         "subjects": [{"kind": "User", "name": "dev",
                       "apiGroup": "rbac.authorization.k8s.io"}]})


@pytest.mark.parametrize("enforce", ["baseline", "restricted"])
def test_create_pods_reaches_a_service_account_token(enforce: str) -> None:
    # Pod Security enforced: no privileged pod, so no way to the node; the token is the path
    facts = _pod_maker_cluster(enforce)
    paths = {str(p.source): [(str(e.dst), e.reason) for e in p.edges]
             for p in facts.graph.shortest_paths([CLUSTER_ADMIN])}
    assert paths["User dev"] == [
        ("create pods in team", "create pods"),
        ("any service account in team", "a pod may run as any service account of its namespace"),
        ("ServiceAccount team/deployer", "token"),
        ("cluster-admin", "all verbs on all resources")]


def test_create_pods_without_pod_security_also_reaches_the_node() -> None:
    facts = _pod_maker_cluster(None)
    paths = {str(p.source): [str(e.dst) for e in p.edges]
             for p in facts.graph.shortest_paths([NODE])}
    assert paths["User dev"] == ["create pods in team", "node"]


# --- K8S-040 / K8S-041: an AWS access key id literal is exactly 20 characters -------------

KEY_ID = "AKIA" + "Q7XK2M4PZ9RT3VWB"  # 16 after the prefix


@pytest.mark.parametrize(("value", "found"), [
    (KEY_ID, True), (f"id={KEY_ID};", True), (KEY_ID.replace("AKIA", "ASIA"), True),
    (KEY_ID + "C", False), (KEY_ID + "7", False), ("X" + KEY_ID, False), (KEY_ID[:-1], False),
])
def test_aws_key_id_in_a_configmap_has_a_right_boundary(value: str, found: bool) -> None:
    cm = {"apiVersion": "v1", "kind": "ConfigMap",
          "metadata": {"name": "cfg", "namespace": "shop"}, "data": {"note": value}}
    messages = _messages("K8S-041", _facts(cm))
    assert messages == ([
        "ConfigMap/shop/cfg: key note looks like a secret "
        "(value looks like a private key or token)"] if found else [])
    env = _pod({"containers": [_container("web", env=[{"name": "NOTE", "value": value}])]})
    assert bool(_messages("K8S-040", _facts(env))) is found
