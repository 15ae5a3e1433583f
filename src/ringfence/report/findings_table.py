"""Rule findings for people, the same way in every command: a one-line total, then the
findings grouped by severity (most severe first), each with its location, message and the
rule's remediation, then the unknowns, and what to do next.  Fits ``width`` columns; every
string from the input goes through :func:`ringfence.report.text.plain`."""

from __future__ import annotations

import textwrap
from collections.abc import Iterable, Mapping, Sequence
from typing import Any, Final

from ringfence.model.finding import Severity
from ringfence.report.text import default_width, plain

ORDER: Final = (Severity.CRITICAL, Severity.HIGH, Severity.MEDIUM, Severity.LOW,
                Severity.UNKNOWN)
MIN_WIDTH: Final = 40


def total_line(findings: Iterable[Mapping[str, Any]], label: str = "Total") -> str:
    counts = dict.fromkeys(ORDER, 0)
    for f in findings:
        counts[Severity.parse(str(f.get("severity", "")))] += 1
    parts = ", ".join(f"{s.name} {n}" for s, n in counts.items())
    return f"{label}: {sum(counts.values())} ({parts})"


def render_findings(findings: Sequence[Mapping[str, Any]],
                    unknowns: Sequence[Mapping[str, Any]] = (), *,
                    remediation: Mapping[str, str] | None = None,
                    width: int | None = None) -> list[str]:
    """Lines of the findings section (findings as ``Finding.to_dict`` documents)."""
    width = max(MIN_WIDTH, width or default_width())
    fixes = remediation or {}
    lines = [total_line(findings)]
    for severity in ORDER:
        group = [f for f in findings if Severity.parse(str(f["severity"])) is severity]
        if not group:
            continue
        lines += ["", f"{severity.name} ({len(group)})"]
        for f in sorted(group, key=lambda f: (f["rule"], f["location"])):
            rule = str(f["rule"])
            lines += _wrap(f"{rule}  {plain(f['location'])}", width, "  ", "  " + " " * 4)
            lines += _wrap(plain(f["message"]), width, " " * 6, " " * 6)
            if fixes.get(rule):
                lines += _wrap(f"fix: {fixes[rule]}", width, " " * 6, " " * 11)
    if unknowns:
        lines += ["", f"UNKNOWN: {len(unknowns)} input(s) could not be read or evaluated "
                  "(counted by --strict)"]
        for u in unknowns:
            lines += _wrap(f"{plain(u['location'])}: {plain(u['reason'])}", width, "  ",
                           "    ")
    if findings:
        lines += ["", "`ringfence explain RULE-ID` says why a rule matters and how to fix it."]
    return lines


def _wrap(text: str, width: int, first: str, rest: str) -> list[str]:
    return textwrap.wrap(text, width, initial_indent=first, subsequent_indent=rest,
                         break_long_words=True, break_on_hyphens=False) or [first.rstrip()]
