"""Escalation edges of patch/update on pods and pod controllers, name-restricted grants and
nodes/proxy: manifests generated here (one grant each, so an edge has one possible cause)
and the real tigera-operator bundle (calico)."""

from __future__ import annotations

from pathlib import Path

import pytest

from ringfence.k8s.load import load_bytes
from ringfence.k8s.rbac.facts import RbacFacts, gather, gather_paths
from ringfence.k8s.rbac.graph import CLUSTER_ADMIN, NODE, Node
from ringfence.k8s.rbac.graph import Path as GraphPath
from ringfence.k8s.rbac.model import Subject

DATA = Path(__file__).resolve().parents[3] / "data" / "k8s"
ATTACKER = Node("ServiceAccount", "ci", "tools")


def _role(kind: str, ns: str, rule: str) -> str:
    meta = f"{{name: r, namespace: {ns}}}" if kind == "Role" else "{name: r}"
    binding = "RoleBinding" if kind == "Role" else "ClusterRoleBinding"
    bmeta = f"{{name: b, namespace: {ns}}}" if kind == "Role" else "{name: b}"
    return f"""
apiVersion: rbac.authorization.k8s.io/v1
kind: {kind}
metadata: {meta}
rules: [{rule}]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: {binding}
metadata: {bmeta}
roleRef: {{apiGroup: rbac.authorization.k8s.io, kind: {kind}, name: r}}
subjects: [{{kind: ServiceAccount, name: ci, namespace: tools}}]
"""


# a service account of namespace app that is cluster-admin: reaching it is the escalation
POWERFUL = """
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata: {name: powerful}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: cluster-admin}
subjects: [{kind: ServiceAccount, name: powerful, namespace: app}]
"""


def _workload(kind: str, name: str, sa: str = "powerful", automount: bool = True) -> str:
    spec = (f"{{serviceAccountName: {sa}, automountServiceAccountToken: "
            f"{str(automount).lower()}, containers: [{{name: c, image: 'nginx:1'}}]}}")
    body = f"spec: {spec}" if kind == "Pod" else f"spec: {{template: {{spec: {spec}}}}}"
    api = "v1" if kind == "Pod" else "apps/v1"
    return f"apiVersion: {api}\nkind: {kind}\nmetadata: {{name: {name}, namespace: app}}\n{body}"


def _facts(*docs: str) -> RbacFacts:
    m = load_bytes("\n---\n".join(docs).encode(), "t.yaml")
    assert not m.unknowns, m.unknowns
    facts = gather(m.objects)
    assert not facts.unknowns
    return facts


def _path(facts: RbacFacts, target: Node = CLUSTER_ADMIN) -> GraphPath | None:
    return next((p for p in facts.graph.shortest_paths([target]) if p.source == ATTACKER),
                None)


CONTROLLERS = [("apps", "deployments"), ("apps", "daemonsets"), ("apps", "statefulsets"),
               ("apps", "replicasets"), ("batch", "cronjobs"),
               ("", "replicationcontrollers")]


@pytest.mark.parametrize("verb", ["patch", "update"])
@pytest.mark.parametrize(("group", "resource"), CONTROLLERS)
def test_patch_or_update_of_a_controller_runs_any_service_account(
        verb: str, group: str, resource: str) -> None:
    rule = f'{{apiGroups: ["{group}"], resources: [{resource}], verbs: [{verb}]}}'
    path = _path(_facts(_role("ClusterRole", "", rule), POWERFUL))
    assert path is not None
    assert path.edges[0].reason.startswith(f"{verb} {resource}: rewrite the pod template")
    assert path.edges[0].dst == Node("pods", "", "*")
    assert Node("ServiceAccount", "powerful", "app") in {e.dst for e in path.edges}
    # the same grant inside namespace app only: the path stays in app
    local = _path(_facts(_role("Role", "app", rule), POWERFUL))
    assert local is not None and local.edges[0].dst == Node("pods", "", "app")
    # another namespace's grant does not reach app's service accounts
    assert _path(_facts(_role("Role", "elsewhere", rule), POWERFUL)) is None


