"""Facts for the platform ring: the objects read once, their pod views, and indexes.

Gathering does the I/O (manifests from disk, or a live cluster through ``live.py``); the
checks in ``k8s/rules`` are pure functions over the frozen value built here.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType

from ringfence.k8s.load import load_paths
from ringfence.k8s.objects import K8sObject
from ringfence.k8s.podview import MalformedPod, PodView, pod_view, seq
from ringfence.k8s.psa import DEFAULT_SELECTION, PssSelection
from ringfence.model.unknown import Unknown


@dataclass(frozen=True, slots=True)
class K8sFacts:
    """Every object, the pods the workloads among them run, and what could not be read.

    ``allowed_registries`` is the user's registry allow-list (empty: the rule that needs it
    is not evaluated). ``pss`` is the Pod Security level/version the user selected (fields
    left None come from each pod's Namespace labels, else restricted at latest)."""

    objects: tuple[K8sObject, ...]
    pods: tuple[PodView, ...]
    unknowns: tuple[Unknown, ...] = ()
    allowed_registries: tuple[str, ...] = ()
    pss: PssSelection = DEFAULT_SELECTION
    by_kind: Mapping[str, tuple[K8sObject, ...]] = field(
        default_factory=lambda: MappingProxyType({}), compare=False, repr=False)

    def of_kind(self, *kinds: str) -> tuple[K8sObject, ...]:
        if len(kinds) == 1:
            return self.by_kind.get(kinds[0], ())
        return tuple(o for k in kinds for o in self.by_kind.get(k, ()))

    def namespaces(self) -> set[str]:
        """Namespaces declared or used by a namespaced object of these manifests."""
        names = {o.name for o in self.of_kind("Namespace")}
        names.update(p.namespace for p in self.pods)
        return names


def facts_from_objects(objects: Iterable[K8sObject], unknowns: Iterable[Unknown] = (),
                       allowed_registries: Iterable[str] = (),
                       pss: PssSelection = DEFAULT_SELECTION) -> K8sFacts:
    objs = tuple(objects)
    by_kind: dict[str, list[K8sObject]] = {}
    for o in objs:
        by_kind.setdefault(o.kind, []).append(o)
    present = {(o.kind, o.in_namespace(), o.name) for o in objs}
    pods: list[PodView] = []
    malformed: list[Unknown] = []
    for o in objs:
        try:
            if not _owned_by_present(o, present) and (view := pod_view(o)) is not None:
                pods.append(view)
        except MalformedPod as exc:
            malformed.append(Unknown(o.location, f"{o.ref}: not evaluated, malformed pod "
                                     f"spec: {exc}", "k8s.facts"))
        except Exception as exc:  # a wrong type no manifest should hold: that object only
            malformed.append(Unknown(o.location, f"{o.ref}: not evaluated, malformed "
                                     f"({type(exc).__name__}: {exc})", "k8s.facts"))
    return K8sFacts(objs, tuple(pods), (*unknowns, *malformed), tuple(allowed_registries), pss,
                    MappingProxyType({k: tuple(v) for k, v in by_kind.items()}))


def gather_manifests(paths: Iterable[str | Path],
                     allowed_registries: Iterable[str] = ()) -> K8sFacts:
    loaded = load_paths(paths)
    return facts_from_objects(loaded.objects, loaded.unknowns, allowed_registries)


def _owned_by_present(obj: K8sObject, present: set[tuple[str, str, str]]) -> bool:
    """A Pod made by a ReplicaSet made by a Deployment is one workload, not three: in a live
    cluster, skip objects whose controlling owner is also in the set."""
    meta = obj.raw.get("metadata")
    refs = seq(meta.get("ownerReferences")) if isinstance(meta, Mapping) else []
    for ref in refs:
        if isinstance(ref, Mapping) and ref.get("controller") and (
                str(ref.get("kind")), obj.in_namespace(), str(ref.get("name"))) in present:
            return True
    return False
