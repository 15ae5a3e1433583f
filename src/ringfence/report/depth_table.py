"""The depth matrix as a rich table per workload: threat by ring, depth, chains."""

from __future__ import annotations

import io
from typing import Any, Final

from rich.console import Console
from rich.table import Table

MARK: Final = {"holds": "[green]holds[/]", "fails": "[red]fails[/]",
               "partial": "[cyan]partial[/]",
               "not-evaluated": "[yellow]not evaluated[/]", "no-control": "[dim]—[/]"}


def _mark(ring: dict[str, Any]) -> str:
    if ring["state"] == "partial":
        return f"[cyan]partial {ring['holding']}/{ring['controls']}[/]"
    return MARK[ring["state"]]


def _matrix(w: dict[str, Any]) -> Table:
    table = Table(title=f"{w['ref']}  ({', '.join(w['images'])})", title_justify="left")
    for col in ("threat", "image", "host", "platform", "depth"):
        table.add_column(col)
    for t in w["threats"]:
        rings = {r["ring"]: r for r in t["rings"]}
        table.add_row(t["threat"], *(_mark(rings[n]) for n in ("image", "host", "platform")),
                      f"{t['depth']}/3")
    return table


def render_depth_table(doc: dict[str, Any], width: int = 110) -> str:
    buf = io.StringIO()
    console = Console(file=buf, width=width, force_terminal=False, color_system=None)
    s = doc["summary"]
    console.print(f"{s['workloads']} workloads, {s['not_evaluated_cells']} ring cells not "
                  f"evaluated, {s['open_chains']} open chains")
    for src in doc["sources"]:
        console.print(f"  {src['input']}: {src['status']}", markup=False)
    for w in doc["workloads"]:
        console.print(_matrix(w))
        for c in w["chains"]:
            steps = " -> ".join(f"{st['label']} [{st['state']}]" for st in c["steps"])
            console.print(f"  chain {c['status'].upper()} {c['title']}: {steps} -> "
                          f"{c['outcome']}", markup=False)
        not_eval = {r["reason"] for t in w["threats"] for r in t["rings"]
                    if r["state"] == "not-evaluated"}
        for reason in sorted(not_eval):
            console.print(f"  not evaluated: {reason}", markup=False)
    return buf.getvalue()
