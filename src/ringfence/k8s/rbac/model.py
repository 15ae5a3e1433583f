"""RBAC values: subjects, policy rules, roles, bindings and the grants they produce.

Parsed once from manifests (``K8sObject``) into frozen values; nothing downstream reads the
raw dicts again. Field semantics follow ``rbac.authorization.k8s.io/v1``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from ringfence.k8s.objects import K8sObject

ROLE_KINDS = frozenset({"Role", "ClusterRole"})
BINDING_KINDS = frozenset({"RoleBinding", "ClusterRoleBinding"})
SA_PREFIX = "system:serviceaccount:"


@dataclass(frozen=True, slots=True, order=True)
class Subject:
    """A User, Group or ServiceAccount (``namespace`` only for service accounts)."""

    kind: str
    name: str
    namespace: str = ""

    def __str__(self) -> str:
        if self.kind == "ServiceAccount":
            return f"ServiceAccount {self.namespace}/{self.name}"
        return f"{self.kind} {self.name}"

    @property
    def username(self) -> str:
        """The name the API server authenticates this subject as."""
        if self.kind == "ServiceAccount":
            return f"{SA_PREFIX}{self.namespace}:{self.name}"
        return self.name

    def groups(self) -> tuple[Subject, ...]:
        """Groups the API server adds implicitly (service accounts and every user)."""
        auth = Subject("Group", "system:authenticated")
        if self.kind == "ServiceAccount":
            return (Subject("Group", "system:serviceaccounts"),
                    Subject("Group", f"system:serviceaccounts:{self.namespace}"), auth)
        return (auth,) if self.kind == "User" else ()


def _strs(value: object) -> tuple[str, ...]:
    if not isinstance(value, list | tuple):
        return ()
    return tuple(str(v) for v in value if v is not None)


@dataclass(frozen=True, slots=True)
class PolicyRule:
    """One entry of a role's ``rules`` (empty tuples mean the field was not set)."""

    verbs: tuple[str, ...]
    api_groups: tuple[str, ...] = ()
    resources: tuple[str, ...] = ()
    resource_names: tuple[str, ...] = ()
    non_resource_urls: tuple[str, ...] = ()

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> PolicyRule:
        return cls(_strs(d.get("verbs")), _strs(d.get("apiGroups")), _strs(d.get("resources")),
                   _strs(d.get("resourceNames")), _strs(d.get("nonResourceURLs")))

    def __str__(self) -> str:
        parts = [f"verbs={','.join(self.verbs)}"]
        if self.non_resource_urls:
            parts.append(f"nonResourceURLs={','.join(self.non_resource_urls)}")
        else:
            groups = ",".join(g or '""' for g in self.api_groups)
            parts += [f"apiGroups={groups}", f"resources={','.join(self.resources)}"]
        if self.resource_names:
            parts.append(f"resourceNames={','.join(self.resource_names)}")
        return " ".join(parts)

    @property
    def wildcard(self) -> bool:
        return "*" in self.verbs or "*" in self.resources or "*" in self.api_groups


@dataclass(frozen=True, slots=True)
class Selector:
    """A label selector of an aggregationRule (matchLabels and matchExpressions)."""

    match_labels: tuple[tuple[str, str], ...] = ()
    expressions: tuple[tuple[str, str, tuple[str, ...]], ...] = ()

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> Selector:
        labels = d.get("matchLabels")
        labels = labels if isinstance(labels, Mapping) else {}
        exprs = d.get("matchExpressions")
        exprs = exprs if isinstance(exprs, list) else []
        return cls(tuple(sorted((str(k), str(v)) for k, v in labels.items())),
                   tuple((str(e.get("key", "")), str(e.get("operator", "")),
                          _strs(e.get("values"))) for e in exprs if isinstance(e, Mapping)))

    def matches(self, labels: Mapping[str, str]) -> bool:
        """Kubernetes label-selector semantics; an empty selector matches everything."""
        if any(labels.get(k) != v for k, v in self.match_labels):
            return False
        return all(_expression(labels, key, op, values) for key, op, values in self.expressions)


