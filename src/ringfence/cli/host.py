"""``ringfence host [--root DIR]``: ring 2 audit of this machine or a mounted host root."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click

from ringfence.errors import EXIT_POLICY, EXIT_UNKNOWNS
from ringfence.host.summary import audit_host
from ringfence.model.finding import Severity

SEVERITIES = ["low", "medium", "high", "critical"]


@click.command("host")
@click.option("--root", type=click.Path(exists=True, file_okay=False, path_type=Path),
              default=None, help="Audit a mounted host root instead of this machine "
              "(its /proc and /sys are not read; nothing outside DIR is opened).")
@click.option("-f", "--format", "fmt", type=click.Choice(["table", "json"]), default=None,
              help="Output format (default: table on a terminal, json otherwise).")
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--fail-on", type=click.Choice(SEVERITIES), default=None,
              help="Exit 1 when a finding has this severity or higher (as every command).")
@click.option("--strict", is_flag=True, help="Exit 4 when some facts could not be read.")
def host_cmd(root: Path | None, fmt: str | None, output: Path | None, fail_on: str | None,
             strict: bool) -> None:
    """Audit the container host: kernel, LSMs, sysctls, sshd, runtime configs, permissions."""
    doc = audit_host(str(root) if root is not None else "/")
    fmt = fmt or ("table" if output is None and sys.stdout.isatty() else "json")
    if fmt == "json":
        text = json.dumps(doc, indent=2) + "\n"
    else:
        from ringfence.report.host_table import render_host_table  # loads rich

        text = render_host_table(doc)
    if output is None:
        click.echo(text, nl=False)
    else:
        output.write_text(text, encoding="utf-8")
    if fail_on and any(Severity.parse(x["severity"]) >= Severity.parse(fail_on)
                       for x in doc["findings"]):
        raise click.exceptions.Exit(EXIT_POLICY)
    if strict and doc["unknowns"]:
        raise click.exceptions.Exit(EXIT_UNKNOWNS)
