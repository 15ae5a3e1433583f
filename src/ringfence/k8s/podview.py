"""Every workload kind normalised to one pod view: the pod spec it will create, with init,
regular and ephemeral containers side by side, and the pod template's metadata."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any, Final

from ringfence.k8s.objects import K8sObject

_EMPTY: Mapping[str, Any] = MappingProxyType({})

# kind -> path from the object to its pod template (a mapping with metadata and spec)
TEMPLATE_PATHS: Final[Mapping[str, tuple[str, ...]]] = MappingProxyType({
    "Pod": (),
    "PodTemplate": ("template",),
    "Deployment": ("spec", "template"),
    "StatefulSet": ("spec", "template"),
    "DaemonSet": ("spec", "template"),
    "ReplicaSet": ("spec", "template"),
    "ReplicationController": ("spec", "template"),
    "Job": ("spec", "template"),
    "CronJob": ("spec", "jobTemplate", "spec", "template"),
})
CONTAINER_FIELDS: Final = (("initContainers", "init"), ("containers", "container"),
                           ("ephemeralContainers", "ephemeral"))
_ROLE_FIELD: Final = {role: f for f, role in CONTAINER_FIELDS}


def mapping(value: object) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else _EMPTY


def seq(value: object) -> list[Any]:
    return value if isinstance(value, list) else []


@dataclass(frozen=True, slots=True)
class ContainerView:
    """One container of a pod; ``role`` is "init", "container" or "ephemeral"."""

    name: str
    role: str
    image: str
    raw: Mapping[str, Any]

    @property
    def security_context(self) -> Mapping[str, Any]:
        return mapping(self.raw.get("securityContext"))

    @property
    def field_path(self) -> str:
        """``spec.containers[name]`` style path for messages."""
        return f"spec.{_ROLE_FIELD[self.role]}[{self.name}]"


@dataclass(frozen=True, slots=True)
class PodView:
    """The pod a workload object runs: its spec, template annotations and all containers."""

    obj: K8sObject
    spec: Mapping[str, Any]
    annotations: Mapping[str, str]
    labels: Mapping[str, str]
    containers: tuple[ContainerView, ...]

    @property
    def ref(self) -> str:
        return self.obj.ref

    @property
    def location(self) -> str:
        return self.obj.location

    @property
    def namespace(self) -> str:
        return self.obj.in_namespace()

    @property
    def security_context(self) -> Mapping[str, Any]:
        return mapping(self.spec.get("securityContext"))

    @property
    def volumes(self) -> list[Mapping[str, Any]]:
        return [v for v in seq(self.spec.get("volumes")) if isinstance(v, Mapping)]

    @property
    def service_account(self) -> str:
        name = self.spec.get("serviceAccountName") or self.spec.get("serviceAccount")
        return str(name or "default")

    def all_security_contexts(self) -> Iterator[tuple[str, Mapping[str, Any]]]:
        """("spec.securityContext", pod sc) then (container path, container sc)."""
        yield "spec.securityContext", self.security_context
        for c in self.containers:
            yield c.field_path, c.security_context


def pod_view(obj: K8sObject) -> PodView | None:
    """The pod view of a workload object, or None when the kind runs no pods (or the
    template is missing)."""
    path = TEMPLATE_PATHS.get(obj.kind)
    if path is None:
        return None
    template: Mapping[str, Any] = obj.raw
    for key in path:
        template = mapping(template.get(key))
    spec = mapping(template.get("spec"))
    if not spec:
        return None
    meta = mapping(template.get("metadata")) if path else _EMPTY
    annotations = _strs(meta.get("annotations")) if path else obj.annotations
    labels = _strs(meta.get("labels")) if path else obj.labels
    return PodView(obj, spec, annotations, labels, tuple(_containers(spec)))


def _containers(spec: Mapping[str, Any]) -> Iterator[ContainerView]:
    for field_name, role in CONTAINER_FIELDS:
        for i, c in enumerate(seq(spec.get(field_name))):
            if isinstance(c, Mapping):
                yield ContainerView(str(c.get("name") or i), role, str(c.get("image") or ""), c)


def _strs(value: object) -> Mapping[str, str]:
    return MappingProxyType({str(k): str(v) for k, v in mapping(value).items()})
