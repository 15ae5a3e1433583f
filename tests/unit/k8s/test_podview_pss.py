"""Pod views of every workload kind, and the PSS level real install bundles meet."""

from __future__ import annotations

from pathlib import Path

import pytest

from ringfence.k8s.facts import facts_from_objects, gather_manifests
from ringfence.k8s.load import load_bytes
from ringfence.k8s.rules.pss import pss_level

POD = ("metadata: {annotations: {a: b}}\n  spec:\n    initContainers: [{name: i, image: x:1}]\n"
       "    containers: [{name: c, image: x:1}]\n    ephemeralContainers: [{name: e, image: y}]")


@pytest.mark.parametrize(("kind", "head"), [
    ("Deployment", "apiVersion: apps/v1\nkind: Deployment\nspec:\n template:\n  "),
    ("StatefulSet", "apiVersion: apps/v1\nkind: StatefulSet\nspec:\n template:\n  "),
    ("DaemonSet", "apiVersion: apps/v1\nkind: DaemonSet\nspec:\n template:\n  "),
    ("ReplicaSet", "apiVersion: apps/v1\nkind: ReplicaSet\nspec:\n template:\n  "),
    ("ReplicationController", "apiVersion: v1\nkind: ReplicationController\nspec:\n"
     " template:\n  "),
    ("Job", "apiVersion: batch/v1\nkind: Job\nspec:\n template:\n  "),
    ("CronJob", "apiVersion: batch/v1\nkind: CronJob\nspec:\n jobTemplate:\n  spec:\n"
     "   template:\n    "),
])
def test_every_workload_kind_has_one_pod_view(kind: str, head: str) -> None:
    body = POD.replace("\n  ", "\n" + " " * (len(head) - head.rfind("\n") - 1))
    loaded = load_bytes(f"{head}{body}\n".encode(), "w.yaml")
    assert loaded.unknowns == ()
    (pod,) = facts_from_objects(loaded.objects).pods
    assert [(c.role, c.name) for c in pod.containers] == [
        ("init", "i"), ("container", "c"), ("ephemeral", "e")]
    assert dict(pod.annotations) == {"a": "b"} and pod.obj.kind == kind


def test_pod_and_owned_objects_count_once() -> None:
    text = (b"apiVersion: apps/v1\nkind: ReplicaSet\nmetadata: {name: rs, namespace: n}\n"
            b"spec: {template: {spec: {containers: [{name: c}]}}}\n---\n"
            b"apiVersion: v1\nkind: Pod\nmetadata:\n  name: rs-x\n  namespace: n\n"
            b"  ownerReferences: [{kind: ReplicaSet, name: rs, controller: true}]\n"
            b"spec: {containers: [{name: c}]}\n---\n"
            b"apiVersion: v1\nkind: Pod\nmetadata: {name: lone, namespace: n}\n"
            b"spec: {containers: [{name: c}]}\n")
    pods = facts_from_objects(load_bytes(text).objects).pods
    assert [p.ref for p in pods] == ["ReplicaSet/n/rs", "Pod/n/lone"]


LEVELS = {
    # argo-cd and ingress-nginx set runAsNonRoot, drop ALL, no privilege escalation and
    # RuntimeDefault seccomp on every container: Restricted.
    "argo-cd/install.yaml": {"restricted": 7},
    "ingress-nginx/cloud-deploy.yaml": {"restricted": 3},
    # microservices-demo hardens everything but sets no seccomp profile: Baseline.
    "microservices-demo/kubernetes-manifests.yaml": {"baseline": 12},
    # flannel runs with hostNetwork and NET_ADMIN/NET_RAW; calico-node is privileged.
    "flannel": {"privileged": 1},
    "calico/calico.yaml": {"privileged": 1, "baseline": 1},
}


@pytest.mark.parametrize("bundle", sorted(LEVELS))
def test_pss_level_of_real_bundles(data_dir: Path, bundle: str) -> None:
    facts = gather_manifests([data_dir / "k8s" / bundle])
    levels: dict[str, int] = {}
    for pod in facts.pods:
        levels[pss_level(pod)] = levels.get(pss_level(pod), 0) + 1
    assert levels == LEVELS[bundle]


def test_kubernetes_goat_privileged_workloads(data_dir: Path) -> None:
    facts = gather_manifests([data_dir / "k8s" / "kubernetes-goat"])
    privileged = sorted(p.ref for p in facts.pods if pss_level(p) == "privileged")
    # read off the manifests: privileged containers, hostPID/IPC/network, hostPath mounts
    # of /, /etc, the docker and containerd sockets
    assert privileged == ["DaemonSet/docker-bench-security",
                          "Deployment/default/system-monitor-deployment",
                          "Deployment/health-check-deployment",
                          "Job/kube-bench-master", "Job/kube-bench-node"]
