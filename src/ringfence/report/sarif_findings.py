"""Rule findings (image-config, secrets) as SARIF: ``rules`` from Rule, ``results`` from
Finding. Used by report/sarif.py next to the vulnerability rules and results."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Final

from ringfence.model.finding import Finding, Rule, Severity

LEVELS: Final = {Severity.CRITICAL: "error", Severity.HIGH: "error",
                 Severity.MEDIUM: "warning", Severity.LOW: "note", Severity.UNKNOWN: "note"}
# GitHub code scanning reads "security-severity" (0.0-10.0) to rank results
SCORES: Final = {Severity.CRITICAL: "9.5", Severity.HIGH: "8.0", Severity.MEDIUM: "5.5",
                 Severity.LOW: "3.0", Severity.UNKNOWN: "0.0"}


def rule_descriptor(rule: Rule) -> dict[str, Any]:
    return {
        "id": rule.id,
        "shortDescription": {"text": rule.title},
        "fullDescription": {"text": f"{rule.title}. {rule.remediation}"},
        "help": {"text": rule.remediation},
        "defaultConfiguration": {"level": LEVELS[rule.severity]},
        "properties": {"tags": ["security", rule.ring, *rule.threats],
                       "severity": rule.severity.name,
                       "security-severity": SCORES[rule.severity],
                       "references": list(rule.references)},
    }


def _location(location: str) -> dict[str, Any]:
    if location.startswith("/"):
        return {"physicalLocation": {"artifactLocation": {"uri": location.lstrip("/")}}}
    return {"logicalLocations": [{"name": location, "kind": "member"}]}


def finding_result(finding: Finding, index: int | None) -> dict[str, Any]:
    out: dict[str, Any] = {"ruleId": finding.rule_id, "level": LEVELS[finding.severity],
                           "message": {"text": finding.message},
                           "locations": [_location(finding.location)] if finding.location
                           else []}
    if index is not None:
        out["ruleIndex"] = index
    return out


def findings_run_parts(findings: Sequence[Finding], rules: Sequence[Rule],
                       offset: int) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """(rule descriptors, results) for the findings; rule indexes start at ``offset``.
    Only rules with a finding are described, plus none unknown to ``rules``."""
    by_id = {r.id: r for r in rules}
    used = [by_id[i] for i in dict.fromkeys(f.rule_id for f in findings) if i in by_id]
    index = {r.id: offset + n for n, r in enumerate(used)}
    return ([rule_descriptor(r) for r in used],
            [finding_result(f, index.get(f.rule_id)) for f in findings])
