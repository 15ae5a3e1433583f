"""Escalation paths on the real kubernetes-goat and calico manifests, edge by edge, and
who-can answers on them checked against RBAC semantics."""

from __future__ import annotations

from pathlib import Path

import pytest

from ringfence.k8s.rbac.facts import RbacFacts, gather_paths
from ringfence.k8s.rbac.graph import CLUSTER_ADMIN, NODE, Node
from ringfence.k8s.rbac.model import Subject
from ringfence.k8s.rbac.whocan import secret_readers, who_can_text

Step = tuple[str, str, str]  # destination, reason, binding ("" when no grant)


def _facts(data_dir: Path, corpus: str) -> RbacFacts:
    return gather_paths([data_dir / "k8s" / corpus])


def _paths(facts: RbacFacts, targets: list[Node]) -> dict[str, list[Step]]:
    return {str(p.source): [(str(e.dst), e.reason.split(" [")[0],
                             e.grant.binding.ref if e.grant else "") for e in p.edges]
            for p in facts.graph.shortest_paths(targets)}


@pytest.fixture(scope="module")
def goat(data_dir: Path) -> RbacFacts:
    return _facts(data_dir, "kubernetes-goat")


@pytest.fixture(scope="module")
def calico(data_dir: Path) -> RbacFacts:
    return _facts(data_dir, "calico")


def test_goat_cluster_admin(goat: RbacFacts) -> None:
    assert _paths(goat, [CLUSTER_ADMIN]) == {
        "ServiceAccount kube-system/superadmin": [
            ("cluster-admin", "all verbs on all resources", "ClusterRoleBinding superadmin")]}
    # the pwnchart ClusterRole all-your-base (*/*/*) is bound by nothing: no path from it
    assert not any(g.role.name == "all-your-base" for g in goat.index.grants)


def test_goat_secrets(goat: RbacFacts) -> None:
    paths = _paths(goat, [n for n in goat.graph.nodes() if n.kind == "secrets"])
    rb = "RoleBinding big-monolith/secret-reader-binding"
    assert paths["ServiceAccount big-monolith/big-monolith-sa"] == [
        ("read secrets in big-monolith", "read secrets", rb)]
    assert paths["Workload Deployment big-monolith/hunger-check-deployment"] == [
        ("ServiceAccount big-monolith/big-monolith-sa", "mounted service account token", ""),
        ("read secrets in big-monolith", "read secrets", rb)]
    assert paths["ServiceAccount kube-system/superadmin"] == [
        ("read secrets in every namespace", "read secrets", "ClusterRoleBinding superadmin")]
    assert len(paths) == 3


def test_goat_node(goat: RbacFacts) -> None:
    paths = _paths(goat, [NODE])
    assert set(paths) == {
        "ServiceAccount kube-system/superadmin",
        "Workload DaemonSet default/docker-bench-security",
        "Workload Deployment default/health-check-deployment",
        "Workload Deployment default/system-monitor-deployment",
        "Workload Job default/kube-bench-master", "Workload Job default/kube-bench-node"}
    assert paths["Workload Deployment default/system-monitor-deployment"] == [
        ("node", "hostPID: true, container system-monitor: privileged, hostPath /", "")]
    assert paths["ServiceAccount kube-system/superadmin"][0][0] == "node"


def test_goat_secret_readers(goat: RbacFacts) -> None:
    readers = secret_readers(goat.index, ["big-monolith", "default"])
    assert {str(a.subject) for a in readers["big-monolith"]} == {
        "ServiceAccount big-monolith/big-monolith-sa", "ServiceAccount kube-system/superadmin",
        "Group system:masters"}
    assert {str(a.subject) for a in readers["default"]} == {
        "ServiceAccount kube-system/superadmin", "Group system:masters"}


