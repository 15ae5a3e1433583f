"""``ringfence k8s PATH…`` / ``ringfence k8s --kubeconfig FILE``: platform-ring audit."""

from __future__ import annotations

import sys
from typing import Any

import click

from ringfence.cli.common import (
    ReportOptions,
    emit,
    finding_severities,
    findings_text,
    finish,
    report_options,
)
from ringfence.compliance.mapping import FRAMEWORKS
from ringfence.compliance.view import compliance_view
from ringfence.errors import InputError, UsageError
from ringfence.k8s.load import Manifests, load_bytes, load_paths
from ringfence.k8s.psa import PssSelection, parse_version
from ringfence.k8s.rules.pss import pod_policies, pss_level
from ringfence.report.jsontext import json_text
from ringfence.report.text import plain
from ringfence.rings.platform import PlatformFacts, platform_ring
from ringfence.rings.report import RingReport
from ringfence.rules import DOMAINS

STDIN_LIMIT = 64 << 20  # manifests piped in: the same cap as one manifest file


def _load(paths: tuple[str, ...], kubeconfig: str | None, context: str | None) -> Manifests:
    if kubeconfig and paths:
        raise UsageError("k8s", "give PATHs or --kubeconfig, not both")
    if kubeconfig:
        from ringfence.k8s.live import read_cluster  # loads the kubernetes client

        return read_cluster(kubeconfig, context)
    if not paths:
        raise UsageError("k8s", "give manifest PATHs (- for stdin) or --kubeconfig")
    if paths == ("-",):
        data = sys.stdin.buffer.read(STDIN_LIMIT + 1)
        if len(data) > STDIN_LIMIT:
            raise InputError("<stdin>", f"more than {STDIN_LIMIT} bytes of manifests")
        return load_bytes(data, "<stdin>")
    return load_paths(paths)


def _version(text: str | None) -> str | None:
    if text is None:
        return None
    try:
        parse_version(text)
    except ValueError as exc:
        raise UsageError("k8s", f"--pss-version {exc}") from exc
    return text


def _document(ring: RingReport[PlatformFacts]) -> dict[str, Any]:
    assert ring.facts is not None and ring.run is not None  # platform_ring always has both
    k8s, run = ring.facts.k8s, ring.run
    return {
        "schema": "ringfence.k8s/1",
        "objects": len(k8s.objects),
        "workloads": [{"ref": p.ref, "location": p.location,
                       "pss": pss_level(p, policy.version), "policy": str(policy)}
                      for p, policy in pod_policies(k8s)],
        "findings": [f.to_dict() for f in run.findings],
        "evaluated": list(run.evaluated),
        "unknowns": [u.to_dict() for u in dict.fromkeys(ring.unknowns)],
    }


def _compliance(doc: dict[str, Any], framework: str) -> dict[str, Any]:
    """The platform ring's rules seen per control of ``framework``."""
    scope = [c.rule.id for d in DOMAINS if d.ring == "platform" for c in d.checks]
    failed = {f["rule"] for f in doc["findings"]}
    return compliance_view(framework, scope, doc["evaluated"], failed).to_dict()


def _compliance_lines(view: dict[str, Any]) -> list[str]:
    counts = view["counts"]
    lines = ["", f"{view['title']}: score {view['score']}% ({counts['pass']} pass, "
             f"{counts['fail']} fail, {counts['not-evaluated']} not evaluated; "
             f"{view['out_of_scope']} controls have no platform rule)",
             "STATUS         CONTROL    TITLE / RULES"]
    for c in view["controls"]:
        rules = ", ".join(f"{r['rule']} {r['status']}" for r in c["rules"])
        lines.append(f"{c['status']:<14} {c['id']:<10} {c['title']}")
        lines.append(f"{'':<25} {rules}")
    return lines


def _table(doc: dict[str, Any]) -> str:
    head = [f"{doc['objects']} objects, {len(doc['workloads'])} workloads", "",
            "PSS LEVEL   CHECKED AT          WORKLOAD"]
    head += [f"{w['pss']:<11} {w['policy']:<19} {plain(w['ref'])}" for w in doc["workloads"]]
    if "compliance" in doc:
        head += _compliance_lines(doc["compliance"])
    return findings_text(doc, head)


@click.command("k8s")
@click.argument("paths", nargs=-1)
@click.option("--kubeconfig", help="Audit the live cluster of this kubeconfig (list only).")
@click.option("--context", help="kubeconfig context (default: current).")
@click.option("--allowed-registry", "registries", multiple=True,
              help="Registry (or registry/path prefix) images may come from; repeatable.")
@click.option("--pss-level", "level", type=click.Choice(["baseline", "restricted"]),
              help="Pod Security level to check every pod at [default: its Namespace's "
                   "pod-security.kubernetes.io/enforce label, else restricted].")
@click.option("--pss-version", "version", metavar="v1.N|latest",
              help="Pod Security policy version [default: the Namespace's enforce-version "
                   "label, else latest].")
@click.option("--framework", type=click.Choice(sorted(FRAMEWORKS)),
              help="Also show each control of a framework (nsa: NSA/CISA hardening guide, "
                   "cis: CIS Kubernetes Benchmark, mitre: ATT&CK for Containers) as pass, "
                   "fail or not evaluated, with a score.")
@report_options(["table", "json"])
def k8s_cmd(paths: tuple[str, ...], kubeconfig: str | None, context: str | None,
            registries: tuple[str, ...], level: str | None, version: str | None,
            framework: str | None, report: ReportOptions) -> None:
    """Kubernetes manifests (files, directories, - for stdin) or a live cluster: Pod
    Security Standards level per workload, workload, secret, environment, control-plane,
    RBAC and NetworkPolicy rules (the platform ring of `ringfence scan`). Exit codes: 0 ok,
    1 --fail-on matched, 2 usage, 3 could not complete, 4 unknowns under --strict."""
    # the platform ring scan reads: Pod Security, workload, RBAC and NetworkPolicy rules
    pss = PssSelection(level, _version(version))
    doc = _document(platform_ring(_load(paths, kubeconfig, context), registries, pss))
    if framework is not None:
        doc["compliance"] = _compliance(doc, framework)
    text = json_text(doc) if report.format() == "json" else _table(doc)
    emit(text, report.output)
    finish(report, severities=finding_severities(doc), unknowns=len(doc["unknowns"]))
