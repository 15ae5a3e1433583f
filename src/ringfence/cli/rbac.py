"""``ringfence rbac who-can`` and ``ringfence rbac paths`` over manifests."""

from __future__ import annotations

import json
from typing import Any

import click

from ringfence.cli.common import ReportOptions, emit, finish, report_options
from ringfence.errors import UsageError
from ringfence.k8s.rbac.facts import RbacFacts, gather_paths
from ringfence.k8s.rbac.graph import TARGETS, Path, paths_to
from ringfence.k8s.rbac.request import parse_request
from ringfence.k8s.rbac.whocan import Answer, who_can
from ringfence.model.finding import Severity
from ringfence.report.text import plain

_files = click.argument("files", nargs=-1, required=True)


@click.group("rbac")
def rbac_cmd() -> None:
    """RBAC: who can do what, and escalation paths to cluster-admin, nodes and secrets."""


def _load(files: tuple[str, ...], report: ReportOptions) -> RbacFacts:
    facts = gather_paths(files)
    for u in facts.unknowns:
        report.note(f"warning: {plain(u.location)}: {plain(u.reason)}")
    return facts


@rbac_cmd.command("who-can")
@click.argument("verb")
@click.argument("resource")
@click.option("-n", "--namespace", default="", help="Only grants valid in NAMESPACE.")
@click.option("--subresource", default="", help="Subresource (also RESOURCE/SUB).")
@click.option("--name", "name", default="", help="A named object (resourceNames).")
@_files
@report_options(["table", "json"],
                fail_on_help="Accepted for the common contract: who-can has no findings.")
def who_can_cmd(verb: str, resource: str, namespace: str, subresource: str, name: str,
                files: tuple[str, ...], report: ReportOptions) -> None:
    """Subjects allowed to VERB RESOURCE (pods, pods/exec, deployments.apps,
    widgets.example.com, /healthz), from the RBAC objects in FILES (manifest files or
    directories), matched as the RBAC authorizer does. A bare RESOURCE takes its built-in
    API group, or the core group when unknown (as kubectl asks): name a custom resource's
    group."""
    facts = _load(files, report)
    request = parse_request(verb, resource, namespace, subresource, name)
    answers = who_can(facts.index, request)
    if report.format() == "json":
        text = json.dumps({"schema": "ringfence.rbac-who-can/1",
                           "request": {"verb": verb, "resource": resource,
                                       "group": request.group,
                                       "subresource": subresource, "name": name,
                                       "namespace": namespace},
                           "answers": [_answer_dict(a) for a in answers],
                           "unknowns": [u.to_dict() for u in facts.unknowns]},
                          indent=2) + "\n"
    else:
        lines = []
        for a in answers:
            lines.append(f"{plain(a.subject)}\t{plain(a.scope)}")
            lines += [f"    {plain(g.why())}  [{plain(g.binding.location)}]"
                      for g in a.grants]
        text = "".join(f"{line}\n" for line in lines)
    emit(text, report.output)
    finish(report, severities=(), unknowns=len(facts.unknowns))


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
@_files
@report_options(["table", "json"], fail_on_help="Exit 1 when an escalation path is found "
                "(every path is a critical finding, so any level matches).")
def paths_cmd(to: tuple[str, ...], include_trusted: bool, files: tuple[str, ...],
              report: ReportOptions) -> None:
    """Shortest escalation paths in the RBAC objects of FILES (manifest files or
    directories), each edge with the binding, role and rule that grant it."""
    if any(not t for t in to):
        raise UsageError("--to", "an empty target")
    facts = _load(files, report)
    found = paths_to(facts.graph, to or TARGETS, include_trusted)
    if report.format() == "json":
        text = json.dumps({"schema": "ringfence.rbac-paths/1",
                           "paths": {t: [_path_dict(p) for p in ps] for t, ps in found.items()},
                           "unknowns": [u.to_dict() for u in facts.unknowns]},
                          indent=2) + "\n"
    else:
        lines = []
        for target, paths in found.items():
            lines.append(f"== paths to {plain(target)}: {len(paths)}")
            lines += [f"{plain(p, newlines=True)}\n" for p in paths]
        text = "".join(f"{line}\n" for line in lines)
    emit(text, report.output)
    severities = [Severity.CRITICAL for ps in found.values() for _ in ps]
    finish(report, severities=severities, unknowns=len(facts.unknowns))


def _path_dict(p: Path) -> dict[str, Any]:
    return {"source": str(p.source), "length": len(p.edges),
            "edges": [{"to": str(e.dst), "reason": e.reason,
                       "grants": [{"binding": g.binding.ref, "role": g.role.ref,
                                   "rule": str(g.rule), "location": g.binding.location}
                                  for g in dict.fromkeys((e.grant, *e.extra))
                                  if g is not None]} for e in p.edges]}
