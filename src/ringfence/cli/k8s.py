"""``ringfence k8s PATH…`` / ``ringfence k8s --kubeconfig FILE``: platform-ring audit."""

from __future__ import annotations

import json
import sys
from typing import Any

import click

from ringfence.checks.engine import CheckRun, run_checks
from ringfence.errors import EXIT_POLICY, EXIT_UNKNOWNS, UsageError
from ringfence.k8s.facts import K8sFacts, facts_from_objects
from ringfence.k8s.load import Manifests, load_bytes, load_paths
from ringfence.k8s.rules.pss import pss_level
from ringfence.k8s.rules.rules import K8S_CHECKS
from ringfence.model.finding import Severity

SEVERITIES = [s.name.lower() for s in Severity if s is not Severity.UNKNOWN]


def _load(paths: tuple[str, ...], kubeconfig: str | None, context: str | None) -> Manifests:
    if kubeconfig and paths:
        raise UsageError("k8s", "give PATHs or --kubeconfig, not both")
    if kubeconfig:
        from ringfence.k8s.live import read_cluster  # loads the kubernetes client

        return read_cluster(kubeconfig, context)
    if not paths:
        raise UsageError("k8s", "give manifest PATHs (- for stdin) or --kubeconfig")
    if paths == ("-",):
        return load_bytes(sys.stdin.buffer.read(), "<stdin>")
    return load_paths(paths)


def _document(facts: K8sFacts, run: CheckRun) -> dict[str, Any]:
    return {
        "schema": "ringfence.k8s/1",
        "objects": len(facts.objects),
        "workloads": [{"ref": p.ref, "location": p.location, "pss": pss_level(p)}
                      for p in facts.pods],
        "findings": [f.to_dict() for f in run.findings],
        "evaluated": list(run.evaluated),
        "unknowns": [u.to_dict() for u in (*facts.unknowns, *run.unknowns)],
    }


def _table(doc: dict[str, Any]) -> str:
    lines = [f"{doc['objects']} objects, {len(doc['workloads'])} workloads, "
             f"{len(doc['findings'])} findings, {len(doc['unknowns'])} unknowns", ""]
    lines += [f"{w['pss']:<11} {w['ref']}" for w in doc["workloads"]]
    lines.append("")
    lines += [f"{f['rule']}  {f['severity']:<8} {f['message']}  ({f['location']})"
              for f in doc["findings"]]
    lines += [f"UNKNOWN  {u['location']}: {u['reason']}" for u in doc["unknowns"]]
    return "\n".join(lines) + "\n"


@click.command("k8s")
@click.argument("paths", nargs=-1)
@click.option("--kubeconfig", help="Audit the live cluster of this kubeconfig (list only).")
@click.option("--context", help="kubeconfig context (default: current).")
@click.option("-f", "--format", "fmt", type=click.Choice(["table", "json"]), default=None)
@click.option("--allowed-registry", "registries", multiple=True,
              help="Registry (or registry/path prefix) images may come from; repeatable.")
@click.option("--fail-on", type=click.Choice(SEVERITIES), help="Exit 1 on a finding at or "
              "above this severity.")
@click.option("--strict", is_flag=True, help="Exit 4 when something could not be read.")
def k8s_cmd(paths: tuple[str, ...], kubeconfig: str | None, context: str | None,
            fmt: str | None, registries: tuple[str, ...], fail_on: str | None,
            strict: bool) -> None:
    """Kubernetes manifests (files, directories, - for stdin) or a live cluster: Pod
    Security Standards level per workload, workload, secret, environment and control-plane
    rules. Exit codes: 0 ok, 1 --fail-on matched, 2 usage, 3 could not complete, 4 unknowns
    under --strict."""
    loaded = _load(paths, kubeconfig, context)
    facts = facts_from_objects(loaded.objects, loaded.unknowns, registries)
    run = run_checks(K8S_CHECKS, facts)
    doc = _document(facts, run)
    fmt = fmt or ("table" if sys.stdout.isatty() else "json")
    click.echo(json.dumps(doc, indent=2) + "\n" if fmt == "json" else _table(doc), nl=False)
    if fail_on and any(f.severity >= Severity[fail_on.upper()] for f in run.findings):
        raise click.exceptions.Exit(EXIT_POLICY)
    if strict and doc["unknowns"]:
        raise click.exceptions.Exit(EXIT_UNKNOWNS)