def test_calico_cluster_admin(calico: RbacFacts) -> None:
    crb = "ClusterRoleBinding tigera-operator"
    assert _paths(calico, [CLUSTER_ADMIN]) == {
        "ServiceAccount tigera-operator/tigera-operator": [
            ("cluster-admin", "create clusterrolebindings + bind cluster-admin", crb)],
        "Workload Deployment tigera-operator/tigera-operator": [
            ("ServiceAccount tigera-operator/tigera-operator",
             "mounted service account token", ""),
            ("cluster-admin", "create clusterrolebindings + bind cluster-admin", crb)]}
    (path,) = [p for p in calico.graph.shortest_paths([CLUSTER_ADMIN])
               if p.source.kind == "ServiceAccount"]
    edge = path.edges[0]
    assert edge.grant is not None and edge.extra
    assert "bind" in edge.extra[0].rule.verbs and "clusterroles" in edge.extra[0].rule.resources
    assert edge.grant.binding.location.endswith("calico/tigera-operator.yaml:706")


def test_calico_node_and_named_token(calico: RbacFacts) -> None:
    paths = _paths(calico, [NODE])
    assert paths["Workload DaemonSet kube-system/calico-node"][0][0] == "node"
    assert paths["ServiceAccount tigera-operator/tigera-operator"] == [
        ("create pods in every namespace", "create pods", "ClusterRoleBinding tigera-operator"),
        ("create pods in default", "in every namespace", ""),
        ("node", "a privileged pod (no Pod Security enforcement in the namespace)", "")]
    # calico-node may mint tokens only for calico-cni-plugin (resourceNames)
    token = [e for e in calico.graph.edges
             if e.src == Node("ServiceAccount", "calico-node", "kube-system")
             and e.reason.startswith("create service account tokens")]
    assert [str(e.dst) for e in token] == ["ServiceAccount kube-system/calico-cni-plugin"]
    # the node holds the calico-node DaemonSet's token
    assert any(e.src == NODE and str(e.dst) == "ServiceAccount kube-system/calico-node"
               for e in calico.graph.edges)


def test_calico_who_can_follows_rbac_semantics(calico: RbacFacts) -> None:
    def who(*args: str) -> set[str]:
        return {str(a.subject) for a in who_can_text(calico.index, *args)}
    named = who("create", "serviceaccounts/token", "kube-system", "", "calico-cni-plugin")
    assert named == {"ServiceAccount kube-system/calico-node", "Group system:masters"}
    assert who("create", "serviceaccounts/token", "kube-system") == {"Group system:masters"}
    assert who("escalate", "clusterroles") == {
        "ServiceAccount tigera-operator/tigera-operator", "Group system:masters"}
    assert who("create", "pods/exec", "kube-system") == {"Group system:masters"}
    assert "ServiceAccount kube-system/calico-node" in who("patch", "nodes/status")
    assert "ServiceAccount kube-system/calico-node" not in who("patch", "nodes")
    # secrets: tigera-operator reads everywhere, and creates only in its own namespace
    assert "ServiceAccount tigera-operator/tigera-operator" in who("list", "secrets", "x")
    creators = who_can_text(calico.index, "create", "secrets", "tigera-operator")
    assert {(str(a.subject), a.scope) for a in creators} >= {
        ("ServiceAccount tigera-operator/tigera-operator", "tigera-operator")}
    assert "ServiceAccount tigera-operator/tigera-operator" not in who(
        "create", "secrets", "kube-system")
    # projectcalico.org "*" covers its resources but no other group's
    assert "ServiceAccount kube-system/calico-kube-controllers" in who(
        "delete", "networksets.projectcalico.org")
    assert "ServiceAccount kube-system/calico-kube-controllers" not in who(
        "delete", "pods", "kube-system")


def test_default_system_identities_produce_no_escalation(calico: RbacFacts) -> None:
    """calico binds calico-tier-getter to User system:kube-controller-manager: a trusted
    control-plane identity; nor is system:masters (cluster-admin by default) a source."""
    kcm = Subject("User", "system:kube-controller-manager")
    assert calico.index.direct(kcm)
    for target in ([CLUSTER_ADMIN], [NODE]):
        sources = {str(p.source) for p in calico.graph.shortest_paths(target)}
        assert "User system:kube-controller-manager" not in sources
        assert "Group system:masters" not in sources
    every = calico.graph.shortest_paths([CLUSTER_ADMIN], include_trusted=True)
    assert "Group system:masters" in {str(p.source) for p in every}
