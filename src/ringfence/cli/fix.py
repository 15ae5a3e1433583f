"""``ringfence fix``: the remediation plan of an image (``respond/remediation*.py``)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from ringfence.cli.common import ReportOptions, emit, finish, report_options
from ringfence.cli.inventory import db_option, store_option
from ringfence.cli.options import image_options
from ringfence.errors import InputError
from ringfence.report.jsontext import json_text

if TYPE_CHECKING:
    from ringfence.respond.remediation import Plan
    from ringfence.respond.remediation_base import BaseAdvice
    from ringfence.respond.subject import Subject
    from ringfence.store.db import InventoryStore


def open_store(store_url: str | None, needed: bool) -> InventoryStore | None:
    """The store named by ``--store`` / ``$RINGFENCE_STORE``, or the default one when it
    exists; None when none is named and there is no default (nothing is created), unless
    ``needed`` (a digest can only be read from a store)."""
    from ringfence.store.db import InventoryStore
    from ringfence.store.url import ENV, default_path

    if store_url or os.environ.get(ENV) or needed or default_path().is_file():
        return InventoryStore.open(store_url)
    return None


def load_subject(ref: str, store: InventoryStore | None, quiet: bool, **kw: Any) -> Subject:
    """A stored image by manifest digest, else a scan of ``ref``."""
    from ringfence.cli.sbom import scan
    from ringfence.respond.subject import from_record, from_scan, is_digest

    if is_digest(ref):
        record = store.image(ref) if store is not None else None
        if record is None:
            raise InputError(ref, "no such image in the inventory store",
                             hint="`ringfence inventory list` shows what is stored; or name "
                             "the image by reference to scan it")
        return from_record(ref, record)
    return from_scan(ref, scan(ref, quiet=quiet, **kw))


def vuln_db(db_path: Path | None) -> Path:
    from ringfence.vulndb.store import default_path

    db = db_path or default_path()
    if not db.is_file():
        raise InputError(str(db), "no vulnerability database",
                         hint="`ringfence db update`, or --db FILE")
    return db


@click.command("fix")
@click.argument("ref")
@report_options(["table", "json", "script"], fail_on_help="Exit 1 when the image has a "
                "finding at or above this severity (whether or not the plan clears it).",
                strict_help="Exit 4 when a package could not be matched or planned (e.g. a "
                "version its scheme cannot parse).")
@store_option
@db_option
@image_options
def fix_cmd(ref: str, report: ReportOptions, store_url: str | None, db_path: Path | None,
            **kw: Any) -> None:
    """The remediation plan of REF (an image reference, scanned now) or DIGEST (a stored
    image): per vulnerable package the smallest version that clears every advisory
    matched on it ("no fix" when none does), ordered by findings cleared; with a store,
    base-image advice (the stored image this one is built on, and stored images of the
    same distribution with fewer findings).

    -f script prints the ecosystem's own commands (apt-get, pip, npm, apk, dnf, …).

    Exit codes: 0 planned; 1 --fail-on matched; 3 error (no database, unknown digest,
    unreachable store); 4 unknowns under --strict.
    """
    from ringfence.respond.remediation import plan
    from ringfence.respond.remediation_base import advise
    from ringfence.respond.remediation_document import fix
    from ringfence.respond.remediation_script import script
    from ringfence.respond.subject import is_digest
    from ringfence.store.db import InventoryStore
    from ringfence.vulndb.store import VulnStore

    db = vuln_db(db_path)
    store = open_store(store_url, needed=is_digest(ref))
    try:
        subject = load_subject(ref, store, report.quiet, **kw)
        with VulnStore.open(db) as vulns:
            result = plan(subject.inventory, vulns)
        base = advise(store, subject.layers, subject.digest) if store is not None else None
        where = store.url.display() if isinstance(store, InventoryStore) else None
    finally:
        if store is not None:
            store.close()
    doc = fix(subject, result, base, where)
    fmt = report.format()
    if fmt == "json":
        emit(json_text(doc), report.output)
    elif fmt == "script":
        emit(script(result, subject.digest or subject.name), report.output)
    else:
        emit(table(doc, result, base), report.output)
    finish(report, severities=[m.severity for u in result.upgrades for m in u.findings],
           unknowns=len(result.unknowns))


def table(doc: dict[str, Any], result: Plan, base: BaseAdvice | None) -> str:
    """The plan for a terminal (80 columns): one line per package, then the base advice."""
    head = [str(doc["image"]["digest"] or doc["image"]["name"]),
            f"{result.cleared} of {result.findings} finding(s) cleared by "
            f"{sum(1 for u in result.upgrades if u.target)} upgrade(s)"]
    lines = [*head, f"{'CLEARS':>6}  {'SEV':<8} {'PACKAGE':<26} {'INSTALLED':<16} TARGET"]
    for u in result.upgrades:
        lines.append(f"{u.cleared:>6}  {u.worst.name.lower():<8} "
                     f"{_cut(f'{u.type}:{u.name}', 26):<26} {_cut(u.installed, 16):<16} "
                     f"{_cut(u.target or 'no fix', 19)}")
        if u.target is None:
            lines.append(f"{'':8}no version clears {', '.join(u.blocking)}")
    if base is None:
        lines.append("base image: no inventory store, no advice")
    elif base.base is None:
        lines.append("base image: no stored image is a layer prefix of this one")
    else:
        b = base.base
        lines.append(f"base image: {_cut(', '.join(b.refs) or b.digest, 50)} "
                     f"({b.findings} finding(s))")
        lines += [f"  alternative: {_cut(', '.join(c.refs) or c.digest, 44)} "
                  f"({c.findings} finding(s))" for c in base.candidates]
        if not base.candidates:
            lines.append("  no stored image of the same distribution has fewer findings")
    return "\n".join(_cut(x, 80) for x in lines) + "\n"


def _cut(text: str, width: int) -> str:
    """``text`` in ``width`` columns, printable (a hostile name cannot move the cursor)."""
    text = "".join(c if c.isprintable() else "?" for c in text)
    return text if len(text) <= width else text[:width - 1] + "…"
