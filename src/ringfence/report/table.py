"""Human tables with rich: packages grouped by type, then unknowns."""

from __future__ import annotations

import io

from rich.console import Console
from rich.table import Table

from ringfence.model.result import DbInfo, ScanResult
from ringfence.report.provenance_table import render_provenance


class TableRenderer:
    def __init__(self, width: int = 120, color: bool = False,
                 show_suppressed: bool = False) -> None:
        self.width = width
        self.color = color
        self.show_suppressed = show_suppressed

    def render(self, result: ScanResult) -> str:
        buf = io.StringIO()
        console = Console(file=buf, width=self.width, force_terminal=self.color,
                          no_color=not self.color, highlight=False)
        inv = result.inventory
        distro = inv.distro.pretty_name or inv.distro.id if inv.distro else "unknown distro"
        console.print(f"[bold]{result.target.name}[/bold]  ({distro})")
        layer_no = {}
        if result.image:
            layer_no = {la.diff_id: n for n, la in enumerate(result.image.layers, 1)}
        for ptype, pkgs in sorted(inv.by_type().items()):
            table = Table(title=f"{ptype} ({len(pkgs)})", title_justify="left")
            for col in ("name", "version", "source", "layer", "path"):
                table.add_column(col, overflow="fold")
            for p in pkgs:
                src = ""
                if p.source_name and (p.source_name, p.source_version) != (p.name, p.version):
                    src = f"{p.source_name} {p.source_version or ''}".strip()
                loc = p.locations[0] if p.locations else None
                layer = str(layer_no.get(loc.layer, "")) if loc and loc.layer else ""
                table.add_row(p.name, p.version, src, layer, loc.path if loc else "")
            console.print(table)
        if inv.deleted:
            title = f"deleted in a later layer, still in the image ({len(inv.deleted)})"
            table = Table(title=title, title_justify="left")
            for col in ("type", "name", "version", "path"):
                table.add_column(col)
            for p in inv.deleted:
                table.add_row(p.type, p.name, p.version, p.locations[0].path if p.locations else "")
            console.print(table)
        if inv.unknowns:
            table = Table(title=f"unknowns ({len(inv.unknowns)})", title_justify="left")
            for col in ("location", "plugin", "reason"):
                table.add_column(col, overflow="fold")
            for u in inv.unknowns:
                table.add_row(u.location, u.plugin, u.reason)
            console.print(table)
        _vulnerabilities(console, result, layer_no, self.show_suppressed)
        _findings(console, result)
        render_provenance(console, result.analysis("provenance"))
        unknowns = len(set(inv.unknowns) | set(result.unknowns))
        console.print(f"{len(inv.packages)} packages, {unknowns} unknowns")
        if result.db is not None:
            console.print(db_footer(result.db))
        return buf.getvalue()


def _vulnerabilities(console: Console, result: ScanResult, layer_no: dict[str, int],
                     show_suppressed: bool) -> None:
    """One row per (package, advisory), grouped by package, with the fixed version(s)."""
    if result.db is None and not result.vulnerabilities:
        return
    shown = [m for m in result.vulnerabilities if show_suppressed or not m.suppressed_by]
    hidden = len(result.vulnerabilities) - len(shown)
    table = Table(title=f"vulnerabilities ({len(shown)})", title_justify="left")
    for col in ("package", "installed", "fixed in", "id", "severity", "status", "layer"):
        table.add_column(col, overflow="fold")
    previous = None
    for m in shown:
        key = (m.package_purl, m.location)
        first = key != previous
        previous = key
        layer = str(layer_no.get(m.layer, "")) if m.layer else ""
        status = f"{m.status} (suppressed)" if m.suppressed_by else m.status
        table.add_row(m.package_name if first else "", m.installed_version if first else "",
                      ", ".join(m.fixed_versions), m.advisory_id, m.severity.name.lower(),
                      status, layer if first else "")
    console.print(table)
    if hidden:
        console.print(f"{hidden} suppressed by VEX or the ignore file (listed in JSON output)")


def _findings(console: Console, result: ScanResult) -> None:
    """Rule findings (image config, secrets), most severe first."""
    if not result.findings:
        return
    table = Table(title=f"findings ({len(result.findings)})", title_justify="left")
    for col in ("rule", "severity", "location", "message"):
        table.add_column(col, overflow="fold")
    for f in sorted(result.findings, key=lambda f: (-f.severity, f.rule_id, f.location)):
        table.add_row(f.rule_id, f.severity.name.lower(), f.location, f.message)
    console.print(table)


def db_footer(db: DbInfo) -> str:
    age = "age unknown" if db.age_days is None else f"{db.age_days:.1f} days old"
    newest = db.newest_record or "no dated record"
    return f"vulnerability database {db.path}: newest record {newest} ({age})"
