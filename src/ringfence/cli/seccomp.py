"""``ringfence seccomp record|lint``: build a minimal profile by tracing, audit any profile."""

from __future__ import annotations

from pathlib import Path

import click

from ringfence.checks.engine import run_checks
from ringfence.cli.common import (
    ReportOptions,
    emit,
    findings_text,
    finish,
    report_options,
)
from ringfence.outputs import write_output
from ringfence.report.jsontext import json_text
from ringfence.report.text import plain
from ringfence.seccomp.lint import load_profile_facts
from ringfence.seccomp.record import RUNTIME_TAILS, record_bundle, record_command
from ringfence.seccomp.rules import SECCOMP_CHECKS


@click.group("seccomp")
def seccomp_group() -> None:
    """Seccomp profiles: record one from a workload, lint any."""


@seccomp_group.command("record")
@click.option("--runtime", type=click.Choice(sorted(RUNTIME_TAILS)), default="runc",
              show_default=True, help="Runtime whose post-filter syscalls to allow.")
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--timeout", type=float, default=60.0, show_default=True)
@click.argument("target", nargs=-1, required=True)
def record_cmd(runtime: str, output: Path | None, timeout: float,
               target: tuple[str, ...]) -> None:
    """Trace TARGET (an OCI bundle directory, run once with RUNTIME, or a command run on
    this host) and write the OCI seccomp profile that lets it run."""
    first = Path(target[0])
    if len(target) == 1 and (first / "config.json").is_file():
        rec = record_bundle(first, runtime, timeout=timeout)
    else:
        rec = record_command(list(target), runtime, timeout=timeout)
    text = json_text(rec.profile())
    if output is None:
        click.echo(text, nl=False)
    else:
        write_output(output, text.encode())
    if rec.unknown:
        click.echo(f"note: dropped names this architecture lacks: {', '.join(rec.unknown)}",
                   err=True)
    if rec.exit_code != 0:
        click.echo(f"note: the traced workload exited {rec.exit_code}", err=True)


@seccomp_group.command("lint")
@report_options(["table", "json"])
@click.argument("profile", type=click.Path(dir_okay=False, path_type=Path))
def lint_cmd(report: ReportOptions, profile: Path) -> None:
    """Audit a seccomp profile (Docker/podman profile file, OCI linux.seccomp or a whole
    config.json): default action, escape-class syscalls, architectures, unknown names."""
    run = run_checks(SECCOMP_CHECKS, load_profile_facts(profile))
    doc = {"schema": "ringfence.seccomp-lint/1", "profile": str(profile),
           "evaluated": list(run.evaluated),
           "findings": [f.to_dict() for f in run.findings],
           "unknowns": [u.to_dict() for u in run.unknowns]}
    if report.format() == "json":
        text = json_text(doc)
    else:
        text = findings_text(doc, [f"{plain(profile)}: {len(run.evaluated)} rules evaluated"])
    emit(text, report.output)
    finish(report, severities=[f.severity for f in run.findings], unknowns=len(run.unknowns))
