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
    # which of the rule's listed conditions (``Check.conditions``) made it fire; "" for a
    # rule with a single condition
    condition: str = ""


@dataclass(frozen=True, slots=True)
class Check(Generic[F]):
    """``func(facts)`` yields one Violation per problem; nothing means the control holds.

    ``applies(facts)`` says whether the facts needed are present at all; when it returns
    False the rule is *not evaluated* (never counted as holding).

    ``conditions`` lists, in one place next to the rule, the distinct ways it can fire when
    there is more than one; each Violation names the one that produced it.  The generic case
    test requires one bad case per condition that fires through that condition only, so a
    broken condition cannot hide behind another.  Empty means a single condition.
    """

    rule: Rule
    func: Callable[[F], Iterable[Violation]]
    applies: Callable[[F], bool] | None = None
    conditions: tuple[str, ...] = ()
