"""The one generic, parametrised test over every rule's good and bad fixtures."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from ringfence.checks.engine import run_checks
from ringfence.checks.rule import Check, Violation
from tests.rule_cases import CASES, DOMAINS, Loader

PARAMS = [pytest.param(domain, check, loader, id=check.rule.id)
          for domain, checks, loader in DOMAINS for check in checks]


def test_rule_ids_are_unique_across_domains() -> None:
    ids = [c.rule.id for _, checks, _ in DOMAINS for c in checks]
    assert len(ids) == len(set(ids))


def bad_cases(check: Check[Any]) -> dict[str, Path]:
    """Condition -> its bad case: ``bad`` for a single-condition rule, ``bad-<condition>``
    for each condition a rule lists in ``Check.conditions``."""
    case = CASES / check.rule.id
    if not check.conditions:
        return {"": case / "bad"}
    return {c: case / f"bad-{c}" for c in check.conditions}


def violations(check: Check[Any], facts: Any) -> list[Violation]:
    assert check.applies is None or check.applies(facts), "rule not evaluated on its case"
    return list(check.func(facts))


@pytest.mark.parametrize(("domain", "check", "loader"), PARAMS)
def test_rule_fires_on_bad_and_not_on_good(domain: str, check: Check[Any],
                                           loader: Loader) -> None:
    case = CASES / check.rule.id
    assert (case / "good").exists(), f"{case}: good fixture missing"
    for condition, bad_dir in bad_cases(check).items():
        assert bad_dir.exists(), f"{bad_dir}: no bad case for condition {condition!r}"
        bad = run_checks([check], loader(bad_dir))
        assert check.rule.id in bad.failed(), f"{domain} {bad_dir.name} did not fire"
    good = run_checks([check], loader(case / "good"))
    assert check.rule.id in good.evaluated and not good.findings, (
        f"{domain} {check.rule.id} fired on good: {good.findings}")


@pytest.mark.parametrize(("domain", "check", "loader"), PARAMS)
def test_each_bad_case_fires_through_its_condition_only(domain: str, check: Check[Any],
                                                         loader: Loader) -> None:
    """A bad case that fires through two conditions would hide a broken one."""
    for condition, bad_dir in bad_cases(check).items():
        fired = {v.condition for v in violations(check, loader(bad_dir))}
        assert fired == {condition}, (
            f"{check.rule.id} {bad_dir.name}: fired through {sorted(fired)}, "
            f"expected only {condition!r}")


@pytest.mark.parametrize(("domain", "check", "loader"), PARAMS)
def test_case_directories_match_listed_conditions(domain: str, check: Check[Any],
                                                  loader: Loader) -> None:
    case = CASES / check.rule.id
    present = {p.name for p in case.iterdir() if p.name.startswith("bad")}
    assert present == {p.name for p in bad_cases(check).values()}
    assert len(set(check.conditions)) == len(check.conditions)


def test_every_case_directory_belongs_to_a_rule() -> None:
    ids = {c.rule.id for _, checks, _ in DOMAINS for c in checks}
    stray = sorted(p.name for p in CASES.iterdir() if p.is_dir() and p.name not in ids)
    assert stray == []
