"""``ringfence host [--root DIR]``: ring 2 audit of this machine or a mounted host root;
``host baseline create|check``: signed snapshots of its configuration and drift against them."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import click

from ringfence.cli.common import (
    DOCUMENT_BYTES,
    PASSPHRASE_ENV,
    ReportOptions,
    emit,
    finding_severities,
    finish,
    passphrase,
    read_input,
    report_options,
)
from ringfence.errors import InputError
from ringfence.report.jsontext import json_text

_ROOT = click.option(
    "--root", type=click.Path(exists=True, file_okay=False, path_type=Path), default=None,
    help="A mounted host root instead of this machine (its /proc and /sys are not read; "
    "nothing outside DIR is opened).")


def not_evaluated(doc: dict[str, Any]) -> list[str]:
    """Rules of the host document that were not evaluated or broke (never "held")."""
    return [r["id"] for r in doc["rules"] if r["status"] in ("not evaluated", "error")]


@click.group("host", invoke_without_command=True)
@_ROOT
@report_options(["table", "json"], strict_help="Exit 4 when a fact could not be read or a "
                "rule was not evaluated.")
@click.pass_context
def host_cmd(ctx: click.Context, root: Path | None, report: ReportOptions) -> None:
    """Audit the container host: kernel, LSMs, sysctls, sshd, runtime configs, permissions.

    With a subcommand: `baseline create|check` keeps the host to a signed snapshot."""
    if ctx.invoked_subcommand is not None:
        return
    from ringfence.rings.host import host_ring

    ring = host_ring(str(root) if root is not None else "/")  # the ring `scan` reads too
    if ring.document is None:
        raise InputError(str(root or "/"), ring.reason)
    doc = ring.document
    if report.format() == "json":
        text = json_text(doc)
    else:
        from ringfence.report.host_table import render_host_table  # loads rich

        text = render_host_table(doc)
    emit(text, report.output)
    missing = not_evaluated(doc)
    if missing and report.strict:
        report.note(f"note: {len(missing)} of {len(doc['rules'])} rules not evaluated: "
                    f"{', '.join(missing)}")
    finish(report, severities=finding_severities(doc),
           unknowns=len(doc["unknowns"]) + len(missing))


@host_cmd.group("baseline")
def baseline_group() -> None:
    """Signed snapshots of the host's configuration (sshd, runtimes, sysctls, kernel,
    accounts, sudoers, units, audit rules, setuid programs, packages) and drift against them."""


@baseline_group.command("create")
@_ROOT
@click.option("--key", type=click.Path(dir_okay=False, path_type=Path), required=True,
              help="ECDSA P-256 private key: cosign/sigstore encrypted PEM or plain PEM.")
@click.option("--passphrase-file", type=click.Path(dir_okay=False, path_type=Path),
              help=f"Key passphrase (default: ${PASSPHRASE_ENV}).")
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path), required=True)
@click.option("-q", "--quiet", is_flag=True, help="No notes on stderr.")
def baseline_create_cmd(root: Path | None, key: Path, passphrase_file: Path | None,
                        output: Path, quiet: bool) -> None:
    """Write a signed baseline of this host (or of --root DIR) to OUTPUT."""
    from ringfence.cli.progress import layer_progress
    from ringfence.diff.baseline import load_private_key
    from ringfence.host.baseline import document
    from ringfence.host.baseline.snapshot import take_snapshot
    from ringfence.outputs import write_output

    private = load_private_key(read_input(key, "key"), passphrase(passphrase_file) or None,
                               str(key))
    with layer_progress(enabled=not quiet) as progress:
        snapshot = take_snapshot(root if root is not None else "/", progress=progress)
    write_output(output, document.create(snapshot, private))
    if not quiet:
        click.echo(f"baseline of {root or '/'}: {len(snapshot.facts)} values, "
                   f"{len(snapshot.files)} files, {len(snapshot.problems)} unreadable",
                   err=True)


@baseline_group.command("check")
@click.argument("baseline", type=click.Path(dir_okay=False, path_type=Path))
@_ROOT
@click.option("--pubkey", type=click.Path(dir_okay=False, path_type=Path), required=True,
              help="The public key the baseline must be signed with.")
@click.option("--other-host", is_flag=True, help="Compare even when the baseline was taken "
              "of another host (machine-id or hostname differ).")
@report_options(["table", "json"], fail_on_help="Exit 1 when a drift finding has this "
                "severity or higher.", strict_help="Exit 4 when a value could not be read.")
def baseline_check_cmd(baseline: Path, root: Path | None, pubkey: Path, other_host: bool,
                       report: ReportOptions) -> None:
    """Verify BASELINE's signature, then report how this host (or --root DIR) drifted."""
    from ringfence.host.baseline import document
    from ringfence.host.baseline.drift import compare
    from ringfence.host.baseline.report import drift_document
    from ringfence.host.baseline.snapshot import take_snapshot

    old, created = document.verify(read_input(baseline, "baseline", DOCUMENT_BYTES),
                                   read_input(pubkey, "public key"), str(baseline))
    name = str(root) if root is not None else "/"
    from ringfence.cli.progress import layer_progress

    with layer_progress(enabled=not report.quiet) as progress:
        current = take_snapshot(name, progress=progress)
    why = document.same_host(old, current)
    if why is not None and not other_host:
        raise InputError(str(baseline), f"taken of another host: {why}",
                         hint="pass --other-host to compare anyway")
    doc = drift_document(compare(old, current), old, created, current, name)
    if report.format() == "json":
        text = json.dumps(doc, indent=1) + "\n"
    else:
        from ringfence.report.host_drift_table import render_host_drift_table

        text = render_host_drift_table(doc)
    emit(text, report.output)
    finish(report, severities=finding_severities(doc), unknowns=len(doc["unknowns"]))


