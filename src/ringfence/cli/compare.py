"""``ringfence compare``: packages and vulnerabilities between two images."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from ringfence.cli.common import ReportOptions, emit, finish, report_options
from ringfence.cli.fix import load_subject, open_store
from ringfence.cli.inventory import db_option, store_option
from ringfence.cli.options import image_options
from ringfence.report.jsontext import json_text

WIDTH = 80


@click.command("compare")
@click.argument("old")
@click.argument("new")
@report_options(["table", "json"], fail_on_help="Exit 1 when NEW introduces a "
                "vulnerability at or above this severity.", strict_help="Exit 4 when a "
                "package could not be matched, or there is no vulnerability database.")
@store_option
@db_option
@image_options
def compare_cmd(old: str, new: str, report: ReportOptions, store_url: str | None,
                db_path: Path | None, **kw: Any) -> None:
    """What changed from OLD to NEW (each an image reference, scanned now, or the
    manifest digest of a stored image): packages added, removed and changed, and
    vulnerabilities introduced and fixed (both matched against the current database;
    without one, packages only, and the vulnerabilities are reported as not compared).

    Exit codes: 0 compared; 1 --fail-on matched; 3 error; 4 unknowns under --strict.
    """
    from ringfence.errors import InputError
    from ringfence.respond.compare import compare
    from ringfence.respond.compare_document import compare as document
    from ringfence.respond.subject import is_digest
    from ringfence.vulndb.store import VulnStore, default_path

    store = open_store(store_url, needed=is_digest(old) or is_digest(new))
    try:
        a = load_subject(old, store, report.quiet, **kw)
        b = load_subject(new, store, report.quiet, **kw)
    finally:
        if store is not None:
            store.close()
    db = db_path or default_path()
    if db_path is not None and not db.is_file():
        raise InputError(str(db), "no vulnerability database at this path")
    if db.is_file():
        with VulnStore.open(db) as vulns:
            result = compare(a.inventory, b.inventory, vulns)
    else:
        result = compare(a.inventory, b.inventory, None)
        report.note(f"note: no vulnerability database at {db}; packages compared only")
    doc = document(a, b, result)
    if report.format() == "json":
        emit(json_text(doc), report.output)
    else:
        emit(table(doc), report.output)
    finish(report, severities=[m.severity for m in result.introduced or ()],
           unknowns=len(result.unknowns) + (result.introduced is None))


def table(doc: dict[str, Any]) -> str:
    """The comparison in 80 columns: counts, then one line per change."""
    pk, vu = doc["packages"], doc["vulnerabilities"]
    old, new = (i["digest"] or i["name"] for i in doc["images"])
    lines = [f"old: {old}", f"new: {new}",
             f"packages: {len(pk['added'])} added, {len(pk['removed'])} removed, "
             f"{len(pk['changed'])} changed"]
    lines += [f"  + {p['type']}:{p['name']} {p['version']}" for p in pk["added"]]
    lines += [f"  - {p['type']}:{p['name']} {p['version']}" for p in pk["removed"]]
    lines += [f"  ~ {c['type']}:{c['name']} {c['from']} -> {c['to']}" for c in pk["changed"]]
    if vu is None:
        lines.append("vulnerabilities: not compared (no vulnerability database)")
    else:
        lines.append(f"vulnerabilities: {len(vu['introduced'])} introduced, "
                     f"{len(vu['fixed'])} fixed")
        lines += [f"  + {v['id']} {v['severity']} {v['package']} {v['version']}"
                  for v in vu["introduced"]]
        lines += [f"  - {v['id']} {v['severity']} {v['package']} {v['version']}"
                  for v in vu["fixed"]]
    return "\n".join(_fit(x) for x in lines) + "\n"


def _fit(text: str) -> str:
    text = "".join(c if c.isprintable() else "?" for c in text)
    return text if len(text) <= WIDTH else text[:WIDTH - 1] + "…"
