"""The depth report as ONE self-contained HTML file: inline CSS and SVG, no script, no
external asset. Per workload: the three rings as concentric circles coloured by how many
threats each holds, the threat by ring matrix, chains, and every finding."""

from __future__ import annotations

from html import escape
from typing import Any, Final

RINGS: Final = ("image", "host", "platform")  # inner to outer
RADII: Final = {"image": 30, "host": 52, "platform": 74}
CELL: Final = {"holds": "holds", "fails": "fails", "partial": "partial",
               "not-evaluated": "not evaluated",
               "no-control": "—"}
CSS: Final = """
body{font-family:system-ui,sans-serif;margin:2em;color:#222;background:#fff}
h1{font-size:1.5em}h2{font-size:1.2em;margin-top:2em;border-bottom:1px solid #ccc}
table{border-collapse:collapse;margin:.5em 0}td,th{border:1px solid #ccc;padding:.2em .6em;
text-align:left;font-size:.9em}.holds{background:#c8f0c8}.fails{background:#f6c6c6}
.not-evaluated{background:#fbeaa8}.no-control{background:#eee;color:#888}
.wl{display:flex;gap:2em;align-items:flex-start}.chain{margin:.3em 0}.open{color:#b00}
.possible{color:#a60}small{color:#666}
"""


def _colour(held: int, total: int) -> str:
    hue = 0 if total == 0 else round(120 * held / total)
    return f"hsl({hue},65%,55%)"


def _svg(w: dict[str, Any]) -> str:
    total = len(w["threats"])
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" width="200" height="200" '
             f'viewBox="-100 -100 200 200" role="img" aria-label="rings of {escape(w["ref"])}">']
    for ring in reversed(RINGS):
        held = sum(1 for t in w["threats"] for r in t["rings"]
                   if r["ring"] == ring and r["state"] == "holds")
        parts.append(f'<circle class="ring-{ring}" r="{RADII[ring]}" fill="none" '
                     f'stroke="{_colour(held, total)}" stroke-width="20">'
                     f'<title>{ring}: holds {held} of {total} threats</title></circle>')
        parts.append(f'<text x="0" y="{-RADII[ring] + 4}" font-size="9" '
                     f'text-anchor="middle">{ring} {held}/{total}</text>')
    parts.append("</svg>")
    return "".join(parts)


def _matrix(w: dict[str, Any]) -> str:
    rows = ["<table class='matrix'><tr><th>threat</th>"
            + "".join(f"<th>{r}</th>" for r in RINGS) + "<th>depth</th></tr>"]
    for t in w["threats"]:
        rings = {r["ring"]: r for r in t["rings"]}
        cells = "".join(f"<td class='{rings[n]['state']}' title='{escape(rings[n]['reason'])}'>"
                        f"{escape(rings[n]['label'])}</td>" for n in RINGS)
        rows.append(f"<tr><td>{escape(t['threat'])}</td>{cells}<td>{t['depth']}/3</td></tr>")
    return "".join(rows) + "</table>"


def _chains(w: dict[str, Any]) -> str:
    out = []
    for c in w["chains"]:
        steps = " → ".join(f"{escape(s['label'])} <small>[{s['state']}]</small>"
                           for s in c["steps"])
        out.append(f"<div class='chain {c['status']}'><b>{c['status']}</b> "
                   f"{escape(c['title'])}: {steps} → <b>{escape(c['outcome'])}</b></div>")
    return "".join(out) or "<p>No chain found.</p>"


def _findings(w: dict[str, Any]) -> str:
    rows = "".join(f"<tr><td>{escape(f['rule_id'])}</td><td>{f['severity']}</td>"
                   f"<td>{escape(f['message'])}</td><td>{escape(f['location'])}</td></tr>"
                   for f in w["findings"])
    return (f"<details><summary>{len(w['findings'])} findings</summary><table><tr><th>rule"
            f"</th><th>severity</th><th>message</th><th>location</th></tr>{rows}</table>"
            "</details>")


def _notes(w: dict[str, Any]) -> str:
    reasons = sorted({f"{r['ring']}: {r['reason']}" for t in w["threats"] for r in t["rings"]
                      if r["state"] == "not-evaluated"})
    items = "".join(f"<li>{escape(x)}</li>" for x in reasons)
    return f"<ul class='not-evaluated-reasons'>{items}</ul>" if items else ""


def _workload(w: dict[str, Any]) -> str:
    return (f"<section class='workload'><h2>{escape(w['ref'])}</h2><p><small>"
            f"{escape(', '.join(w['images']))} — {escape(w['location'])}</small></p>"
            f"<div class='wl'>{_svg(w)}{_matrix(w)}</div>{_notes(w)}<h3>Chains</h3>"
            f"{_chains(w)}{_findings(w)}</section>")


def render_depth_html(doc: dict[str, Any]) -> str:
    s = doc["summary"]
    threats = "".join(f"<tr><td>{escape(t['id'])}</td><td>{escape(t['name'])}</td>"
                      f"<td>{escape(', '.join(t['techniques']))}</td></tr>"
                      for t in doc["threats"])
    sources = "".join(f"<li>{escape(x['input'])}: {escape(x['status'])}</li>"
                      for x in doc["sources"])
    return ("<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'>"
            "<title>ringfence defense-in-depth report</title>"
            f"<style>{CSS}</style></head><body><h1>Defense in depth</h1>"
            f"<p id='summary'>{s['workloads']} workloads · {s['not_evaluated_cells']} ring "
            f"cells not evaluated · {s['open_chains']} open chains</p><ul>{sources}</ul>"
            "<details><summary>Threat catalogue</summary><table><tr><th>threat</th><th>name"
            f"</th><th>ATT&amp;CK</th></tr>{threats}</table></details>"
            + "".join(_workload(w) for w in doc["workloads"]) + "</body></html>\n")