@pytest.mark.parametrize("rule", [
    '{apiGroups: [extensions], resources: [deployments], verbs: [patch]}',  # wrong group
    '{apiGroups: [""], resources: [deployments], verbs: [update]}',  # wrong group
    '{apiGroups: [batch], resources: [jobs], verbs: [patch, update]}',  # template immutable
    '{apiGroups: [apps], resources: [deployments/scale], verbs: [patch]}',  # replicas only
    '{apiGroups: [apps], resources: [deployments], verbs: [get, list, watch, delete]}',
    '{apiGroups: [apps], resources: [deployments], verbs: [patch], resourceNames: [web]}',
])
def test_grants_that_do_not_rewrite_a_template(rule: str) -> None:
    assert _path(_facts(_role("ClusterRole", "", rule), POWERFUL)) is None


def test_create_jobs_still_runs_pods() -> None:
    rule = '{apiGroups: [batch], resources: [jobs], verbs: [create]}'
    assert _path(_facts(_role("ClusterRole", "", rule), POWERFUL)) is not None


def test_name_restricted_controller_reaches_only_the_named_existing_one() -> None:
    rule = '{apiGroups: [apps], resources: [deployments], verbs: [update], resourceNames: [web]}'
    grant = _role("Role", "app", rule)
    path = _path(_facts(grant, POWERFUL, _workload("Deployment", "web", "other")))
    assert path is not None
    assert path.edges[0].reason == "update deployments web: rewrite its pod template"
    assert _path(_facts(grant, POWERFUL, _workload("Deployment", "api", "other"))) is None
    # a StatefulSet called web is not a Deployment
    assert _path(_facts(grant, POWERFUL, _workload("StatefulSet", "web", "other"))) is None


def test_patch_pods_runs_code_as_the_running_pods_accounts_only() -> None:
    grant = _role("Role", "app", '{apiGroups: [""], resources: [pods], verbs: [patch]}')
    path = _path(_facts(grant, POWERFUL, _workload("Deployment", "web")))
    assert path is not None
    assert [e.reason.split(":")[0] for e in path.edges[:2]] == [
        "patch pods", "run commands in its containers"]
    # no token mounted: the replaced image runs without the account's credentials
    assert _path(_facts(grant, POWERFUL, _workload("Deployment", "web",
                                                    automount=False))) is None
    # a pod's service account cannot be changed: an account no pod runs as is not reached
    assert _path(_facts(grant, POWERFUL, _workload("Deployment", "web", "other"))) is None


@pytest.mark.parametrize(("rule", "kind", "name", "reached"), [
    ('{apiGroups: [""], resources: [pods], verbs: [update], resourceNames: [db-0]}',
     "StatefulSet", "db", True),
    ('{apiGroups: [""], resources: [pods], verbs: [update], resourceNames: [db-x]}',
     "StatefulSet", "db", False),
    ('{apiGroups: [""], resources: [pods], verbs: [update], resourceNames: [db-01]}',
     "StatefulSet", "db", False),
    ('{apiGroups: [""], resources: [pods], verbs: [patch], resourceNames: [db]}',
     "Pod", "db", True),
    ('{apiGroups: [""], resources: [pods], verbs: [patch], resourceNames: [db-0]}',
     "Deployment", "db", False),  # a Deployment's pod names are generated
    ('{apiGroups: [""], resources: [pods/exec], verbs: [create], resourceNames: [db]}',
     "Pod", "db", True),
    ('{apiGroups: [""], resources: [pods/exec], verbs: [get], resourceNames: [db]}',
     "Pod", "db", False),
    ('{apiGroups: [""], resources: [pods/ephemeralcontainers], verbs: [patch]}',
     "Deployment", "db", True),
    ('{apiGroups: [""], resources: [pods/ephemeralcontainers], verbs: [get]}',
     "Deployment", "db", False),
])
def test_running_pod_entry(rule: str, kind: str, name: str, reached: bool) -> None:
    facts = _facts(_role("Role", "app", rule), POWERFUL, _workload(kind, name))
    assert (_path(facts) is not None) is reached


