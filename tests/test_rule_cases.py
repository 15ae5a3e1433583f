"""The one generic, parametrised test over every rule's good and bad fixtures."""

from __future__ import annotations

import contextlib
import json
from pathlib import Path
from typing import Any

import pytest

from ringfence.checks.engine import run_checks
from ringfence.checks.rule import Check, Violation
from tests.rule_cases import CASES, DOMAINS, Loader
from tests.unit.host.case_loader import LOADER_FILES

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


def _json_keys(doc: Any, depth: int = 2) -> set[str]:
    """The object keys of a JSON document down to ``depth`` levels, as ``a/b`` paths."""
    if not isinstance(doc, dict) or depth == 0:
        return set()
    return set(doc) | {f"{k}/{sub}" for k, v in doc.items() for sub in _json_keys(v, depth - 1)}


def _inputs(case: Path) -> dict[str, set[str]]:
    """Input files of a directory case (not the loaders' metadata), each with its JSON keys."""
    out: dict[str, set[str]] = {}
    for path in sorted(p for p in case.rglob("*")
                       if p.is_file() and p.relative_to(case).as_posix() not in LOADER_FILES):
        keys: set[str] = set()
        if path.suffix == ".json":
            with contextlib.suppress(ValueError):  # a case may hold broken JSON on purpose
                keys = _json_keys(json.loads(path.read_bytes()))
        out[path.relative_to(case).as_posix()] = keys
    return out


@pytest.mark.parametrize(("domain", "check", "loader"), PARAMS)
def test_good_case_holds_what_its_bad_cases_hold(domain: str, check: Check[Any],
                                                 loader: Loader) -> None:
    """A good case is a near miss, not an empty input: it holds every input file and JSON
    key (two levels deep) that a bad case of the rule holds, in its safe form.  Single-file
    cases are exempt: their bad and good cases may be different formats of one runtime."""
    good = CASES / check.rule.id / "good"
    if not good.is_dir():
        return
    have = _inputs(good)
    for bad_dir in bad_cases(check).values():
        if not bad_dir.is_dir():
            continue
        for name, keys in _inputs(bad_dir).items():
            assert name in have, f"{check.rule.id} good lacks {name} (in {bad_dir.name})"
            missing = keys - have[name]
            assert not missing, (f"{check.rule.id} good {name} lacks {sorted(missing)} "
                                 f"(in {bad_dir.name})")


def test_every_case_directory_belongs_to_a_rule() -> None:
    ids = {c.rule.id for _, checks, _ in DOMAINS for c in checks}
    stray = sorted(p.name for p in CASES.iterdir() if p.is_dir() and p.name not in ids)
    assert stray == []