@host_cmd.command("declared")
@click.argument("playbook", type=click.Path(dir_okay=False, path_type=Path), required=False)
@_ROOT
@click.option("--cloud-init", "user_data", type=click.Path(dir_okay=False, path_type=Path),
              default=None, help="Compare with cloud-init user-data instead of a playbook.")
@click.option("-i", "--inventory", type=click.Path(path_type=Path), default=None,
              help="Ansible inventory (default: this host, or the --root directory).")
@click.option("--ansible-playbook", "executable", default=None, metavar="PATH",
              help="The ansible-playbook to run (default: on PATH, else beside this Python).")
@report_options(["table", "json"], fail_on_help="Exit 1 when something would change on the "
                "host at this severity or higher (HOST-110/111 are medium).",
                strict_help="Exit 4 when a declared item could not be evaluated.")
def declared_cmd(playbook: Path | None, root: Path | None, user_data: Path | None,
                 inventory: Path | None, executable: str | None,
                 report: ReportOptions) -> None:
    """Compare the host (or --root DIR) with the state PLAYBOOK declares (the real
    ansible-playbook in --check --diff mode), or with cloud-init user-data (--cloud-init):
    each item that would change something is a finding, each one that cannot be evaluated
    an Unknown."""
    from ringfence.errors import UsageError
    from ringfence.host.declared.report import declared_document

    if (playbook is None) == (user_data is None):
        raise UsageError("host declared", "give a PLAYBOOK or --cloud-init USER-DATA")
    name = str(root) if root is not None else "/"
    if user_data is not None:
        from ringfence.host.declared.cloudinit import compare
        from ringfence.host.facts import RootReader

        state = compare(read_input(user_data, "user-data", DOCUMENT_BYTES), str(user_data),
                        RootReader(name))
        kind = "cloud-init"
    else:
        from ringfence.host.declared.ansible import run_check

        assert playbook is not None
        state = run_check(playbook, root=None if root is None else name, inventory=inventory,
                          executable=executable)
        kind = "ansible"
    doc = declared_document(state, kind, name, live=root is None)
    if report.format() == "json":
        text = json.dumps(doc, indent=1) + "\n"
    else:
        from ringfence.report.host_declared_table import render_host_declared_table

        text = render_host_declared_table(doc)
    emit(text, report.output)
    finish(report, severities=finding_severities(doc), unknowns=len(doc["unknowns"]))
