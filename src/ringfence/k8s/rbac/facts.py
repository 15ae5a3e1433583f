"""RBAC facts: the index and the escalation graph, gathered once from loaded objects."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from ringfence.k8s.load import load_paths
from ringfence.k8s.objects import K8sObject
from ringfence.k8s.rbac.edges import build_graph
from ringfence.k8s.rbac.effective import RbacIndex, build_index
from ringfence.k8s.rbac.graph import Graph
from ringfence.k8s.rbac.model import BINDING_KINDS, ROLE_KINDS
from ringfence.k8s.rbac.workloads import WORKLOAD_KINDS
from ringfence.model.unknown import Unknown


@dataclass(frozen=True, slots=True)
class RbacFacts:
    """``rbac_objects``/``workloads`` count what the input held (0: nothing to judge)."""

    index: RbacIndex
    graph: Graph
    rbac_objects: int
    workloads: int
    unknowns: tuple[Unknown, ...] = ()


def gather(objects: Sequence[K8sObject], unknowns: Sequence[Unknown] = ()) -> RbacFacts:
    index = build_index(objects)
    rbac = sum(1 for o in objects if o.kind in ROLE_KINDS or o.kind in BINDING_KINDS)
    workloads = sum(1 for o in objects if o.kind in WORKLOAD_KINDS)
    return RbacFacts(index, build_graph(index, objects), rbac, workloads, tuple(unknowns))


def gather_paths(paths: Sequence[str | Path]) -> RbacFacts:
    manifests = load_paths(paths)
    return gather(manifests.objects, manifests.unknowns)
