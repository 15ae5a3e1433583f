"""Table of a ``ringfence.host-declared/1`` document: what would change, what could not be
evaluated, and what to do next."""

from __future__ import annotations

import io
from collections.abc import Mapping
from typing import Any

from ringfence.report.text import cell, default_width, finish, text_console


def render_host_declared_table(doc: Mapping[str, Any], width: int | None = None) -> str:
    from rich.table import Table

    width = width or default_width()
    buf = io.StringIO()
    console = text_console(buf, width)
    console.print(cell(f"Host {doc['target']['name']} against {doc['declared']['kind']} "
                       f"{doc['declared']['source']}"))
    changing = [i for i in doc["items"] if i["status"] == "would change"]
    if changing:
        table = Table(show_header=True, header_style="bold", expand=False)
        for name in ("DECLARED", "WHERE", "WOULD CHANGE"):
            table.add_column(name, overflow="fold")
        for item in changing:
            table.add_row(cell(item["name"]), cell(item["location"]),
                          cell(item["reason"] if item["source"] == "cloud-init"
                               else ", ".join(item["files"]) or item["action"]))
        console.print(table)
        for item in changing:
            if item["diff"]:
                console.print(cell(f"--- {item['name']} ({item['location']})"))
                console.print(cell(item["diff"].rstrip("\n")))
    for unknown in doc["unknowns"]:
        console.print(cell(f"? {unknown['location']}: {unknown['reason']}"))
    counts = doc["counts"]
    console.print(cell(", ".join(f"{n} {status}" for status, n in sorted(counts.items()))
                       or "no tasks"))
    if changing:
        console.print(cell("Next: apply the declared configuration, or change the declaration "
                           "where the host's state is the intended one."))
    return finish(buf.getvalue())
