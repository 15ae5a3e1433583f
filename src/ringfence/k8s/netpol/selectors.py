"""Label selectors (``matchLabels`` + ``matchExpressions``) exactly as Kubernetes evaluates them.

A selector is the AND of its requirements; an empty selector matches everything. ``In`` needs
the key with one of the values, ``NotIn`` matches when the key is absent or has another value,
``Exists``/``DoesNotExist`` test the key only. An unknown operator matches nothing (the API
server rejects such a selector, so nothing it guards is ever selected).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

IN, NOT_IN, EXISTS, DOES_NOT_EXIST = "In", "NotIn", "Exists", "DoesNotExist"
OPERATORS = (IN, NOT_IN, EXISTS, DOES_NOT_EXIST)


@dataclass(frozen=True, slots=True)
class Requirement:
    key: str
    operator: str
    values: frozenset[str] = frozenset()

    def matches(self, labels: Mapping[str, str]) -> bool:
        if self.operator == IN:
            return self.key in labels and labels[self.key] in self.values
        if self.operator == NOT_IN:
            return self.key not in labels or labels[self.key] not in self.values
        if self.operator == EXISTS:
            return self.key in labels
        if self.operator == DOES_NOT_EXIST:
            return self.key not in labels
        return False


@dataclass(frozen=True, slots=True)
class LabelSelector:
    """``match_labels`` as sorted (key, value) pairs plus expression requirements."""

    match_labels: tuple[tuple[str, str], ...] = ()
    expressions: tuple[Requirement, ...] = ()

    @property
    def empty(self) -> bool:
        return not self.match_labels and not self.expressions

    def matches(self, labels: Mapping[str, str]) -> bool:
        for key, value in self.match_labels:
            if labels.get(key) != value:
                return False
        return all(req.matches(labels) for req in self.expressions)

    def __str__(self) -> str:
        parts = [f"{k}={v}" for k, v in self.match_labels]
        for req in self.expressions:
            values = ",".join(sorted(req.values))
            parts.append(f"{req.key} {req.operator} ({values})" if values
                         else f"{req.key} {req.operator}")
        return ",".join(parts) or "{}"


EVERYTHING = LabelSelector()


def parse_selector(raw: object) -> LabelSelector | None:
    """A selector from its manifest form; None when the field is absent (null)."""
    if raw is None:
        return None
    if not isinstance(raw, Mapping):
        return LabelSelector(expressions=(Requirement("", "invalid"),))
    labels = raw.get("matchLabels") or {}
    pairs = tuple(sorted((str(k), "" if v is None else str(v))
                         for k, v in labels.items())) if isinstance(labels, Mapping) else ()
    exprs = raw.get("matchExpressions") or []
    reqs = tuple(_requirement(e) for e in exprs) if isinstance(exprs, list) else ()
    return LabelSelector(pairs, reqs)


def _requirement(raw: Any) -> Requirement:
    if not isinstance(raw, Mapping):
        return Requirement("", "invalid")
    values = raw.get("values") or []
    vals = frozenset(str(v) for v in values) if isinstance(values, list) else frozenset()
    return Requirement(str(raw.get("key", "")), str(raw.get("operator", "")), vals)
