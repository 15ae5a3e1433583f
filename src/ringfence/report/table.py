"""The image report for people: what to fix first, then what is installed.

Order: the target line, a one-line total (``Total: 12 (CRITICAL 1, HIGH 4, …)``), the
vulnerabilities and rule findings grouped by severity (most severe first, each with a
remediation line when a fix is known), the provenance section, then the packages grouped by
type, deleted packages, unknowns and the database footer.

It fits the width it is given (80 columns included): two-column tables whose long values
fold or end with an ellipsis.  Every string that came from the input (package names,
versions, paths, messages, os-release) is data: a ``Text`` cell with control characters
replaced, never rich markup, and the whole output is guarded once more at the end.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from typing import Final

from rich import box
from rich.console import Console
from rich.table import Table
from rich.text import Text

from ringfence.model.advisory import VulnerabilityMatch
from ringfence.model.finding import Finding, Rule, Severity
from ringfence.model.result import DbInfo, ScanResult
from ringfence.report.provenance_table import render_provenance
from ringfence.report.text import cell, default_width, finish, plain, text_console

ORDER: Final = (Severity.CRITICAL, Severity.HIGH, Severity.MEDIUM, Severity.LOW,
                Severity.UNKNOWN)
STYLE: Final = {Severity.CRITICAL: "bold red", Severity.HIGH: "red",
                Severity.MEDIUM: "yellow", Severity.LOW: "cyan", Severity.UNKNOWN: "dim"}
SUMMARY_CHARS: Final = 160  # an advisory summary is cut to this many characters


class TableRenderer:
    def __init__(self, width: int | None = None, color: bool = False,
                 show_suppressed: bool = False, rules: Sequence[Rule] = (),
                 packages: bool = True) -> None:
        """``rules``: the rules that ran, for the remediation line of their findings;
        ``packages``: list the packages (the SBOM view) or only count them."""
        self.packages = packages
        self.width = width or default_width()
        self.color = color
        self.show_suppressed = show_suppressed
        self.rules = {r.id: r for r in rules}

    def render(self, result: ScanResult) -> str:
        buf = io.StringIO()
        console = text_console(buf, self.width, self.color)
        inv = result.inventory
        distro = inv.distro.pretty_name or inv.distro.id if inv.distro else "unknown distro"
        console.print(Text.assemble(cell(result.target.name, "bold"), "  (", cell(distro),
                                    ")"))
        layer_no: dict[str, int] = {}
        if result.image:
            layer_no = {la.diff_id: n for n, la in enumerate(result.image.layers, 1)}
        shown = [m for m in result.vulnerabilities
                 if self.show_suppressed or not m.suppressed_by]
        hidden = len(result.vulnerabilities) - len(shown)
        if result.db is not None or result.vulnerabilities or result.findings:
            console.print(total_line(shown, result.findings, self.show_suppressed))
            if result.coverage is not None and result.coverage.uncovered:
                console.print(cell(result.coverage.line(), "bold"))  # no silent zeros
            _by_severity(console, shown, result.findings, layer_no, self.rules)
        if hidden:
            console.print(f"{hidden} suppressed by VEX or the ignore file (listed in JSON "
                          "output)")
        render_provenance(console, result.analysis("provenance"))
        if self.packages:
            _packages(console, result, layer_no)
        unknowns = len(set(inv.unknowns) | set(result.unknowns))
        console.print(f"{len(inv.packages)} packages, {unknowns} unknowns")
        if result.db is not None:
            console.print(cell(db_footer(result.db)))
        return finish(buf.getvalue(), self.color)


def total_line(matches: Sequence[VulnerabilityMatch], findings: Sequence[Finding],
               count_suppressed: bool = False) -> str:
    """``Total: 12 (CRITICAL 1, HIGH 4, MEDIUM 5, LOW 2, UNKNOWN 0)`` over the
    vulnerabilities shown and the rule findings."""
    sev = [m.severity for m in matches if count_suppressed or not m.suppressed_by]
    sev += [f.severity for f in findings]
    parts = ", ".join(f"{s.name} {sev.count(s)}" for s in ORDER)
    return f"Total: {len(sev)} ({parts})"


def _grid(title: str, style: str) -> Table:
    table = Table(title=Text(title, style=style), title_justify="left", box=box.SIMPLE_HEAD,
                  padding=(0, 1), pad_edge=False, expand=False)
    table.add_column("id", overflow="fold", no_wrap=False, max_width=24)
    table.add_column("what, where and how to fix", overflow="fold")
    return table


def _by_severity(console: Console, matches: Sequence[VulnerabilityMatch],
                 findings: Sequence[Finding], layer_no: dict[str, int],
                 rules: dict[str, Rule]) -> None:
    """One table per severity: vulnerabilities (grouped by package), then rule findings."""
    for severity in ORDER:
        vulns = [m for m in matches if m.severity == severity]
        finds = sorted((f for f in findings if f.severity == severity),
                       key=lambda f: (f.rule_id, f.location))
        if not vulns and not finds:
            continue
        table = _grid(f"{severity.name} ({len(vulns) + len(finds)})", STYLE[severity])
        for m in sorted(vulns, key=lambda m: (m.package_name, m.location, m.advisory_id)):
            table.add_row(cell(m.advisory_id), _vulnerability(m, layer_no, console.width - 20),
                          end_section=True)
        for f in finds:
            table.add_row(cell(f.rule_id), _finding(f, rules.get(f.rule_id)),
                          end_section=True)
        console.print()
        console.print(table)


def _vulnerability(m: VulnerabilityMatch, layer_no: dict[str, int], path_chars: int) -> Text:
    status = f"{m.status}, suppressed: {m.suppressed_by}" if m.suppressed_by else m.status
    head = f"{m.package_name} {m.installed_version} ({status})"
    if m.layer and m.layer in layer_no:
        head += f", layer {layer_no[m.layer]}"
    lines = [cell(head, "bold")]
    if m.summary:
        lines.append(cell(_cut(m.summary, SUMMARY_CHARS)))
    if m.location:
        lines.append(cell(middle(m.location, max(24, path_chars)), "dim"))
    if m.fixed_versions:
        lines.append(cell(f"fix: upgrade {m.package_name} to "
                          f"{' or '.join(m.fixed_versions)}", "green"))
    return Text("\n").join(lines)


def _finding(f: Finding, rule: Rule | None) -> Text:
    lines = [cell(f.message)]
    if f.location and f.location not in f.message:
        lines.append(cell(f.location, "dim"))
    if rule is not None and rule.remediation:
        lines.append(cell(f"fix: {rule.remediation}", "green"))
    return Text("\n").join(lines)


def _cut(text: str, limit: int) -> str:
    text = plain(text)
    return text if len(text) <= limit else text[:limit - 1].rstrip() + "…"


def middle(text: str, limit: int) -> str:
    """``text`` cut in the middle with an ellipsis (a path keeps its start and file name)."""
    text = plain(text)
    if len(text) <= limit:
        return text
    head = (limit - 1) // 2
    return text[:head] + "…" + text[len(text) - (limit - 1 - head):]


def licence_cell(licences: Sequence[str], limit: int) -> str:
    """The licences as declared (a list, not an AND), comma-separated, in at most ``limit``
    characters: as many whole ones as fit, then ``+N`` for the rest; a first one longer
    than that ends with an ellipsis. JSON and the SBOMs carry the full set."""
    names = [plain(x) for x in licences]
    for shown in range(len(names), 0, -1):
        rest = f" +{len(names) - shown}" if shown < len(names) else ""
        text = ", ".join(names[:shown]) + rest
        if len(text) <= limit:
            return text
    rest = f" +{len(names) - 1}" if len(names) > 1 else ""
    return _cut(names[0], max(2, limit - len(rest))) + rest if names else ""


def _packages(console: Console, result: ScanResult, layer_no: dict[str, int]) -> None:
    inv = result.inventory
    path_chars = max(24, console.width // 3)
    licence_chars = max(12, console.width // 5)
    for ptype, pkgs in sorted(inv.by_type().items()):
        table = Table(title=cell(f"{ptype} ({len(pkgs)})"), title_justify="left",
                      box=box.SIMPLE_HEAD, pad_edge=False)
        table.add_column("name", overflow="fold", max_width=max(16, console.width // 4))
        table.add_column("version", overflow="fold")
        # one line per package whatever the expressions: the first licences, then "+N"
        table.add_column("licences", no_wrap=True, overflow="ellipsis",
                         min_width=licence_chars, max_width=licence_chars)
        for col in ("source", "layer", "path"):
            table.add_column(col, overflow="fold")
        for p in pkgs:
            src = ""
            if p.source_name and (p.source_name, p.source_version) != (p.name, p.version):
                src = f"{p.source_name} {p.source_version or ''}".strip()
            loc = p.locations[0] if p.locations else None
            layer = str(layer_no.get(loc.layer, "")) if loc and loc.layer else ""
            licences = licence_cell(p.licenses, licence_chars)
            table.add_row(cell(p.name), cell(p.version), cell(licences), cell(src), layer,
                          cell(middle(loc.path, path_chars) if loc else ""))
        console.print(table)
    if inv.deleted:
        title = f"deleted in a later layer, still in the image ({len(inv.deleted)})"
        table = Table(title=title, title_justify="left", box=box.SIMPLE_HEAD, pad_edge=False)
        for col in ("type", "name", "version", "path"):
            table.add_column(col, overflow="fold")
        for p in inv.deleted:
            table.add_row(cell(p.type), cell(p.name), cell(p.version),
                          cell(middle(p.locations[0].path, path_chars) if p.locations else ""))
        console.print(table)
    unknowns = sorted(set(inv.unknowns) | set(result.unknowns))
    if unknowns:
        table = Table(title=f"unknowns ({len(unknowns)})", title_justify="left",
                      box=box.SIMPLE_HEAD, pad_edge=False)
        for col in ("location", "plugin", "reason"):
            table.add_column(col, overflow="fold")
        for u in unknowns:
            table.add_row(cell(u.location), cell(u.plugin), cell(u.reason))
        console.print(table)


def db_footer(db: DbInfo) -> str:
    age = "age unknown" if db.age_days is None else f"{db.age_days:.1f} days old"
    newest = db.newest_record or "no dated record"
    return f"vulnerability database {db.path}: newest record {newest} ({age})"
