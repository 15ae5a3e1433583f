"""``ringfence affected``: which stored images carry an advisory or a package."""

from __future__ import annotations

from pathlib import Path

import click

from ringfence.cli.common import ReportOptions, emit, finish, report_options
from ringfence.cli.inventory import db_option, store_option
from ringfence.model.finding import Severity
from ringfence.report.jsontext import json_text
from ringfence.store.db import InventoryStore


@click.command("affected")
@click.argument("query")
@report_options(["table", "json"], fail_on_help="Exit 1 when an affected package's "
                "vulnerability is at or above this severity.", strict_help="Exit 4 when a "
                "stored package could not be matched (e.g. a version the scheme cannot parse).")
@store_option
@db_option
def affected_cmd(query: str, report: ReportOptions, store_url: str | None,
                 db_path: Path | None) -> None:
    """Every stored image that carries QUERY: an advisory id or alias (CVE-…, GHSA-…,
    DSA-…; matched against the current vulnerability database) or a package URL
    (pkg:TYPE/NAME[@VERSION]; with the findings recorded when the image was added). A
    version range is written in purl-spec's vers syntax after the '@', compared with the
    scheme matching uses: 'pkg:pypi/requests@vers:pypi/>=2.0|<2.31' (quote the '|').

    Exit codes: 0 answered; 1 --fail-on matched; 3 error (unknown advisory, no database,
    unreachable store); 4 unknowns under --strict.
    """
    from ringfence.respond import affected
    from ringfence.respond.documents import affected as document
    from ringfence.vulndb.store import VulnStore, default_path

    with InventoryStore.open(store_url) as store:
        if affected.is_purl(query):
            answer = affected.by_purl(store, query)
        else:
            with VulnStore.open(db_path or default_path()) as vulns:
                answer = affected.by_advisory(store, vulns, query)
        doc = document(store.url.display(), answer)
    if report.format() == "json":
        emit(json_text(doc), report.output)
    else:
        rows = [f"{r['digest']}  {r['purl']}  layer {r['layer'] or '-'}  "
                f"{r['advisory'] or '-'} {r['severity'] or ''}  fixed: "
                f"{', '.join(r['fixed_versions']) or '-'}  refs: {', '.join(r['refs'])}"
                for r in doc["affected"]]
        head = f"{query}: {doc['images']} image(s) affected"
        emit("\n".join([head, *rows]) + "\n", report.output)
    finish(report, severities=[Severity.parse(r.severity) for r in answer.rows if r.severity],
           unknowns=len(answer.unknowns))
