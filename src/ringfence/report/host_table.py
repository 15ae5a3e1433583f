"""The host report document (ringfence.host.summary) as rich tables: facts, rules, findings.

Every string of the document may come from the host root (os-release, sshd_config, daemon
configs): cells are ``Text`` (no markup, controls replaced) and the output is guarded."""

from __future__ import annotations

import io
from collections.abc import Mapping
from typing import Any

from rich.table import Table

from ringfence.report.text import cell, default_width, finish, text_console


def _table(title: str, columns: tuple[str, ...], rows: list[tuple[str, ...]]) -> Table:
    table = Table(title=cell(title), title_justify="left")
    for col in columns:
        table.add_column(col, overflow="fold")
    for row in rows:
        table.add_row(*(cell(v) for v in row))
    return table


def render_host_table(doc: Mapping[str, Any], width: int | None = None) -> str:
    buf = io.StringIO()
    console = text_console(buf, width or default_width())
    target = doc["target"]
    console.print(cell(f"host {target['name']} "
                       f"({'live' if target['live'] else 'mounted root'})"))
    console.print(_table("facts", ("fact", "value", "source / status"), [
        (f["name"], "" if f["value"] is None else str(f["value"]),
         f["source"] if f["status"] == "read" else f["status"]) for f in doc["facts"]]))
    console.print(_table("rules", ("id", "severity", "status", "title", "references"), [
        (r["id"], r["severity"], r["status"] + (f" (needs {r['needs']})" if r["needs"] else ""),
         r["title"], ", ".join(map(str, r["references"]))) for r in doc["rules"]]))
    if doc["findings"]:
        console.print(_table(f"findings ({len(doc['findings'])})",
                             ("rule", "severity", "message", "location"),
                             [(x["rule"], x["severity"], x["message"], x["location"])
                              for x in doc["findings"]]))
    if doc["unknowns"]:
        console.print(_table(f"unknowns ({len(doc['unknowns'])})", ("location", "reason"),
                             [(u["location"], u["reason"]) for u in doc["unknowns"]]))
    status = [r["status"] for r in doc["rules"]]
    console.print(f"{status.count('failed')} failed, {status.count('held')} held, "
                  f"{status.count('not evaluated')} not evaluated, "
                  f"{len(doc['unknowns'])} unknowns")
    return finish(buf.getvalue())
