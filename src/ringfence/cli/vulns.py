"""The vulnerability options of ``ringfence image``, turned into Filters and a DB path.

No database at the default path is not an error: ``image`` still reports the inventory and
says so on stderr. It becomes exit code 3 only with ``--fail-on``, because the policy could
not be evaluated -- as is a database without advisories for the image's OS packages.
``--db PATH`` that does not exist is an error (exit 3) at once.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click

from ringfence.report.processors import (
    Filters,
    IgnoreRule,
    VexStatement,
    load_ignore_file,
    load_vex,
    parse_severities,
)

LEVELS = ["unknown", "low", "medium", "high", "critical"]


def _severity_list(ctx: click.Context, param: click.Parameter, value: str | None) -> Any:
    if value is None:
        return None
    try:
        return parse_severities(value)
    except ValueError as exc:
        raise click.BadParameter(str(exc), ctx, param) from exc


def vuln_options(func: Callable[..., Any]) -> Callable[..., Any]:
    @click.option("--db", "db_path", type=click.Path(dir_okay=False, path_type=Path),
                  help="Vulnerability database (default: $XDG_DATA_HOME/ringfence/db.sqlite).")
    @click.option("--ignore-unfixed", is_flag=True,
                  help="Report only vulnerabilities for which a fixed version exists.")
    @click.option("--vex", "vex_files", multiple=True,
                  type=click.Path(dir_okay=False, exists=True, path_type=Path),
                  help="OpenVEX document; not_affected/fixed statements suppress matches.")
    @click.option("--ignore-file", type=click.Path(dir_okay=False, exists=True, path_type=Path),
                  help="YAML/JSON list of ids to ignore (id, reason, expires).")
    @click.option("--severity", "severities", callback=_severity_list,
                  help="Comma-separated severities to report, e.g. HIGH,CRITICAL.")
    @click.option("--max-db-age", type=click.FloatRange(min=0),
                  help="Fail (exit 3) when the database's newest record is older (days).")
    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        return func(*args, **kwargs)

    return wrapper


def filters(vex_files: tuple[Path, ...], ignore_file: Path | None, ignore_unfixed: bool,
            severities: Any) -> Filters:
    statements: tuple[VexStatement, ...] = tuple(s for f in vex_files for s in load_vex(f))
    rules: tuple[IgnoreRule, ...] = load_ignore_file(ignore_file) if ignore_file else ()
    return Filters(vex=statements, ignores=rules, ignore_source=str(ignore_file or ""),
                   ignore_unfixed=ignore_unfixed, severities=severities)
