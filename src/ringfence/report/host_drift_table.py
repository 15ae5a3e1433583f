"""Table of a ``ringfence.host-drift/1`` document: one line per drifted value, then what
to do next."""

from __future__ import annotations

import io
from collections.abc import Mapping
from typing import Any

from ringfence.report.text import cell, default_width, finish, text_console


def render_host_drift_table(doc: Mapping[str, Any], width: int | None = None) -> str:
    from rich.table import Table

    width = width or default_width()
    buf = io.StringIO()
    console = text_console(buf, width)
    base = doc["baseline"]
    console.print(cell(f"Host {doc['target']['name']} against the baseline of "
                       f"{base['created']} ({base['facts']} values, {base['files']} files)"))
    if doc["changes"]:
        table = Table(show_header=True, header_style="bold", expand=False)
        for name in ("SEVERITY", "RULE", "WHAT CHANGED", "WHERE"):
            table.add_column(name, overflow="fold")
        for finding in doc["findings"]:
            table.add_row(cell(finding["severity"].upper()), cell(finding["rule"]),
                          cell(finding["message"]), cell(finding["location"]))
        console.print(table)
    for unknown in doc["unknowns"]:
        console.print(cell(f"? {unknown['location']}: {unknown['reason']}"))
    counts = doc["counts"]
    console.print(cell(f"{counts['added']} added, {counts['removed']} removed, "
                       f"{counts['changed']} changed; {len(doc['unknowns'])} not readable"))
    if doc["changes"]:
        console.print(cell("Next: re-apply the declared configuration (or review and take a "
                           "new signed baseline with `ringfence host baseline create`); "
                           "`ringfence explain HOST-1xx` describes each rule."))
    return finish(buf.getvalue())

