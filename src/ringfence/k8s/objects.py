"""One Kubernetes object as read from a manifest or a live cluster: frozen, with its origin.

``raw`` is the whole parsed object behind a read-only top-level view. Nested values are the
plain dicts and lists the YAML/JSON parser built (copying them deeply would cost as much as
parsing); they are shared and must never be mutated by a consumer.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

_EMPTY: Mapping[str, str] = MappingProxyType({})


@dataclass(frozen=True, slots=True)
class K8sObject:
    """apiVersion/kind/metadata lifted out; ``namespace`` is "" when the manifest sets none
    (a cluster-scoped object, or one that lands in the namespace it is applied to).

    Equality and hashing use identity fields and origin (api_version, kind, namespace,
    name, source, line), so objects can be set members and dict keys."""

    api_version: str
    kind: str
    namespace: str
    name: str
    labels: Mapping[str, str] = field(default_factory=lambda: _EMPTY, compare=False)
    annotations: Mapping[str, str] = field(default_factory=lambda: _EMPTY, compare=False,
                                           repr=False)
    raw: Mapping[str, Any] = field(default_factory=lambda: _EMPTY, repr=False, compare=False)
    source: str = ""
    line: int = 0

    @property
    def group(self) -> str:
        """API group: "" for the core group ("v1"), else the part before the slash."""
        return self.api_version.rpartition("/")[0]

    @property
    def ref(self) -> str:
        """``Kind/namespace/name`` (``Kind/name`` when no namespace is set)."""
        ns = f"{self.namespace}/" if self.namespace else ""
        return f"{self.kind}/{ns}{self.name}"

    @property
    def location(self) -> str:
        """``file:line`` of the document the object came from."""
        return f"{self.source}:{self.line}" if self.line else self.source

    @property
    def spec(self) -> Mapping[str, Any]:
        value = self.raw.get("spec")
        return value if isinstance(value, Mapping) else _EMPTY

    def in_namespace(self, default: str = "default") -> str:
        """The namespace the object lives in when applied without ``-n``."""
        return self.namespace or default


def _str_map(value: object) -> Mapping[str, str]:
    if not isinstance(value, Mapping) or not value:
        return _EMPTY
    return MappingProxyType({str(k): "" if v is None else str(v) for k, v in value.items()})


def make_object(doc: Mapping[str, Any], source: str, line: int,
                api_version: str | None = None, kind: str | None = None) -> K8sObject:
    """Build a K8sObject from one parsed mapping that has apiVersion and kind (or inherits
    them from a typed List such as PodList)."""
    meta = doc.get("metadata")
    meta = meta if isinstance(meta, Mapping) else {}
    name = meta.get("name") or meta.get("generateName") or ""
    return K8sObject(
        api_version=str(doc.get("apiVersion") or api_version or ""),
        kind=str(doc.get("kind") or kind or ""),
        namespace=str(meta.get("namespace") or ""),
        name=str(name),
        labels=_str_map(meta.get("labels")),
        annotations=_str_map(meta.get("annotations")),
        raw=MappingProxyType(dict(doc)),
        source=source,
        line=line,
    )
