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
from ringfence.k8s.rbac.model import (
    BINDING_KINDS,
    ROLE_KINDS,
    binding_from_object,
    role_from_object,
)
from ringfence.k8s.rbac.workloads import WORKLOAD_KINDS, pod_runs
from ringfence.model.unknown import Unknown

PLUGIN = "k8s.rbac"


@dataclass(frozen=True, slots=True)
class RbacFacts:
    """``rbac_objects``/``workloads`` count what the input held (0: nothing to judge)."""

    index: RbacIndex
    graph: Graph
    rbac_objects: int
    workloads: int
    unknowns: tuple[Unknown, ...] = ()


def gather(objects: Sequence[K8sObject], unknowns: Sequence[Unknown] = ()) -> RbacFacts:
    usable, malformed = well_formed(objects)
    index = build_index(usable)
    rbac = sum(1 for o in objects if o.kind in ROLE_KINDS or o.kind in BINDING_KINDS)
    workloads = sum(1 for o in objects if o.kind in WORKLOAD_KINDS)
    return RbacFacts(index, build_graph(index, usable), rbac, workloads,
                     (*unknowns, *malformed))


def well_formed(objects: Sequence[K8sObject]) -> tuple[list[K8sObject], list[Unknown]]:
    """The objects whose RBAC meaning can be read; each other one (a field of a type no
    valid manifest holds) is an Unknown naming it, and is left out of the graph."""
    usable: list[K8sObject] = []
    malformed: list[Unknown] = []
    for obj in objects:
        try:
            if obj.kind in ROLE_KINDS:
                role_from_object(obj)
            elif obj.kind in BINDING_KINDS:
                binding_from_object(obj)
            elif obj.kind in WORKLOAD_KINDS:
                pod_runs([obj], set())
        except Exception as exc:  # any wrong type: that object only is not evaluated
            malformed.append(Unknown(obj.location, f"{obj.ref}: not evaluated, malformed "
                                     f"({type(exc).__name__}: {exc})", PLUGIN))
            continue
        usable.append(obj)
    return usable, malformed


def gather_paths(paths: Sequence[str | Path]) -> RbacFacts:
    manifests = load_paths(paths)
    return gather(manifests.objects, manifests.unknowns)
