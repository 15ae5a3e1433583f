"""``ringfence netpol matrix``: which workloads reach which, on which ports."""

from __future__ import annotations

import json

import click

from ringfence.errors import EXIT_UNKNOWNS
from ringfence.k8s.load import load_paths
from ringfence.k8s.netpol.connlist import Connection, connections, render
from ringfence.k8s.netpol.evaluate import Network
from ringfence.k8s.netpol.parse import build_cluster

SCHEMA = "ringfence.netpol.matrix/1"


@click.group("netpol")
def netpol_cmd() -> None:
    """NetworkPolicy analysis: connectivity between workloads, namespaces and the outside."""


@netpol_cmd.command("matrix")
@click.argument("paths", nargs=-1, required=True, type=click.Path(exists=True))
@click.option("-n", "--namespace", default=None,
              help="Only connections with at least one end in NAMESPACE.")
@click.option("-f", "--format", "fmt", type=click.Choice(["table", "json", "connlist"]),
              default="table", show_default=True,
              help="connlist: netpol-analyzer's line format, diffable line by line.")
@click.option("--strict", is_flag=True, help="Exit 4 when a document could not be read.")
def matrix_cmd(paths: tuple[str, ...], namespace: str | None, fmt: str, strict: bool) -> None:
    """Allowed connections between the workloads in PATHS (files or directories)."""
    manifests = load_paths(paths)
    cluster = build_cluster(manifests.objects)
    for unknown in manifests.unknowns:
        click.echo(f"warning: {unknown.location}: {unknown.reason}", err=True)
    for problem in cluster.problems:
        click.echo(f"warning: {problem}", err=True)
    conns = connections(Network(cluster), namespace)
    if fmt == "connlist":
        click.echo(render(conns), nl=False)
    elif fmt == "json":
        click.echo(json.dumps({"schema": SCHEMA, "connections": [c.as_dict() for c in conns],
                               "problems": list(cluster.problems)}, indent=2))
    else:
        click.echo(_table(conns), nl=False)
    if strict and manifests.unknowns:
        raise click.exceptions.Exit(EXIT_UNKNOWNS)


def _table(conns: list[Connection]) -> str:
    rows = [("SOURCE", "DESTINATION", "CONNECTIONS")]
    rows += [(c.src, c.dst, str(c.conns)) for c in conns]
    w0 = max(len(r[0]) for r in rows)
    w1 = max(len(r[1]) for r in rows)
    return "".join(f"{a:<{w0}}  {b:<{w1}}  {c}\n" for a, b, c in rows)
