"""The host report document (ringfence.host.summary) for people: findings, rules, facts.

Every string of the document may come from the host root (os-release, sshd_config, daemon
configs): cells are ``Text`` (no markup, controls replaced) and the output is guarded."""

from __future__ import annotations

import io
from collections.abc import Mapping
from typing import Any

from rich.table import Table

from ringfence.report.findings_table import render_findings
from ringfence.report.text import cell, default_width, finish, text_console


def _table(title: str, columns: tuple[str, ...], rows: list[tuple[str, ...]]) -> Table:
    table = Table(title=cell(title), title_justify="left")
    for col in columns:
        table.add_column(col, overflow="fold")
    for row in rows:
        table.add_row(*(cell(v) for v in row))
    return table


def render_host_table(doc: Mapping[str, Any], width: int | None = None) -> str:
    """Findings first (total, grouped by severity, each with its rule's fix), then every
    rule's status, then the facts they were judged on."""
    width = width or default_width()
    buf = io.StringIO()
    console = text_console(buf, width)
    target = doc["target"]
    console.print(cell(f"host {target['name']} "
                       f"({'live' if target['live'] else 'mounted root'})"))
    fixes = {r["id"]: r["remediation"] for r in doc["rules"]}
    for line in render_findings(doc["findings"], doc["unknowns"], remediation=fixes,
                                width=width):
        console.print(cell(line))
    console.print()
    console.print(_table("rules", ("id", "severity", "status", "title", "references"), [
        (r["id"], r["severity"], r["status"] + (f" (needs {r['needs']})" if r["needs"] else ""),
         r["title"], ", ".join(map(str, r["references"]))) for r in doc["rules"]]))
    console.print(_table("facts", ("fact", "value", "source / status"), [
        (f["name"], "" if f["value"] is None else str(f["value"]),
         f["source"] if f["status"] == "read" else f["status"]) for f in doc["facts"]]))
    status = [r["status"] for r in doc["rules"]]
    console.print(f"{status.count('failed')} failed, {status.count('held')} held, "
                  f"{status.count('not evaluated')} not evaluated, "
                  f"{len(doc['unknowns'])} unknowns")
    return finish(buf.getvalue())
