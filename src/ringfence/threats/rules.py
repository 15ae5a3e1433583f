"""The rules of the depth report: every domain of ``ringfence.rules.DOMAINS`` whose rules
feed it (``in_depth``), so the catalogue can derive which rules control which threat. A
domain that needs an input of its own (``depth_input``: the host baseline) feeds it only when
that input is given."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from typing import Any, Final

from ringfence.checks.rule import Check
from ringfence.model.finding import Rule
from ringfence.rules import DOMAINS

DOMAIN_CHECKS: Final[tuple[tuple[str, Sequence[Check[Any]]], ...]] = tuple(
    (d.name, d.checks) for d in DOMAINS if d.in_depth)
_INPUT: Final[dict[str, str]] = {d.name: d.depth_input for d in DOMAINS}


def all_rules(given: Collection[str] = ()) -> tuple[Rule, ...]:
    """The depth report's rules; ``given``: the optional inputs it has (``depth_input``)."""
    return tuple(c.rule for name, checks in DOMAIN_CHECKS
                 if not _INPUT[name] or _INPUT[name] in given for c in checks)


def domain_rule_ids(domain: str) -> tuple[str, ...]:
    return tuple(c.rule.id for name, checks in DOMAIN_CHECKS if name == domain for c in checks)
