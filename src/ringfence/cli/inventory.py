"""``ringfence inventory add|list|show|rm``: the inventory store of security response."""

from __future__ import annotations

import functools
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click

from ringfence.cli.common import ReportOptions, emit, finish, report_options
from ringfence.cli.options import image_options
from ringfence.errors import InputError
from ringfence.model.result import ScanResult
from ringfence.report.jsontext import json_text
from ringfence.store.db import InventoryStore
from ringfence.store.record import ImageRecord
from ringfence.store.url import ENV


def store_option(func: Callable[..., Any]) -> Callable[..., Any]:
    @click.option("--store", "store_url", metavar="URL", default=None,
                  help=f"Inventory store: sqlite:///PATH or postgresql://… (default: "
                  f"${ENV}, else $XDG_DATA_HOME/ringfence/inventory.sqlite).")
    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        return func(*args, **kwargs)

    return wrapper


def db_option(func: Callable[..., Any]) -> Callable[..., Any]:
    @click.option("--db", "db_path", type=click.Path(dir_okay=False, path_type=Path),
                  help="Vulnerability database (default: the one `ringfence db update` "
                  "writes; without one, only the inventory is recorded).")
    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        return func(*args, **kwargs)

    return wrapper


def record_of(result: ScanResult, ref: str, path: str | None = None,
              before: str | None = None) -> ImageRecord:
    """The store's record of a scan; an SBOM (``path``) is keyed by its file's digest,
    read before (``before``) and after the scan: a file that changed meanwhile is refused."""
    from ringfence.respond.record import build, file_digest

    digest = None
    if path is not None:
        digest = file_digest(path)
        if before is not None and digest != before:
            raise InputError(path, "the SBOM changed while it was read; nothing was recorded")
    return build(result, ref, digest)


def check_pinned(path: str, pinned: str | None) -> str:
    """The SBOM file's digest; one that is not the pinned ``sbom:FILE@sha256:…`` is refused."""
    from ringfence.respond.record import file_digest

    digest = file_digest(path)
    if pinned is not None and digest != pinned:
        raise InputError(path, f"SBOM digest {digest} does not match the pinned {pinned}",
                         hint="nothing was recorded")
    return digest


@click.group("inventory")
def inventory_group() -> None:
    """The inventory store: images recorded by manifest digest (refs, layers, packages,
    findings), for `ringfence affected` and security response."""


@inventory_group.command("add")
@click.argument("refs", nargs=-1, required=True)
@report_options(["table", "json"], fail_on_help="Accepted for the common contract: "
                "recording has no findings.")
@store_option
@db_option
@image_options
def add_cmd(refs: tuple[str, ...], report: ReportOptions, store_url: str | None,
            db_path: Path | None, **kw: Any) -> None:
    """Record REF… (an image reference, or sbom:FILE[@sha256:DIGEST]) in the store. All
    are scanned first and written in one transaction: an error records none of them."""
    from ringfence.cli.sbom import scan
    from ringfence.report.processors import Filters
    from ringfence.respond.documents import inventory_add
    from ringfence.respond.record import split_sbom_ref
    from ringfence.scan import add_vulnerabilities
    from ringfence.vulndb.store import default_path

    db = db_path or default_path()
    records: list[ImageRecord] = []
    unknowns = 0
    with InventoryStore.open(store_url) as store:  # an unreachable store fails before scanning
        for ref in refs:
            target, pinned = split_sbom_ref(ref)
            path = target[len("sbom:"):] if target.startswith("sbom:") else None
            before = check_pinned(path, pinned) if path is not None else None
            result = scan(target, quiet=report.quiet, **kw)
            if db_path is not None or db.is_file():
                result = add_vulnerabilities(result, db, Filters())
            unknowns += len({*result.inventory.unknowns, *result.unknowns})
            records.append(record_of(result, target, path, before))
        if db_path is None and not db.is_file():
            report.note(f"note: no vulnerability database at {db}; recording inventories only")
        added = store.add(*records)
        store.optimize()  # planner statistics (bench/store.py: 0.8 s on PostgreSQL at 10k)
        doc = inventory_add(store.url.display(), list(zip(records, added, strict=True)))
    if report.format() == "json":
        emit(json_text(doc), report.output)
    else:
        emit("".join(f"{'added' if a['new'] else 'ref added'}  {a['digest']}  {a['ref']}  "
                     f"{a['packages']} packages, {a['vulnerabilities']} vulnerabilities\n"
                     for a in doc["added"]), report.output)
    finish(report, severities=(), unknowns=unknowns)


@inventory_group.command("list")
@report_options(["table", "json"], fail_on_help="Accepted for the common contract.")
@store_option
def list_cmd(report: ReportOptions, store_url: str | None) -> None:
    """Every image in the store."""
    from ringfence.respond.documents import inventory_list

    with InventoryStore.open(store_url) as store:
        doc = inventory_list(store.url.display(), store.images())
    if report.format() == "json":
        emit(json_text(doc), report.output)
    else:
        emit("".join(f"{i['digest']}  {i['packages']:>5} packages  {i['distro'] or '-'}  "
                     f"{', '.join(i['refs'])}\n" for i in doc["images"]), report.output)
    finish(report, severities=(), unknowns=0)


@inventory_group.command("show")
@click.argument("digest")
@report_options(["table", "json"], fail_on_help="Exit 1 when a stored vulnerability of the "
                "image is at or above this severity.")
@store_option
def show_cmd(digest: str, report: ReportOptions, store_url: str | None) -> None:
    """The stored record of DIGEST: refs, layers, packages and their vulnerabilities."""
    from ringfence.model.finding import Severity
    from ringfence.respond.documents import inventory_show

    with InventoryStore.open(store_url) as store:
        record = store.image(digest)
        if record is None:
            raise InputError(digest, "no such image in the inventory store",
                             hint="`ringfence inventory list` shows what is stored")
        doc = inventory_show(store.url.display(), record)
    if report.format() == "json":
        emit(json_text(doc), report.output)
    else:
        lines = [f"{record.digest}  {', '.join(record.refs)}", f"layers: {len(record.layers)}"]
        lines += [f"  {p['purl']}  layer {p['layer'] or '-'}"
                  + "".join(f"\n    {v['id']} {v['severity']} fixed: "
                            f"{', '.join(v['fixed_versions']) or '-'}"
                            for v in p["vulnerabilities"]) for p in doc["packages"]]
        emit("\n".join(lines) + "\n", report.output)
    finish(report, severities=[Severity.parse(f.severity) for f in record.findings],
           unknowns=0)


@inventory_group.command("rm")
@click.argument("digest")
@store_option
def rm_cmd(digest: str, store_url: str | None) -> None:
    """Forget DIGEST (every ref of it). Exit 3 when it is not stored."""
    with InventoryStore.open(store_url) as store:
        if not store.remove(digest):
            raise InputError(digest, "no such image in the inventory store")
    click.echo(f"removed {digest}", err=True)
