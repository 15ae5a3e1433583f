"""``ringfence runtime FILE…`` / ``ringfence runtime --live``: declared container configs and,
live, what the kernel enforces for every container process (declared vs effective)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from ringfence.checks.engine import CheckRun, run_checks
from ringfence.cli.common import (
    ReportOptions,
    emit,
    findings_text,
    finish,
    report_options,
)
from ringfence.errors import UsageError
from ringfence.report.jsontext import json_text
from ringfence.report.text import plain
from ringfence.runtime.facts import RuntimeFacts
from ringfence.runtime.live import STATE_ROOTS, LiveContainer, gather_live
from ringfence.runtime.load import load_file
from ringfence.runtime.rules import RT_CHECKS


def _live_doc(c: LiveContainer) -> dict[str, Any]:
    e, d = c.effective, c.declared
    return {
        "id": c.id, "runtime": c.runtime, "pid": e.pid,
        "declared": None if d is None else {
            "location": d.location, "capabilities": sorted(d.capabilities or ()),
            "no_new_privileges": d.no_new_privileges, "seccomp": d.seccomp.mode,
            "read_only_rootfs": d.read_only_rootfs, "user": d.user,
            "host_namespaces": sorted(d.host_namespaces)},
        "effective": {
            "cap_eff": sorted(e.cap_eff), "cap_bnd": sorted(e.cap_bnd),
            "cap_prm": sorted(e.cap_prm), "cap_amb": sorted(e.cap_amb),
            "no_new_privs": e.no_new_privs, "seccomp_mode": e.seccomp_mode,
            "seccomp_filters": e.seccomp_filters,
            "blocked_syscalls": None if e.blocked is None else sorted(e.blocked),
            "verdicts": e.verdicts, "uids": list(e.uids), "uid_map": [list(m) for m in e.uid_map],
            "host_namespaces": sorted(e.host_namespaces), "root_read_only": e.root_read_only,
            "sensitive_mounts": list(e.sensitive_mounts), "lsm_label": e.lsm_label,
            "memory_limit": e.memory_limit, "pids_limit": e.pids_limit,
            "cpu_quota": e.cpu_quota},
    }


def _document(facts: RuntimeFacts, run: CheckRun) -> dict[str, Any]:
    return {
        "schema": "ringfence.runtime/1",
        "containers": [{"name": s.label, "id": s.id, "source": s.source,
                        "location": s.location} for s in facts.specs],
        "live": [_live_doc(c) for c in facts.live],
        "findings": [f.to_dict() for f in run.findings],
        "evaluated": list(run.evaluated),
        "unknowns": [u.to_dict() for u in (*facts.unknowns, *run.unknowns)],
    }


def _table(doc: dict[str, Any]) -> str:
    head = [f"{len(doc['containers'])} configs, {len(doc['live'])} live containers"]
    for c in doc["live"]:
        e = c["effective"]
        blocked = "unread" if e["blocked_syscalls"] is None else len(e["blocked_syscalls"])
        head.append(f"{plain(c['id'][:12])} pid {c['pid']:<7} caps {len(e['cap_bnd']):>2} "
                    f"nnp {int(e['no_new_privs'])} seccomp {e['seccomp_mode']} "
                    f"blocked {blocked} ro-root {e['root_read_only']} "
                    f"host-ns {','.join(e['host_namespaces']) or '-'}")
    return findings_text(doc, head)


def _facts(files: tuple[str, ...], live: bool, state_roots: tuple[str, ...]) -> RuntimeFacts:
    if not files and not live:
        raise UsageError("runtime", "give inspect/config FILEs or --live")
    specs = tuple(s for f in files for s in load_file(Path(f)))
    if not live:
        return RuntimeFacts(specs=specs)
    containers, unknowns = gather_live(roots=(*STATE_ROOTS, *state_roots))
    declared = tuple(c.declared for c in containers if c.declared is not None)
    return RuntimeFacts(specs=specs + declared, live=containers, unknowns=unknowns)


@click.command("runtime")
@click.argument("files", nargs=-1)
@click.option("--live", is_flag=True, help="Audit every container process on this host: "
              "declared config vs what /proc and the seccomp filter show.")
@click.option("--state-root", "state_roots", multiple=True, help="Extra runc/crun state "
              "directory (--root of the runtime); repeatable.")
@report_options(["table", "json"])
def runtime_cmd(files: tuple[str, ...], live: bool, state_roots: tuple[str, ...],
                report: ReportOptions) -> None:
    """Container runtime configs (docker/podman inspect JSON, OCI config.json, crictl inspect)
    and, with --live, the effective confinement of running containers. Exit codes: 0 ok,
    1 --fail-on matched, 2 usage, 3 could not complete, 4 unknowns under --strict."""
    facts = _facts(files, live, state_roots)
    run = run_checks(RT_CHECKS, facts)
    doc = _document(facts, run)
    text = json_text(doc) if report.format() == "json" else _table(doc)
    emit(text, report.output)
    finish(report, severities=[f.severity for f in run.findings], unknowns=len(doc["unknowns"]))