@pytest.mark.parametrize(("rule", "reason"), [
    ('{apiGroups: [""], resources: [nodes/proxy], verbs: [get]}', "get nodes/proxy: the "
     "kubelet API: a GET upgraded to websocket runs exec/attach/run"),
    ('{apiGroups: [""], resources: [nodes/proxy], verbs: [create]}', "create nodes/proxy: "
     "the kubelet API: POST /exec and /run"),
    ('{apiGroups: [""], resources: [nodes/proxy], verbs: [get], resourceNames: [n1]}',
     "get nodes/proxy on node n1: the kubelet API"),
    ('{apiGroups: [""], resources: ["*/proxy"], verbs: [create]}', "create nodes/proxy"),
    ('{apiGroups: [""], resources: [nodes/proxy], verbs: [update, patch, delete]}', None),
    ('{apiGroups: [""], resources: [nodes, nodes/stats, nodes/metrics], verbs: [get]}',
     None),
    ('{apiGroups: [metrics.k8s.io], resources: [nodes/proxy], verbs: [get]}', None),
])
def test_nodes_proxy_verbs(rule: str, reason: str | None) -> None:
    path = _path(_facts(_role("ClusterRole", "", rule)), NODE)
    if reason is None:
        assert path is None
    else:
        assert path is not None and path.edges[0].reason.startswith(reason)


def test_tigera_operator_update_pods_and_patch_daemonsets_are_edges() -> None:
    """calico's tigera-operator ClusterRole (real manifest) grants update on pods and
    patch/update on deployments and daemonsets cluster-wide: both are edges with the
    rule that grants them; its name-restricted update on a Job is not (immutable)."""
    facts = gather_paths([DATA / "calico" / "tigera-operator.yaml"])
    src = Node.of(Subject("ServiceAccount", "tigera-operator", "tigera-operator"))
    mine = [e for e in facts.graph.edges if e.src == src]
    by_reason = {e.reason.split(":")[0]: e for e in mine}
    pods = by_reason["update pods"]
    assert pods.dst == Node("exec", "", "*") and pods.grant is not None
    assert "pods" in pods.grant.rule.resources and "update" in pods.grant.rule.verbs
    rewrite = by_reason["patch deployments"]
    assert rewrite.dst == Node("pods", "", "*") and rewrite.grant is not None
    assert "deployments" in rewrite.grant.rule.resources
    assert rewrite.grant.binding.ref == "ClusterRoleBinding tigera-operator"
    assert not any("jobs" in r for r in by_reason)


def test_many_resource_names_reach_exactly_the_named_pods() -> None:
    """A hostile role listing 10,000 pod names beside 500 workloads: one lookup per name
    (never names x workloads), and an edge to exactly the workloads named."""
    names = [f"p{i}" for i in range(0, 10_000, 2)] + [f"db-{i}" for i in range(5_000)]
    rule = ('{apiGroups: [""], resources: [pods], verbs: [patch], resourceNames: ['
            + ", ".join(names) + "]}")
    pods = [_workload("Pod", f"p{i}") for i in range(450)]
    sets = [_workload("StatefulSet", f"db{i}") for i in range(49)] + [
        _workload("StatefulSet", "db")]
    facts = _facts(_role("Role", "app", rule), *pods, *sets)
    hit = {e.dst.name for e in facts.graph.edges if e.src == ATTACKER
           and e.dst.kind == "Workload"}
    assert hit == {f"Pod app/p{i}" for i in range(0, 450, 2)} | {"StatefulSet app/db"}


