"""``ringfence rbac who-can`` and ``ringfence rbac paths`` over manifests."""

from __future__ import annotations

import json
from typing import Any

import click

from ringfence.errors import EXIT_POLICY, EXIT_UNKNOWNS, UsageError
from ringfence.k8s.rbac.facts import RbacFacts, gather_paths
from ringfence.k8s.rbac.graph import TARGETS, Path, paths_to
from ringfence.k8s.rbac.request import parse_request
from ringfence.k8s.rbac.whocan import Answer, who_can

_files = click.option("-f", "--filename", "files", multiple=True, required=True,
                      type=click.Path(exists=True), help="Manifest file or directory "
                      "(repeatable; YAML/JSON, multi-document, List kinds).")
_fmt = click.option("-o", "--format", "fmt", type=click.Choice(["text", "json"]),
                    default="text", show_default=True)
_strict = click.option("--strict", is_flag=True,
                       help="Exit 4 when a document could not be read.")


@click.group("rbac")
def rbac_cmd() -> None:
    """RBAC: who can do what, and escalation paths to cluster-admin, nodes and secrets."""


def _load(files: tuple[str, ...]) -> RbacFacts:
    facts = gather_paths(files)
    for u in facts.unknowns:
        click.echo(f"warning: {u.location}: {u.reason}", err=True)
    return facts


def _done(facts: RbacFacts, strict: bool, failed: bool = False) -> None:
    if strict and facts.unknowns:
        raise click.exceptions.Exit(EXIT_UNKNOWNS)
    if failed:
        raise click.exceptions.Exit(EXIT_POLICY)


@rbac_cmd.command("who-can")
@click.argument("verb")
@click.argument("resource")
@click.option("-n", "--namespace", default="", help="Only grants valid in NAMESPACE.")
@click.option("--subresource", default="", help="Subresource (also RESOURCE/SUB).")
@click.option("--name", "name", default="", help="A named object (resourceNames).")
@_files
@_fmt
@_strict
def who_can_cmd(verb: str, resource: str, namespace: str, subresource: str, name: str,
                files: tuple[str, ...], fmt: str, strict: bool) -> None:
    """Subjects allowed to VERB RESOURCE (pods, pods/exec, deployments.apps, /healthz)."""
    facts = _load(files)
    answers = who_can(facts.index, parse_request(verb, resource, namespace, subresource,
                                                 name))
    if fmt == "json":
        click.echo(json.dumps([_answer_dict(a) for a in answers], indent=2))
    else:
        for a in answers:
            click.echo(f"{a.subject}\t{a.scope}")
            for g in a.grants:
                click.echo(f"    {g.why()}  [{g.binding.location}]")
    _done(facts, strict)


def _answer_dict(a: Answer) -> dict[str, Any]:
    return {"subject": {"kind": a.subject.kind, "name": a.subject.name,
                        "namespace": a.subject.namespace},
            "scope": a.scope,
            "grants": [{"binding": g.binding.ref, "role": g.role.ref, "rule": str(g.rule),
                        "location": g.binding.location} for g in a.grants]}


@rbac_cmd.command("paths")
@click.option("--to", "to", multiple=True,
              help="cluster-admin, node, secrets or a namespace (repeatable; default: "
              "cluster-admin, node and secrets).")
@click.option("--include-trusted", is_flag=True,
              help="Also start from trusted control-plane identities.")
@click.option("--fail", is_flag=True, help="Exit 1 when any path is found.")
@_files
@_fmt
@_strict
def paths_cmd(to: tuple[str, ...], include_trusted: bool, fail: bool,
              files: tuple[str, ...], fmt: str, strict: bool) -> None:
    """Shortest escalation paths, each edge with the binding, role and rule that grant it."""
    if any(not t for t in to):
        raise UsageError("--to", "an empty target")
    facts = _load(files)
    found = paths_to(facts.graph, to or TARGETS, include_trusted)
    if fmt == "json":
        click.echo(json.dumps({t: [_path_dict(p) for p in ps] for t, ps in found.items()},
                              indent=2))
    else:
        for target, paths in found.items():
            click.echo(f"== paths to {target}: {len(paths)}")
            for p in paths:
                click.echo(f"{p}\n")
    _done(facts, strict, fail and any(found.values()))


def _path_dict(p: Path) -> dict[str, Any]:
    return {"source": str(p.source), "length": len(p.edges),
            "edges": [{"to": str(e.dst), "reason": e.reason,
                       "grants": [{"binding": g.binding.ref, "role": g.role.ref,
                                   "rule": str(g.rule), "location": g.binding.location}
                                  for g in dict.fromkeys((e.grant, *e.extra))
                                  if g is not None]} for e in p.edges]}
