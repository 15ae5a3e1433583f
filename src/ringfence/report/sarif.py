"""ScanResult -> SARIF 2.1.0 (validated in tests against the OASIS schema).

``rules`` are the advisories (one per primary id, with summary, aliases and help text),
``results`` the matches: each located at the file the package was found in (the path inside
the image, relative, as code-scanning consumers expect) with the layer, purl, installed and
fixed versions as result properties. Matches suppressed by VEX or the ignore file carry a
SARIF ``suppressions`` entry with the reason instead of being dropped.
"""

from __future__ import annotations

from typing import Any, Final

from ringfence import __version__
from ringfence.model.advisory import VulnerabilityMatch
from ringfence.model.finding import Rule, Severity
from ringfence.model.result import ScanResult
from ringfence.report.jsontext import json_text
from ringfence.report.sarif_findings import findings_run_parts

SCHEMA_URI: Final = ("https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/"
                     "sarif-schema-2.1.0.json")
LEVELS: Final = {Severity.CRITICAL: "error", Severity.HIGH: "error",
                 Severity.MEDIUM: "warning", Severity.LOW: "note", Severity.UNKNOWN: "note"}


def _rule(m: VulnerabilityMatch) -> dict[str, Any]:
    title = m.summary or f"{m.advisory_id} in {m.package_name}"
    aliases = ", ".join(m.aliases) or "none"
    fixed = ", ".join(m.fixed_versions) or "no fixed version known"
    text = (f"{m.advisory_id} (aliases: {aliases}). {title}. Upgrade {m.package_name} to a "
            f"fixed version ({fixed}). Source: {m.data_source}.")
    props: dict[str, Any] = {"tags": ["security", "vulnerability"],
                             "severity": m.severity.name}
    if m.cvss_score is not None:
        props["security-severity"] = f"{m.cvss_score:.1f}"
    if m.cvss_vector:
        props["cvss_vector"] = m.cvss_vector
    return {
        "id": m.advisory_id,
        "shortDescription": {"text": title},
        "fullDescription": {"text": text},
        "help": {"text": text},
        "defaultConfiguration": {"level": LEVELS[m.severity]},
        "properties": props,
    }


def _result(m: VulnerabilityMatch, index: int) -> dict[str, Any]:
    fixed = ", ".join(m.fixed_versions)
    message = f"{m.package_name} {m.installed_version} is affected by {m.advisory_id}"
    message += f"; fixed in {fixed}" if fixed else f" ({m.status})"
    out: dict[str, Any] = {
        "ruleId": m.advisory_id, "ruleIndex": index, "level": LEVELS[m.severity],
        "message": {"text": message},
        "locations": [_location(m)],
        "properties": {"purl": m.package_purl, "installed_version": m.installed_version,
                       "fixed_versions": list(m.fixed_versions), "status": m.status,
                       "layer": m.layer, "matched_by": m.matched_by},
    }
    if m.suppressed_by:
        out["suppressions"] = [{"kind": "external", "justification": m.suppressed_by}]
    return out


def _location(m: VulnerabilityMatch) -> dict[str, Any]:
    logical = [{"name": m.package_name, "fullyQualifiedName": m.package_purl,
                "kind": "package"}]
    if not m.location:
        return {"logicalLocations": logical}
    return {"physicalLocation": {"artifactLocation": {"uri": m.location.lstrip("/")}},
            "logicalLocations": logical}


def to_sarif(result: ScanResult, finding_rules: tuple[Rule, ...] = ()) -> dict[str, Any]:
    """``finding_rules``: metadata of the rules behind ``result.findings`` (image config,
    secrets): described in ``rules`` after the advisories, findings appended as results."""
    rules: dict[str, dict[str, Any]] = {}
    for m in result.vulnerabilities:
        rules.setdefault(m.advisory_id, _rule(m))
    index = {rule_id: i for i, rule_id in enumerate(rules)}
    check_rules, check_results = findings_run_parts(result.findings, finding_rules,
                                                    len(rules))
    run: dict[str, Any] = {
        "tool": {"driver": {"name": "ringfence", "version": __version__,
                            "rules": [*rules.values(), *check_rules]}},
        "results": [*(_result(m, index[m.advisory_id]) for m in result.vulnerabilities),
                    *check_results],
        "properties": {"target": result.target.name, "digest": result.target.digest},
    }
    if result.db is not None:
        run["properties"]["db_newest_record"] = result.db.newest_record
        run["properties"]["db_age_days"] = result.db.age_days
    if result.coverage is not None:  # package sets checked, and not checked with why
        run["properties"]["coverage"] = result.coverage.to_dict()
    return {"$schema": SCHEMA_URI, "version": "2.1.0", "runs": [run]}


class SarifRenderer:
    def __init__(self, rules: tuple[Rule, ...] = ()) -> None:
        self.rules = rules  # metadata of the rules behind result.findings

    def render(self, result: ScanResult) -> str:
        return json_text(to_sarif(result, self.rules))