@pytest.mark.parametrize(("rules", "reached"), [
    (['{apiGroups: [""], resources: [groups], verbs: [impersonate]}'], False),
    (['{apiGroups: [""], resources: [groups], verbs: [impersonate]}',
      '{apiGroups: [""], resources: [users], verbs: [impersonate], resourceNames: [x]}'],
     True),
    (['{apiGroups: [""], resources: [groups], verbs: [impersonate], '
      'resourceNames: ["system:masters"]}',
      '{apiGroups: [""], resources: [serviceaccounts], verbs: [impersonate]}'], True),
    (['{apiGroups: [""], resources: [groups], verbs: [impersonate], '
      'resourceNames: ["system:nodes"]}',
      '{apiGroups: [""], resources: [users], verbs: [impersonate]}'], False),
])
def test_impersonating_system_masters_needs_a_user_too(rules: list[str],
                                                       reached: bool) -> None:
    facts = _facts(_role("ClusterRole", "", ", ".join(rules)))
    path = _path(facts)
    assert (path is not None and path.edges[-1].reason.startswith(
        "impersonate group system:masters")) is reached


def test_named_user_impersonation_reaches_that_user() -> None:
    rule = '{apiGroups: [""], resources: [users], verbs: [impersonate], resourceNames: [alice]}'
    alice = _role("ClusterRole", "", '{apiGroups: ["*"], resources: ["*"], verbs: ["*"]}'
                  ).replace("{kind: ServiceAccount, name: ci, namespace: tools}",
                            "{kind: User, name: alice}").replace("name: r", "name: r2"
                                                                 ).replace("name: b", "name: b2")
    path = _path(_facts(_role("ClusterRole", "", rule), alice))
    assert path is not None
    assert [e.reason for e in path.edges] == ["impersonate user alice",
                                              "all verbs on all resources"]


@pytest.mark.parametrize(("signers", "reached"), [
    ('resourceNames: ["kubernetes.io/kube-apiserver-client"]', True),
    ('resourceNames: ["kubernetes.io/*"]', True),  # admission's second, domain-wide check
    ('resourceNames: ["example.com/*"]', False),
    ('resourceNames: ["kubernetes.io/kubelet-serving"]', False),
    ("", True),
])
def test_csr_approval_follows_the_signer_name_checks(signers: str, reached: bool) -> None:
    rules = ", ".join([
        "{apiGroups: [certificates.k8s.io], resources: [certificatesigningrequests], "
        "verbs: [create]}",
        "{apiGroups: [certificates.k8s.io], resources: "
        "[certificatesigningrequests/approval], verbs: [update]}",
        "{apiGroups: [certificates.k8s.io], resources: [signers], verbs: [approve]"
        + (f", {signers}" if signers else "") + "}"])
    path = _path(_facts(_role("ClusterRole", "", rules)))
    assert (path is not None) is reached


@pytest.mark.parametrize(("resources", "reached"), [
    ("[mutatingadmissionpolicies, mutatingadmissionpolicybindings]", True),
    ("[mutatingadmissionpolicies]", False),  # no binding: the policy mutates nothing
    ("[validatingadmissionpolicies, validatingadmissionpolicybindings]", False),  # denies
    ("[mutatingwebhookconfigurations]", True),
])
def test_admission_that_rewrites_new_pods(resources: str, reached: bool) -> None:
    rule = f"{{apiGroups: [admissionregistration.k8s.io], resources: {resources}, " \
           "verbs: [create]}"
    path = _path(_facts(_role("ClusterRole", "", rule), POWERFUL))
    assert (path is not None) is reached


@pytest.mark.parametrize(("verbs", "reached"), [
    ("[get]", True), ("[list]", True), ("[watch]", True), ("[create, update, delete]", False),
])
def test_reading_secrets_of_a_namespace_yields_its_tokens(verbs: str, reached: bool) -> None:
    rule = f'{{apiGroups: [""], resources: [secrets], verbs: {verbs}}}'
    assert (_path(_facts(_role("Role", "app", rule), POWERFUL)) is not None) is reached
