"""The report contract's small decisions, pinned one by one (bench/mutation.py `exit`):
the format chosen without ``-f``, ``--quiet`` silencing notes on stderr only, the
``--fail-on`` threshold (case-insensitive, at the boundary), and the severities read back
from a JSON document."""

from __future__ import annotations

import io
import sys
from pathlib import Path

import click
import pytest

from ringfence.cli.common import ReportOptions, finding_severities, finish, report_options
from ringfence.errors import EXIT_POLICY, EXIT_UNKNOWNS, InputError
from ringfence.model.finding import Severity


class _Tty(io.StringIO):
    def __init__(self, tty: bool) -> None:
        super().__init__()
        self._tty = tty

    def isatty(self) -> bool:
        return self._tty


def _opts(fmt: str | None = None, output: Path | None = None, fail_on: str | None = None,
          strict: bool = False, quiet: bool = False) -> ReportOptions:
    return ReportOptions(fmt, output, fail_on, strict, quiet)


@pytest.mark.parametrize(("fmt", "output", "tty", "default", "expected"), [
    ("sarif", None, True, "table", "sarif"),            # -f wins everywhere
    ("sarif", Path("r.json"), False, "table", "sarif"),
    (None, None, True, "table", "table"),               # a terminal: the default
    (None, None, True, "html", "html"),                 # ... the command's own default
    (None, None, False, "table", "json"),               # a pipe: json
    (None, Path("r.out"), True, "table", "json"),       # a file, even from a terminal
])
def test_format_without_f(monkeypatch: pytest.MonkeyPatch, fmt: str | None,
                          output: Path | None, tty: bool, default: str, expected: str) -> None:
    monkeypatch.setattr(sys, "stdout", _Tty(tty))
    assert _opts(fmt, output).format(default) == expected


def test_format_default_argument_is_table(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sys, "stdout", _Tty(True))
    assert _opts().format() == "table"


def test_note_goes_to_stderr_unless_quiet(capsys: pytest.CaptureFixture[str]) -> None:
    _opts().note("scanning layer 1")
    out, err = capsys.readouterr()
    assert (out, err) == ("", "scanning layer 1\n")  # never into a JSON report on stdout
    _opts(quiet=True).note("scanning layer 2")
    assert capsys.readouterr() == ("", "")


@pytest.mark.parametrize(("fail_on", "expected"), [
    (None, None), ("", None), ("low", Severity.LOW), ("critical", Severity.CRITICAL),
    ("unknown", Severity.UNKNOWN)])
def test_threshold(fail_on: str | None, expected: Severity | None) -> None:
    assert _opts(fail_on=fail_on).threshold == expected


def _exit(opts: ReportOptions, severities: list[Severity], unknowns: int = 0,
          gate: InputError | None = None) -> int:
    try:
        finish(opts, severities=severities, unknowns=unknowns, cannot_gate=gate)
    except click.exceptions.Exit as exc:
        return exc.exit_code
    return 0


def test_fail_on_boundary_each_level() -> None:
    order = [Severity.UNKNOWN, Severity.LOW, Severity.MEDIUM, Severity.HIGH,
             Severity.CRITICAL]
    for i, level in enumerate(order):
        opts = _opts(fail_on=level.name.lower())
        for j, found in enumerate(order):
            assert _exit(opts, [found]) == (EXIT_POLICY if j >= i else 0), (level, found)
        # one finding at the threshold among lower ones still fails
        assert _exit(opts, [*order[:i], level]) == EXIT_POLICY


def test_findings_without_fail_on_never_fail_and_strict_needs_unknowns() -> None:
    assert _exit(_opts(), [Severity.CRITICAL], unknowns=3) == 0
    assert _exit(_opts(strict=True), [Severity.CRITICAL], unknowns=0) == 0
    assert _exit(_opts(strict=True), [], unknowns=1) == EXIT_UNKNOWNS
    # a finding over the threshold outranks unknowns under --strict
    both = _opts(fail_on="high", strict=True)
    assert _exit(both, [Severity.HIGH], unknowns=1) == EXIT_POLICY
    assert _exit(both, [Severity.MEDIUM], unknowns=1) == EXIT_UNKNOWNS


def test_cannot_gate_only_with_fail_on() -> None:
    gate = InputError("db", "no vulnerability database")
    assert _exit(_opts(), [], gate=gate) == 0  # nothing to gate: the report stands
    with pytest.raises(InputError) as exc:
        _exit(_opts(fail_on="critical"), [], gate=gate)
    assert exc.value is gate
    with pytest.raises(InputError):  # even when a finding would have failed the gate
        _exit(_opts(fail_on="low"), [Severity.CRITICAL], gate=gate)


def test_finding_severities_of_a_document() -> None:
    doc = {"findings": [{"severity": "high"}, {"severity": "LOW"}, {"rule": "x"}]}
    assert finding_severities(doc) == [Severity.HIGH, Severity.LOW,
                                       Severity.parse("")]
    assert finding_severities({}) == []


def test_report_options_lower_cases_fail_on() -> None:
    seen: list[ReportOptions] = []

    @click.command()
    @report_options(["json", "table"])
    def cmd(report: ReportOptions) -> None:
        seen.append(report)

    from click.testing import CliRunner
    result = CliRunner().invoke(cmd, ["--fail-on", "HIGH", "-f", "json", "--strict", "-q"])
    assert result.exit_code == 0, result.output
    assert seen == [ReportOptions("json", None, "high", True, True)]
    result = CliRunner().invoke(cmd, [])
    assert result.exit_code == 0
    assert seen[-1] == ReportOptions(None, None, None, False, False)
