"""``ringfence probe``: what confines this process (run it inside a container)."""

from __future__ import annotations

import json

import click

from ringfence import probe


@click.command("probe")
def probe_cmd() -> None:
    """Report runtime, namespaces, capabilities, NoNewPrivs, seccomp mode, which dangerous
    syscalls are refused, LSM label, read-only mounts and reachable runtime sockets (JSON).
    Without ringfence installed: ``python3 probe.py`` with src/ringfence/probe.py copied in."""
    click.echo(json.dumps(probe.gather(), indent=2, sort_keys=True))
