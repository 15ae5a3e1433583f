"""A check pairs a Rule (static metadata) with a pure function over gathered facts."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Generic, TypeVar

from ringfence.model.finding import Rule

F = TypeVar("F")


@dataclass(frozen=True, slots=True)
class Violation:
    """What a check reports: a message and where (a path, a field, an object)."""

    message: str
    location: str = ""


@dataclass(frozen=True, slots=True)
class Check(Generic[F]):
    """``func(facts)`` yields one Violation per problem; nothing means the control holds.

    ``applies(facts)`` says whether the facts needed are present at all; when it returns
    False the rule is *not evaluated* (never counted as holding).
    """

    rule: Rule
    func: Callable[[F], Iterable[Violation]]
    applies: Callable[[F], bool] | None = None
