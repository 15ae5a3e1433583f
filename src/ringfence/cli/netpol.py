"""``ringfence netpol matrix``: which workloads reach which, on which ports."""

from __future__ import annotations

import json

import click

from ringfence.cli.common import ReportOptions, emit, finish, report_options
from ringfence.k8s.load import load_paths
from ringfence.k8s.netpol.connlist import Connection, connections, render
from ringfence.k8s.netpol.evaluate import Network
from ringfence.k8s.netpol.parse import build_cluster
from ringfence.report.text import plain

SCHEMA = "ringfence.netpol-matrix/1"


@click.group("netpol")
def netpol_cmd() -> None:
    """NetworkPolicy analysis: connectivity between workloads, namespaces and the outside."""


@netpol_cmd.command("matrix")
@click.argument("paths", nargs=-1, required=True, type=click.Path(exists=True))
@click.option("-n", "--namespace", default=None,
              help="Only connections with at least one end in NAMESPACE.")
@report_options(["table", "json", "connlist"],
                fail_on_help="Accepted for the common contract; the matrix has no findings.")
def matrix_cmd(paths: tuple[str, ...], namespace: str | None, report: ReportOptions) -> None:
    """Allowed connections between the workloads in PATHS (files or directories).
    connlist is netpol-analyzer's line format, diffable line by line."""
    manifests = load_paths(paths)
    cluster = build_cluster(manifests.objects)
    for unknown in manifests.unknowns:
        report.note(f"warning: {plain(unknown.location)}: {plain(unknown.reason)}")
    for problem in cluster.problems:
        report.note(f"warning: {plain(problem)}")
    conns = connections(Network(cluster), namespace)
    fmt = report.format()
    if fmt == "connlist":
        text = render(conns)
    elif fmt == "json":
        text = json.dumps({"schema": SCHEMA, "connections": [c.as_dict() for c in conns],
                           "problems": list(cluster.problems),
                           "unknowns": [u.to_dict() for u in manifests.unknowns]},
                          indent=2) + "\n"
    else:
        text = _table(conns)
    emit(text, report.output)
    finish(report, severities=(), unknowns=len(manifests.unknowns))


def _table(conns: list[Connection]) -> str:
    rows = [("SOURCE", "DESTINATION", "CONNECTIONS")]
    rows += [(plain(c.src), plain(c.dst), plain(c.conns)) for c in conns]
    w0 = max(len(r[0]) for r in rows)
    w1 = max(len(r[1]) for r in rows)
    return "".join(f"{a:<{w0}}  {b:<{w1}}  {c}\n" for a, b, c in rows)