def _expression(labels: Mapping[str, str], key: str, op: str, values: tuple[str, ...]) -> bool:
    if op == "In":
        return key in labels and labels[key] in values
    if op == "NotIn":
        return key not in labels or labels[key] not in values
    if op == "Exists":
        return key in labels
    if op == "DoesNotExist":
        return key not in labels
    return False  # an unknown operator selects nothing (the API server rejects it)


@dataclass(frozen=True, slots=True)
class Role:
    """A Role (namespaced) or ClusterRole; ``aggregation`` holds clusterRoleSelectors."""

    kind: str
    name: str
    namespace: str = ""
    rules: tuple[PolicyRule, ...] = ()
    aggregation: tuple[Selector, ...] | None = None
    labels: Mapping[str, str] = field(default_factory=dict, compare=False)
    location: str = ""
    default: bool = False

    @property
    def ref(self) -> str:
        return f"{self.kind} {self.namespace}/{self.name}" if self.namespace else \
            f"{self.kind} {self.name}"


@dataclass(frozen=True, slots=True)
class Binding:
    """A RoleBinding (``namespace`` set) or ClusterRoleBinding and the role it refers to."""

    kind: str
    name: str
    namespace: str
    role_kind: str
    role_name: str
    subjects: tuple[Subject, ...]
    location: str = ""
    default: bool = False

    @property
    def ref(self) -> str:
        return f"{self.kind} {self.namespace}/{self.name}" if self.namespace else \
            f"{self.kind} {self.name}"


@dataclass(frozen=True, slots=True)
class Grant:
    """One rule held by one subject through one binding. ``namespace`` "" is cluster-wide
    (a ClusterRoleBinding); otherwise the RoleBinding's namespace."""

    subject: Subject
    rule: PolicyRule
    role: Role
    binding: Binding
    namespace: str

    @property
    def scope(self) -> str:
        return self.namespace or "*"

    def why(self) -> str:
        """Evidence a reviewer can check: binding -> role: rule."""
        return f"{self.binding.ref} -> {self.role.ref}: {self.rule}"


def role_from_object(obj: K8sObject, default: bool = False) -> Role:
    raw = obj.raw
    listed = raw.get("rules")
    rules = tuple(PolicyRule.from_dict(r) for r in (listed if isinstance(listed, list) else [])
                  if isinstance(r, Mapping))
    agg = raw.get("aggregationRule")
    selectors = None
    if obj.kind == "ClusterRole" and isinstance(agg, Mapping):
        picks = agg.get("clusterRoleSelectors")
        selectors = tuple(Selector.from_dict(s) for s in (picks if isinstance(picks, list)
                                                          else [])
                          if isinstance(s, Mapping))
    namespace = obj.in_namespace() if obj.kind == "Role" else ""
    return Role(obj.kind, obj.name, namespace, rules, selectors, obj.labels, obj.location,
                default)


def binding_from_object(obj: K8sObject, default: bool = False) -> Binding:
    raw = obj.raw
    ref = raw.get("roleRef")
    ref = ref if isinstance(ref, Mapping) else {}
    namespace = obj.in_namespace() if obj.kind == "RoleBinding" else ""
    return Binding(obj.kind, obj.name, namespace, str(ref.get("kind", "")),
                   str(ref.get("name", "")), tuple(_subjects(raw.get("subjects"), namespace)),
                   obj.location, default)


def _subjects(value: object, namespace: str) -> Iterable[Subject]:
    if not isinstance(value, list):
        return
    for s in value:
        if not isinstance(s, Mapping) or not s.get("name"):
            continue
        kind, name = str(s.get("kind", "")), str(s["name"])
        if kind == "ServiceAccount":
            # An unqualified service account of a RoleBinding is the binding's namespace
            # (rbac validation.appliesToUser); a ClusterRoleBinding's matches nothing.
            ns = str(s.get("namespace") or namespace)
            if ns:
                yield Subject(kind, name, ns)
        elif kind in ("User", "Group"):
            yield Subject(kind, name)
