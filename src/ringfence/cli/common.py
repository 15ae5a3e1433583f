"""The one report contract of every command that reports.

Options (same names and defaults everywhere): ``-f/--format`` (default: ``table`` on a
terminal, ``json`` otherwise), ``-o/--output FILE`` (see :mod:`ringfence.outputs`),
``--fail-on SEV``, ``--strict`` and ``--quiet``.  Inputs are positional arguments.

One exit decision, one precedence::

    3  could not complete (an Error raised anywhere, or a gate that cannot be evaluated)
    1  a finding at or over --fail-on
    4  unknowns (or controls not evaluated) under --strict
    0  otherwise
"""

from __future__ import annotations

import functools
import sys
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from ringfence.errors import EXIT_POLICY, EXIT_UNKNOWNS, Error, InputError
from ringfence.outputs import write_output

if TYPE_CHECKING:  # imported where a severity is parsed: `sbom` starts without the finding model
    from ringfence.model.finding import Severity

PASSPHRASE_ENV = "RINGFENCE_PASSPHRASE"  # noqa: S105 - the name of a variable, not a secret
SMALL_FILE_BYTES = 1 << 20  # keys, passphrases
DOCUMENT_BYTES = 256 << 20  # baselines and other documents a command reads whole

# one spelling of a severity on the command line: lower case, accepted in any case
SEVERITY_CHOICES = ("unknown", "low", "medium", "high", "critical")


@dataclass(frozen=True, slots=True)
class ReportOptions:
    fmt: str | None
    output: Path | None
    fail_on: str | None
    strict: bool
    quiet: bool

    def format(self, default: str = "table") -> str:
        """The chosen format; without ``-f``, ``default`` on a terminal and json otherwise."""
        if self.fmt:
            return self.fmt
        return default if self.output is None and sys.stdout.isatty() else "json"

    @property
    def threshold(self) -> Severity | None:
        if not self.fail_on:
            return None
        from ringfence.model.finding import Severity

        return Severity.parse(self.fail_on)

    def note(self, text: str) -> None:
        """A note for the user on stderr, unless ``--quiet``."""
        if not self.quiet:
            click.echo(text, err=True)


def report_options(formats: Sequence[str], *, fail_on_help: str = "",
                   strict_help: str = "") -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Add the contract's options; the command receives them as ``report: ReportOptions``."""

    def decorate(func: Callable[..., Any]) -> Callable[..., Any]:
        @click.option("-f", "--format", "fmt", type=click.Choice(list(formats)), default=None,
                      help="Output format (default: table on a terminal, json otherwise).")
        @click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path),
                      help="Write the report to FILE (atomically) instead of stdout.")
        @click.option("--fail-on", type=click.Choice(SEVERITY_CHOICES, case_sensitive=False),
                      default=None, help=fail_on_help or "Exit 1 when a finding has this "
                      "severity or higher.")
        @click.option("--strict", is_flag=True, help=strict_help or "Exit 4 when something "
                      "could not be read or evaluated.")
        @click.option("-q", "--quiet", is_flag=True, help="No notes or progress on stderr.")
        @functools.wraps(func)
        def wrapper(*args: Any, fmt: str | None, output: Path | None, fail_on: str | None,
                    strict: bool, quiet: bool, **kwargs: Any) -> Any:
            opts = ReportOptions(fmt, output, fail_on.lower() if fail_on else None, strict,
                                 quiet)
            return func(*args, report=opts, **kwargs)

        return wrapper

    return decorate


_UNITS = {"": 1, "b": 1, "k": 2**10, "m": 2**20, "g": 2**30, "t": 2**40}


def size_bytes(text: str) -> int | None:
    """A byte size such as 67108864, 512k, 64m, 2g or 1t (powers of 1024); None if not."""
    text = text.strip().lower()
    number = text.rstrip("bkmgt")
    unit = text[len(number):]
    if not number.isdigit() or unit not in _UNITS or int(number) <= 0:
        return None
    return int(number) * _UNITS[unit]


def parse_size(ctx: click.Context, param: click.Parameter, value: str | None) -> int | None:
    """Click callback of a SIZE option (see :func:`size_bytes`)."""
    if value is None:
        return None
    size = size_bytes(value)
    if size is None:
        raise click.BadParameter(f"{value!r} is not a size such as 512m, 2g or 67108864",
                                 ctx, param)
    return size


def read_input(path: Path, what: str, limit: int = SMALL_FILE_BYTES) -> bytes:
    """A file the user named: regular, at most ``limit`` bytes, else exit 3 naming it."""
    from ringfence.inputs import read_regular

    try:
        return read_regular(path, limit, str(path))
    except InputError as exc:
        raise InputError(str(path), f"{what}: {exc.message}") from exc.__cause__


def passphrase(path: Path | None) -> bytes | None:
    """The key passphrase: from ``path`` (without its line end), else $RINGFENCE_PASSPHRASE."""
    import os

    if path is not None:
        return read_input(path, "passphrase").rstrip(b"\r\n")
    env = os.environ.get(PASSPHRASE_ENV)
    return env.encode() if env is not None else None


def emit(text: str, output: Path | None) -> None:
    """The report to stdout, or to ``output``."""
    if output is None:
        click.echo(text, nl=False)
    else:
        write_output(output, text.encode("utf-8"))


def finish(report: ReportOptions, *, severities: Iterable[Severity], unknowns: int,
           cannot_gate: Error | None = None) -> None:
    """Exit with the contract's precedence (3 > 1 > 4 > 0).

    ``cannot_gate`` is the reason ``--fail-on`` cannot be evaluated (e.g. no vulnerability
    database): with ``--fail-on`` it is exit 3, since "no findings" would be a lie.
    """
    threshold = report.threshold
    if threshold is not None and cannot_gate is not None:
        raise cannot_gate
    if threshold is not None and any(s >= threshold for s in severities):
        raise click.exceptions.Exit(EXIT_POLICY)
    if report.strict and unknowns:
        raise click.exceptions.Exit(EXIT_UNKNOWNS)


def findings_text(doc: dict[str, Any], head: Sequence[str] = ()) -> str:
    """The findings and unknowns of a document as the one human table of findings."""
    from ringfence.report.findings_table import render_findings
    from ringfence.rules import all_rules

    fixes = {r.id: r.remediation for r in all_rules()}
    lines = [*head, *([""] if head else []),
             *render_findings(doc.get("findings", ()), doc.get("unknowns", ()),
                              remediation=fixes)]
    return "\n".join(lines) + "\n"


def finding_severities(doc: dict[str, Any]) -> list[Severity]:
    """Severities of the findings of a JSON document (``findings[].severity``)."""
    from ringfence.model.finding import Severity

    return [Severity.parse(str(f.get("severity", ""))) for f in doc.get("findings", ())]
