"""``ringfence changes``: what re-matches after vulnerability-DB changes found (the nightly
gate), and the change-set summary ``db import|update --store`` prints."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from ringfence.cli.common import ReportOptions, emit, finish, report_options
from ringfence.cli.inventory import store_option
from ringfence.errors import InputError
from ringfence.report.jsontext import json_text
from ringfence.store.url import resolve


@click.command("changes")
@click.option("--since", metavar="TIME", default=None,
              help="Only change sets from TIME on: ISO 8601 (2026-12-01, "
                   "2026-12-01T08:00:00Z) or a duration ago (24h, 7d).")
@click.option("--notify", metavar="URL", default=None,
              help="POST the JSON document to URL (an error when it is not delivered).")
@report_options(["table", "json"], fail_on_help="Exit 1 when a NEW finding at or above this "
                "severity appeared (the nightly gate).", strict_help="Accepted for the common "
                "contract (changes have no unknowns).")
@store_option
def changes_cmd(since: str | None, notify: str | None, report: ReportOptions,
                store_url: str | None) -> None:
    """The changes re-matching found after `db import|update --store`: per image, new and
    resolved findings and severity changes, with package, advisory and time.

    Exit codes: 0 listed; 1 --fail-on: a new finding at or above it; 3 error (unparsable
    --since, no store, unreachable store or --notify URL, newer store schema; with
    --fail-on: no re-match recorded in the window, so the gate cannot tell).
    """
    from ringfence.respond.changes import document, new_severities, parse_since
    from ringfence.respond.changes import notify as post
    from ringfence.store import changes as change_sets
    from ringfence.store.db import InventoryStore

    since_at = parse_since(since) if since is not None else None
    where = resolve(store_url)
    if where.dialect == "sqlite" and not Path(where.target).is_file():
        # a mistyped path must not read as "no changes" (a nightly gate passing)
        raise InputError(where.target, "no inventory store here",
                         hint="record images first (`ringfence inventory add`), or fix --store")
    with InventoryStore.open(where) as store:
        rows = change_sets.read(store, since_at)
        doc = document(store.url.display(), rows, since_at, change_sets.count_sets(store,
                                                                                  since_at))
    emit(json_text(doc) if report.format() == "json" else table(doc),
         report.output)
    if notify is not None:
        post(notify, doc)
        report.note(f"notified {notify}: {len(rows)} change(s)")
    # no re-match in the window (the nightly `db update --store` did not run): the gate
    # cannot tell whether anything new appeared
    idle = None if doc["change_sets"] else InputError(
        where.display(), "no re-match recorded" + (f" since {since_at}" if since_at else ""),
        hint="run `ringfence db update --store URL` (or `db import … --store URL`) first")
    if idle is not None:
        report.note(f"warning: {idle.message}")
    finish(report, severities=new_severities(rows), unknowns=0, cannot_gate=idle)


def table(doc: dict[str, Any]) -> str:
    rows = [("AT", "CHANGE", "SEVERITY", "ADVISORY", "PACKAGE", "IMAGE")]
    for c in doc["changes"]:
        sev = c["severity"] or "-"
        if c["change"] == "severity":
            sev = f"{c['old_severity']}->{c['severity']}"
        image = ", ".join(c["refs"]) or c["image"]
        rows.append((c["at"], c["change"], sev, c["advisory"], c["package"], image))
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    lines = ["  ".join(v.ljust(w) for v, w in zip(r, widths, strict=True)).rstrip()
             for r in rows]
    counts = {k: sum(1 for c in doc["changes"] if c["change"] == k)
              for k in ("new", "resolved", "severity")}
    lines.append(f"{len(doc['changes'])} change(s): {counts['new']} new, "
                 f"{counts['resolved']} resolved, {counts['severity']} severity")
    return "\n".join(lines) + "\n"
