"""Per-workload inputs of the depth that need more than one check run: control statuses
across a workload's several images, and the platform facts chains read (RBAC graph paths,
Pod Security enforcement)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from ringfence.k8s.podview import PodView
from ringfence.k8s.rbac.facts import RbacFacts
from ringfence.k8s.rbac.graph import CLUSTER_ADMIN, NODE, Node
from ringfence.k8s.rbac.workloads import enforcing_namespaces
from ringfence.threats.model import ControlStatus, State


def across_images(per_image: Sequence[Mapping[str, ControlStatus]],
                  ids: Sequence[str]) -> dict[str, ControlStatus]:
    """A control fails when it fails on one image, holds when it holds on every image, and
    is otherwise not evaluated (with the images' reasons)."""
    out: dict[str, ControlStatus] = {}
    for cid in ids:
        got = [m.get(cid, ControlStatus(State.NOT_EVALUATED, "not run")) for m in per_image]
        if not got:
            out[cid] = ControlStatus(State.NOT_EVALUATED, "the workload names no image")
        elif any(s.state is State.FAILS for s in got):
            out[cid] = ControlStatus(State.FAILS, "; ".join(s.reason for s in got
                                                            if s.state is State.FAILS))
        elif all(s.state is State.HOLDS for s in got):
            out[cid] = ControlStatus(State.HOLDS)
        else:
            reasons = dict.fromkeys(s.reason for s in got if s.state is State.NOT_EVALUATED)
            out[cid] = ControlStatus(State.NOT_EVALUATED, "; ".join(reasons))
    return out


def rbac_node(pod: PodView) -> Node:
    """The workload's node in the RBAC escalation graph (see k8s/rbac/workloads.py)."""
    return Node("Workload", f"{pod.obj.kind} {pod.namespace}/{pod.obj.name}")


def _reaches(rbac: RbacFacts, targets: list[Node]) -> set[Node]:
    return {p.source for p in rbac.graph.shortest_paths(targets) if p.edges}


def platform_facts(pods: Sequence[PodView], rbac: RbacFacts,
                   objects_enforcing: set[str] | None = None,
                   ) -> dict[str, dict[str, bool | None]]:
    """Per workload ref: pods-not-refused, sa-creates-pods, workload-reaches-node,
    workload-reaches-cluster-admin (True: the attacker's step is open)."""
    enforcing = objects_enforcing if objects_enforcing is not None else set()
    to_node = _reaches(rbac, [NODE])
    to_admin = _reaches(rbac, [CLUSTER_ADMIN])
    out: dict[str, dict[str, bool | None]] = {}
    for pod in pods:
        me = rbac_node(pod)
        creates = _reaches(rbac, [Node("pods", "", pod.namespace)])
        secrets = _reaches(rbac, [Node("secrets", "", pod.namespace)])
        out[pod.ref] = {
            "pods-not-refused": pod.namespace not in enforcing,
            "sa-creates-pods": me in creates,
            "workload-reads-secrets": me in secrets,
            "workload-reaches-node": me in to_node,
            "workload-reaches-cluster-admin": me in to_admin,
        }
    return out


__all__ = ["across_images", "enforcing_namespaces", "platform_facts", "rbac_node"]
