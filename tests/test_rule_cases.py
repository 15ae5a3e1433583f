"""The one generic, parametrised test over every rule's good and bad fixtures."""

from __future__ import annotations

from typing import Any

import pytest

from ringfence.checks.engine import run_checks
from ringfence.checks.rule import Check
from tests.rule_cases import CASES, DOMAINS, Loader

PARAMS = [pytest.param(domain, check, loader, id=check.rule.id)
          for domain, checks, loader in DOMAINS for check in checks]


def test_rule_ids_are_unique_across_domains() -> None:
    ids = [c.rule.id for _, checks, _ in DOMAINS for c in checks]
    assert len(ids) == len(set(ids))


@pytest.mark.parametrize(("domain", "check", "loader"), PARAMS)
def test_rule_fires_on_bad_and_not_on_good(domain: str, check: Check[Any],
                                           loader: Loader) -> None:
    case = CASES / check.rule.id
    assert (case / "bad").exists() and (case / "good").exists(), f"{case}: fixtures missing"
    bad = run_checks([check], loader(case / "bad"))
    assert check.rule.id in bad.failed(), f"{domain} {check.rule.id} did not fire on bad"
    good = run_checks([check], loader(case / "good"))
    assert check.rule.id in good.evaluated and not good.findings, (
        f"{domain} {check.rule.id} fired on good: {good.findings}")


def test_every_case_directory_belongs_to_a_rule() -> None:
    ids = {c.rule.id for _, checks, _ in DOMAINS for c in checks}
    stray = sorted(p.name for p in CASES.iterdir() if p.is_dir() and p.name not in ids)
    assert stray == []
