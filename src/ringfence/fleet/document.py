"""The fleet report: ``ringfence.fleet/1`` JSON (schema: ``ringfence schema fleet``) and its
table. Per image the same packages, findings, vulnerabilities and unknowns
``ringfence image -f json`` gives for it alone; the summary counts unique layers and the
layer analyses that ran in this invocation."""

from __future__ import annotations

from typing import Any, Final

from ringfence import __version__
from ringfence.fleet.run import FleetImage, FleetResult
from ringfence.model.finding import Severity
from ringfence.model.result import ScanResult

SCHEMA: Final = "ringfence.fleet/1"
LEVELS: Final = ("critical", "high", "medium", "low", "unknown")


def severities(result: ScanResult) -> list[Severity]:
    """What ``--fail-on`` weighs for one image (as ``ringfence image``)."""
    out = [f.severity for f in result.findings]
    return out + [m.severity for m in result.vulnerabilities if not m.suppressed_by]


def unknowns(result: ScanResult) -> int:
    uncovered = len(result.coverage.uncovered) if result.coverage else 0
    return len({*result.inventory.unknowns, *result.unknowns}) + uncovered


def image_entry(image: FleetImage) -> dict[str, Any]:
    result = image.outcome.result
    entry: dict[str, Any] = {"ref": image.ref, "digest": image.digest or None}
    if result is None:
        return {**entry, "packages": [], "findings": [], "vulnerabilities": [],
                "unknowns": [], "counts": dict.fromkeys(LEVELS, 0),
                "error": image.outcome.error}
    counts = dict.fromkeys(LEVELS, 0)
    for sev in severities(result):
        counts[sev.name.lower()] += 1
    return {**entry,
            "packages": [p.to_dict() for p in result.inventory.packages],
            "findings": [f.to_dict() for f in result.findings],
            "vulnerabilities": [m.to_dict() for m in result.vulnerabilities],
            "unknowns": [u.to_dict() for u in
                         sorted({*result.inventory.unknowns, *result.unknowns})],
            "counts": counts}


def to_document(fleet: FleetResult) -> dict[str, Any]:
    return {
        "schema": SCHEMA,
        "tool": {"name": "ringfence", "version": __version__},
        "images": [image_entry(i) for i in fleet.images],
        "summary": {"images": len(fleet.images),
                    "unique_images": len({i.digest for i in fleet.images if i.digest}),
                    "unique_layers": fleet.unique_layers,
                    "layers_analysed": fleet.layers_analysed, "failed": fleet.failed},
    }


def summary_line(doc: dict[str, Any]) -> str:
    s = doc["summary"]
    return (f"Total: {s['images']} images ({s['unique_images']} unique), "
            f"{s['unique_layers']} unique layers, {s['layers_analysed']} analysed now, "
            f"{s['failed']} failed")


def render_table(doc: dict[str, Any]) -> str:
    """One line per image (reference and digest shown as data), then the summary."""
    from ringfence.report.text import plain

    head = f"{'IMAGE':<40} {'DIGEST':<19} {'PKGS':>5}  C/H/M/L/U"
    lines = [head]
    for entry in doc["images"]:
        ref = plain(entry["ref"])
        ref = ref if len(ref) <= 40 else "…" + ref[-39:]
        digest = plain(entry["digest"] or "-")[:19]
        if entry.get("error"):
            lines.append(f"{ref:<40} {digest:<19}  error: {plain(entry['error'])}")
            continue
        counts = "/".join(str(entry["counts"][lvl]) for lvl in LEVELS)
        lines.append(f"{ref:<40} {digest:<19} {len(entry['packages']):>5}  {counts}")
    lines += ["", summary_line(doc)]
    return "\n".join(lines) + "\n"
