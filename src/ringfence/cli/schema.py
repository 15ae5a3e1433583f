"""``ringfence schema [NAME]``: print the published JSON Schema of a document."""

from __future__ import annotations

import click

from ringfence.errors import UsageError
from ringfence.outputs import write_output
from ringfence.report.jsontext import json_text
from ringfence.schemas import SCHEMAS, schema


@click.command("schema")
@click.argument("name", required=False)
@click.option("-o", "--output", type=click.Path(dir_okay=False), help="Write it to FILE.")
def schema_cmd(name: str | None, output: str | None) -> None:
    """The JSON Schema of the document NAME (without NAME: the list of names and ids)."""
    if name is None:
        text = "".join(f"{n:<15} {s['$id']:<28} {s['title']}\n" for n, s in SCHEMAS.items())
    elif name in SCHEMAS:
        text = json_text(schema(name))
    else:
        raise UsageError(name, f"no such schema; choose from {', '.join(SCHEMAS)}")
    if output is None:
        click.echo(text, nl=False)
    else:
        from pathlib import Path

        write_output(Path(output), text.encode())
