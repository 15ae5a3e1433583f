"""The history/provenance section of the image table: allow-list state, OCI annotations
and labels, who/what made each layer, attestations (builder, source) and the policy verdict.
Reads the JSON-ready section the provenance scanner put in ScanResult.analyses.
Everything in it comes from the image (annotations, labels, history, attestations): every
line and cell is a ``Text`` built with ``cell`` (never markup, controls replaced)."""

from __future__ import annotations

from typing import Any

from rich.console import Console
from rich.table import Table

from ringfence.report.text import cell


def render_provenance(console: Console, section: dict[str, Any] | None) -> None:
    if not section:
        return
    allow = section.get("allow_list") or {}
    console.print(cell(f"trusted registries: {allow.get('state', '')}"
                       + (f" ({allow['registry']})" if allow.get("registry") else "")))
    for key, found in (section.get("oci") or {}).items():
        console.print(cell(f"  {key} = {found['value']} ({found['from']})"))
    _history(console, section.get("history") or [])
    _attestations(console, section.get("attestations") or [])
    policy = section.get("policy")
    if policy is not None:
        state = "accepted" if policy["allowed"] else "REJECTED"
        console.print(cell(f"trust policy: {state} (scope {policy['scope']})"))
        for r in policy["requirements"]:
            console.print(cell(f"  {r['type']}: {'ok' if r['accepted'] else 'no'} - "
                               f"{r['reason']}"))
    for note in section.get("notes") or []:
        console.print(cell(f"note: {note}"))


def _history(console: Console, history: list[dict[str, Any]]) -> None:
    if not history:
        return
    table = Table(title=f"history ({len(history)})", title_justify="left")
    for col in ("layer", "created", "author", "created_by"):
        table.add_column(col, overflow="fold")
    for h in history:
        layer = "(empty)" if h["empty_layer"] else str(h["layer"])
        table.add_row(cell(layer), cell(h["created"] or ""), cell(h["author"] or ""),
                      cell(h["created_by"] or h["comment"] or ""))
    console.print(table)


def _attestations(console: Console, atts: list[dict[str, Any]]) -> None:
    """One block of field/value rows per attestation (URLs stay on one line)."""
    if not atts:
        return
    table = Table(title=f"attestations ({len(atts)})", title_justify="left")
    for col in ("#", "field", "value"):
        table.add_column(col, overflow="fold")
    for n, a in enumerate(atts, 1):
        verified = {True: "yes", False: f"NO: {a['problem']}", None: "not checked"}[
            a["verified"]]
        rows = [("where", a["where"]), ("predicate", a["predicate_type"] or a["problem"]),
                ("verified", verified), ("builder", a["builder_id"]),
                ("build type", a["build_type"]), ("source", a["source_repository"]),
                ("revision", a["source_revision"]),
                ("subjects", ", ".join(d for s in a["subjects"] for d in s["digests"]))]
        for i, (name, value) in enumerate((r for r in rows if r[1]), 0):
            table.add_row(str(n) if i == 0 else "", name, cell(value),
                          end_section=name == "subjects")
    console.print(table)
