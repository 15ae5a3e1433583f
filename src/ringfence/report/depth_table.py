"""The depth matrix as a rich table per workload: threat by ring, depth, chains.

A ring cell reads ``holds``, ``fails``, ``partial k/n`` (k of its n controls hold, the
others were not evaluated: never counted toward depth), ``not evaluated`` or ``—`` (no
control). Notes on what was not evaluated appear once: those shared by every workload
before the matrices, the rest under their workload. Fits the terminal (80 columns
included)."""

from __future__ import annotations

import io
import re
import shutil
from typing import Any, Final

from rich import box
from rich.console import Console
from rich.table import Table

from ringfence.report.text import finish, markup, plain

RINGS: Final = ("image", "host", "platform")
STYLE: Final = {"holds": "green", "fails": "red", "partial": "cyan",
                "not-evaluated": "yellow", "no-control": "dim"}
_DIGEST: Final = re.compile(r"@(sha256:[0-9a-f]{12})[0-9a-f]{52}")


def short(text: str) -> str:
    """``text`` with every sha256 digest cut to 12 hex digits (display only)."""
    return _DIGEST.sub(r"@\1…", text)


def _mark(ring: dict[str, Any]) -> str:
    label = "—" if ring["state"] == "no-control" else ring["label"]
    return f"[{STYLE[ring['state']]}]{markup(label)}[/]"


def _matrix(w: dict[str, Any]) -> Table:
    table = Table(box=box.SIMPLE_HEAD, pad_edge=False, show_edge=False,
                  padding=0)  # the box draws one space between columns
    table.add_column("threat", overflow="fold", ratio=1)
    for col in RINGS:
        table.add_column(col, no_wrap=True)
    table.add_column("depth", no_wrap=True, justify="right")
    for t in w["threats"]:
        rings = {r["ring"]: r for r in t["rings"]}
        table.add_row(markup(t["threat"]), *(_mark(rings[n]) for n in RINGS),
                      f"{t['depth']}/3")
    return table


def render_depth_table(doc: dict[str, Any], width: int | None = None) -> str:
    width = width or shutil.get_terminal_size((80, 24)).columns
    buf = io.StringIO()
    # emoji=False: ":smile:" in a workload name stays text (markup() escapes only "[")
    console = Console(file=buf, width=width, force_terminal=False, color_system=None,
                      emoji=False, highlight=False)
    s = doc["summary"]
    cells = s.get("cells", {})
    console.print(f"{s['workloads']} workloads, {s['open_chains']} open chains")
    console.print(f"ring cells: {cells.get('holds', 0)} hold, {cells.get('fails', 0)} fail, "
                  f"{s.get('partial_cells', 0)} partial (not counted), "
                  f"{s['not_evaluated_cells']} not evaluated")
    console.print("Inputs:")
    for src in doc["sources"]:
        console.print(f"  {plain(short(src['input']))}: {plain(short(src['status']))}",
                      markup=False)
    if doc["notes"]:
        console.print("Not evaluated for every workload:")
        for note in doc["notes"]:
            console.print(f"  {plain(short(note))}", markup=False)
    for w in doc["workloads"]:
        console.print()
        console.print(f"[bold]{markup(w['ref'])}[/]")
        if w["images"]:
            console.print(f"  images: {plain(short(', '.join(w['images'])))}", markup=False)
        console.print(_matrix(w))
        for c in w["chains"]:
            steps = " -> ".join(f"{st['label']} [{st['state']}]" for st in c["steps"])
            console.print(plain(f"  chain {c['status'].upper()} {c['title']}: {steps} -> "
                                f"{c['outcome']}"), markup=False)
        for note in w["notes"]:
            console.print(f"  not evaluated: {plain(short(note))}", markup=False)
    return finish(buf.getvalue())
