"""Human tables with rich: packages grouped by type, then unknowns."""

from __future__ import annotations

import io

from rich.console import Console
from rich.table import Table

from ringfence.model.result import ScanResult


class TableRenderer:
    def __init__(self, width: int = 120, color: bool = False) -> None:
        self.width = width
        self.color = color

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
        console.print(f"{len(inv.packages)} packages, {len(inv.unknowns)} unknowns")
        return buf.getvalue()
