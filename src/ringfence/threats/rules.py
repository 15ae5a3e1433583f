"""The rules of the depth report: every domain of ``ringfence.rules.DOMAINS`` whose rules
feed it (``in_depth``), so the catalogue can derive which rules control which threat."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Final

from ringfence.checks.rule import Check
from ringfence.model.finding import Rule
from ringfence.rules import DOMAINS

DOMAIN_CHECKS: Final[tuple[tuple[str, Sequence[Check[Any]]], ...]] = tuple(
    (d.name, d.checks) for d in DOMAINS if d.in_depth)


def all_rules() -> tuple[Rule, ...]:
    return tuple(c.rule for _, checks in DOMAIN_CHECKS for c in checks)


def domain_rule_ids(domain: str) -> tuple[str, ...]:
    return tuple(c.rule.id for name, checks in DOMAIN_CHECKS if name == domain for c in checks)
