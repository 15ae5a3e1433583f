"""What the escalation graph needs to know about workloads: the service account whose token
a pod carries, and whether the pod holds the node (privileged, host PID, host filesystem)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Final

from ringfence.k8s.objects import K8sObject
from ringfence.k8s.psa import DEFAULT_SELECTION, ENFORCE_LABEL

WORKLOAD_KINDS: Final = frozenset({"Pod", "Deployment", "StatefulSet", "DaemonSet",
                                   "ReplicaSet", "ReplicationController", "Job", "CronJob"})
# Host paths whose mount gives the node: its root, runtime sockets, kubelet and config.
HOST_PATHS: Final = ("/", "/etc", "/root", "/proc", "/dev", "/var/lib/kubelet",
                     "/var/lib/docker", "/var/run", "/run", "/var/run/docker.sock",
                     "/run/containerd/containerd.sock", "/var/run/containerd/containerd.sock",
                     "/var/run/crio/crio.sock", "/etc/kubernetes")
NODE_CAPS: Final = frozenset({"SYS_ADMIN", "SYS_PTRACE", "SYS_MODULE", "ALL"})
ENFORCING: Final = frozenset({"baseline", "restricted"})


@dataclass(frozen=True, slots=True)
class PodRun:
    """One workload: ``token`` False when no service-account token is mounted."""

    ref: str
    namespace: str
    service_account: str
    token: bool
    node_access: tuple[str, ...]
    daemon: bool
    location: str
    kind: str = ""
    name: str = ""


def pod_spec(obj: K8sObject) -> Mapping[str, Any] | None:
    spec: Any = obj.spec
    if obj.kind == "CronJob":
        spec = _get(_get(spec, "jobTemplate"), "spec")
    if obj.kind != "Pod":
        spec = _get(_get(spec, "template"), "spec")
    return spec if isinstance(spec, Mapping) and spec else None


def _get(value: Any, key: str) -> Any:
    return value.get(key) if isinstance(value, Mapping) else None


def _list(value: Any) -> list[Any]:
    """A list field; any other type (a wrong one in a hostile manifest) counts as empty."""
    return value if isinstance(value, list) else []


def pod_runs(objects: Iterable[K8sObject], no_automount: set[tuple[str, str]]) -> list[PodRun]:
    """Workloads among ``objects``; ``no_automount`` holds (namespace, name) of service
    accounts with ``automountServiceAccountToken: false``."""
    out = []
    for obj in objects:
        if obj.kind not in WORKLOAD_KINDS:
            continue
        spec = pod_spec(obj)
        if spec is None:
            continue
        ns = obj.in_namespace()
        sa = str(spec.get("serviceAccountName") or spec.get("serviceAccount") or "default")
        auto = spec.get("automountServiceAccountToken")
        token = bool(auto) if auto is not None else (ns, sa) not in no_automount
        ref = f"{obj.kind} {ns}/{obj.name}"
        out.append(PodRun(ref, ns, sa, token, tuple(node_access(spec)),
                          obj.kind == "DaemonSet", obj.location, obj.kind, obj.name))
    return out


def node_access(spec: Mapping[str, Any]) -> list[str]:
    """Why a pod with this spec controls its node (empty: it does not)."""
    reasons = [f"{key}: true" for key in ("hostPID",) if spec.get(key) is True]
    for kind in ("initContainers", "containers", "ephemeralContainers"):
        for c in _list(spec.get(kind)):
            sc = _get(c, "securityContext") or {}
            name = _get(c, "name") or "?"
            if _get(sc, "privileged") is True:
                reasons.append(f"container {name}: privileged")
            added = {x.upper() for x in _list(_get(_get(sc, "capabilities"), "add"))
                     if isinstance(x, str)}
            for cap in sorted(added & NODE_CAPS):
                reasons.append(f"container {name}: capability {cap}")
    for vol in _list(spec.get("volumes")):
        path = _get(_get(vol, "hostPath"), "path")
        if isinstance(path, str) and (path.rstrip("/") or "/") in HOST_PATHS:
            reasons.append(f"hostPath {path}")
    return reasons


def enforcing_namespaces(objects: Iterable[K8sObject]) -> set[str]:
    """Namespaces whose Pod Security admission enforces baseline or restricted (no
    privileged pods can be created there): an enforce label PSA parses to one of them, or
    one it cannot parse (PSA then enforces restricted)."""
    return {o.name for o in objects if o.kind == "Namespace" and ENFORCE_LABEL in o.labels
            and DEFAULT_SELECTION.resolve(o.labels)[0].level in ENFORCING}
