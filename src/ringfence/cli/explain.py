"""``ringfence explain RULE-ID``: what a rule checks, why it matters, how to fix it, and the
threats it controls (from the threat catalogue)."""

from __future__ import annotations

import textwrap
from typing import Any

import click

from ringfence.cli.common import ReportOptions, emit, finish, report_options
from ringfence.errors import UsageError
from ringfence.report.jsontext import json_text


def explain_document(rule_id: str) -> dict[str, Any]:
    from ringfence.rules import find_rule
    from ringfence.threats.catalog import load_catalog

    found = find_rule(rule_id)
    if found is None:
        raise UsageError(rule_id, "no such rule", hint="rule ids look like IMG-001, HOST-020, "
                         "RT-101, K8S-030; `ringfence explain --list` prints them all")
    domain, rule = found
    threats = {t.id: t for t in load_catalog().threats}
    return {
        "schema": "ringfence.explain/1",
        "id": rule.id, "title": rule.title, "severity": rule.severity.name.lower(),
        "ring": rule.ring, "domain": domain.name, "remediation": rule.remediation,
        "references": list(rule.references),
        "threats": [{"id": t, "name": threats[t].name if t in threats else t,
                     "why": threats[t].description if t in threats else "",
                     "techniques": list(threats[t].techniques) if t in threats else []}
                    for t in rule.threats],
    }


def _table(doc: dict[str, Any]) -> str:
    def para(label: str, text: str) -> list[str]:
        return [f"{label}:", *textwrap.wrap(text, 76, initial_indent="  ",
                                            subsequent_indent="  ")]

    lines = [f"{doc['id']}  {doc['severity'].upper()}  ({doc['ring']} ring, {doc['domain']})",
             *textwrap.wrap(doc["title"], 78), ""]
    for t in doc["threats"]:
        lines += para(f"Why it matters — {t['name']}", t["why"] or t["id"])
        if t["techniques"]:
            lines.append(f"  ATT&CK: {', '.join(t['techniques'])}")
    lines += ["", *para("How to fix", doc["remediation"] or "(no remediation recorded)")]
    if doc["references"]:
        lines += ["", "References:", *(f"  {r}" for r in doc["references"])]
    return "\n".join(lines) + "\n"


def _list() -> str:
    from ringfence.rules import all_rules

    return "".join(f"{r.id:<9} {r.severity.name.lower():<8} {r.title[:60]}\n"
                   for r in all_rules())


@click.command("explain")
@click.argument("rule_id", required=False)
@click.option("--list", "list_rules", is_flag=True, help="List every rule id and title.")
@report_options(["table", "json"], fail_on_help="Accepted for the common contract.")
def explain_cmd(rule_id: str | None, list_rules: bool, report: ReportOptions) -> None:
    """The rule RULE-ID: what it checks, why it matters, how to fix it, its threats."""
    if list_rules:
        emit(_list(), report.output)
        return
    if not rule_id:
        raise UsageError("explain", "give a RULE-ID (or --list)")
    doc = explain_document(rule_id)
    text = json_text(doc) if report.format() == "json" else _table(doc)
    emit(text, report.output)
    finish(report, severities=(), unknowns=0)
