"""Run checks over facts: findings, plus which rules were evaluated (held or failed)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TypeVar

from ringfence.checks.rule import Check
from ringfence.model.finding import Finding
from ringfence.model.unknown import Unknown

F = TypeVar("F")


@dataclass(frozen=True, slots=True)
class CheckRun:
    """Findings, the rule ids that were evaluated, and checks that could not run."""

    findings: tuple[Finding, ...]
    evaluated: tuple[str, ...]
    unknowns: tuple[Unknown, ...] = ()

    def failed(self) -> set[str]:
        return {f.rule_id for f in self.findings}

    def held(self) -> set[str]:
        return set(self.evaluated) - self.failed()


def run_checks(checks: Sequence[Check[F]], facts: F, subject: str = "") -> CheckRun:
    findings: list[Finding] = []
    evaluated: list[str] = []
    unknowns: list[Unknown] = []
    for check in checks:
        rule = check.rule
        try:
            if check.applies is not None and not check.applies(facts):
                continue
            violations = list(check.func(facts))
        except Exception as exc:  # a broken check is an Unknown, not a lost scan
            unknowns.append(Unknown(subject or rule.id, f"check failed: {type(exc).__name__}: "
                                    f"{exc}", rule.id))
            continue
        evaluated.append(rule.id)
        findings.extend(Finding(rule.id, v.message, v.location or subject, rule.severity)
                        for v in violations)
    return CheckRun(tuple(findings), tuple(evaluated), tuple(unknowns))


def rule_ids_unique(checks: Sequence[Check[F]]) -> bool:
    ids = [c.rule.id for c in checks]
    return len(ids) == len(set(ids))
