"""Every workload kind normalised to one pod view: the pod spec it will create, with init,
regular and ephemeral containers side by side, and the pod template's metadata.

Kinds this module does not name (OpenShift ``DeploymentConfig``, Argo ``Rollout``, any CRD)
are workloads when they carry a pod template where the built-in controllers do:
``spec.template.spec.containers`` (a list) or, as CronJob,
``spec.jobTemplate.spec.template.spec.containers``. A Pod or a template of a workload kind
whose spec has the wrong shape raises ``MalformedPod`` (the caller makes it an Unknown with
the file and line): a gate must not pass a pod it could not read."""

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
# tried in order for kinds not in TEMPLATE_PATHS (custom resources, DeploymentConfig, ...)
GENERIC_PATHS: Final = (("spec", "template"), ("spec", "jobTemplate", "spec", "template"))
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


class MalformedPod(ValueError):
    """A Pod, or the pod template of a workload, whose spec has the wrong shape."""


def pod_view(obj: K8sObject) -> PodView | None:
    """The pod view of a workload object, or None when the object runs no pods (a kind
    with no pod template, or a workload kind whose template is absent). Raises
    ``MalformedPod`` when the pod spec or its container lists have the wrong types."""
    path = template_path(obj)
    if path is None:
        return None
    template: Mapping[str, Any] = obj.raw
    where = ""
    for key in path:
        value = template.get(key)
        where = f"{where}.{key}" if where else key
        if value is None:
            return None
        if not isinstance(value, Mapping):
            raise MalformedPod(f"{where} is a {_type(value)}, not a mapping")
        template = value
    raw_spec = template.get("spec")
    spec_path = f"{where}.spec" if where else "spec"
    if raw_spec is None:
        if not path:  # a Pod without a spec runs nothing a gate could judge
            raise MalformedPod("spec is missing")
        return None
    if not isinstance(raw_spec, Mapping):
        raise MalformedPod(f"{spec_path} is a {_type(raw_spec)}, not a mapping")
    for field_name, _ in CONTAINER_FIELDS:
        value = raw_spec.get(field_name)
        if value is not None and not isinstance(value, list):
            raise MalformedPod(f"{spec_path}.{field_name} is a {_type(value)}, not a list")
        for i, c in enumerate(value or ()):
            if not isinstance(c, Mapping):
                raise MalformedPod(f"{spec_path}.{field_name}[{i}] is a {_type(c)}, "
                                   "not a container")
    if not raw_spec:
        return None
    meta = mapping(template.get("metadata")) if path else _EMPTY
    annotations = _strs(meta.get("annotations")) if path else obj.annotations
    labels = _strs(meta.get("labels")) if path else obj.labels
    return PodView(obj, raw_spec, annotations, labels, tuple(_containers(raw_spec)))


def template_path(obj: K8sObject) -> tuple[str, ...] | None:
    """The path from ``obj`` to its pod template (``()`` for a Pod), or None when the
    object is no workload: a known kind's path, else a generic pod-template shape."""
    path = TEMPLATE_PATHS.get(obj.kind)
    if path is not None:
        return path
    return next((p for p in GENERIC_PATHS if _generic_template(obj.raw, p)), None)


def _generic_template(raw: Mapping[str, Any], path: tuple[str, ...]) -> bool:
    """Whether ``raw`` holds a pod template with a container list at ``path``."""
    node: object = raw
    for key in (*path, "spec"):
        node = node.get(key) if isinstance(node, Mapping) else None
    return isinstance(node, Mapping) and isinstance(node.get("containers"), list)


def _type(value: object) -> str:
    return {str: "string", int: "number", float: "number", bool: "boolean",
            list: "list"}.get(type(value), type(value).__name__)


def _containers(spec: Mapping[str, Any]) -> Iterator[ContainerView]:
    for field_name, role in CONTAINER_FIELDS:
        for i, c in enumerate(seq(spec.get(field_name))):
            if isinstance(c, Mapping):
                yield ContainerView(str(c.get("name") or i), role, str(c.get("image") or ""), c)


def _strs(value: object) -> Mapping[str, str]:
    return MappingProxyType({str(k): str(v) for k, v in mapping(value).items()})
