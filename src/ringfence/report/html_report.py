"""The depth report as ONE self-contained HTML file: inline CSS and SVG, no script, no
external asset. It opens with an overview (workloads by threats, the depth of each cell),
then per workload: the three rings as concentric circles, one arc per threat coloured by the
state of that ring for that threat (holds green, fails red, partial blue, not evaluated
amber, no control grey: what was not evaluated is never drawn like a failure), the threat
by ring matrix, what was not evaluated, chains, and every finding. Notes shared by every
workload appear once, at the top."""

from __future__ import annotations

from html import escape
from typing import Any, Final

from ringfence.report.text import plain

RINGS: Final = ("image", "host", "platform")  # inner to outer
RADII: Final = {"image": 30, "host": 52, "platform": 74}
STATES: Final = ("holds", "fails", "partial", "not-evaluated", "no-control")
WORDS: Final = {"holds": "holds", "fails": "fails", "partial": "partial",
                "not-evaluated": "not evaluated", "no-control": "no control"}
# one colour per state: arcs (stroke) and matrix cells (background)
STROKE: Final = {"holds": "#2e9d4a", "fails": "#d2372c", "partial": "#4f86c6",
                 "not-evaluated": "#f0b429", "no-control": "#c8c8c8"}
FILL: Final = {"holds": "#c8f0c8", "fails": "#f6c6c6", "partial": "#d3e3f6",
               "not-evaluated": "#fbeaa8", "no-control": "#eeeeee"}
CSS: Final = """
body{font-family:system-ui,sans-serif;margin:2em;color:#222;background:#fff}
h1{font-size:1.5em}h2{font-size:1.2em;margin-top:2em;border-bottom:1px solid #ccc}
table{border-collapse:collapse;margin:.5em 0}td,th{border:1px solid #ccc;padding:.2em .6em;
text-align:left;font-size:.9em}.no-control{color:#888}
.wl{display:flex;gap:2em;align-items:flex-start}.chain{margin:.3em 0}.open{color:#b00}
.possible{color:#a60}small{color:#666}.arc{fill:none;stroke-width:20}
.overview td{text-align:center;padding:.2em .3em}.overview th{font-size:.8em}
.overview th a{color:inherit}.scroll{overflow-x:auto;max-width:100%}
.d0-fails{background:#f6c6c6}.d0-undecided{background:#fbeaa8}.d1{background:#dcf3dc}
.d2{background:#b5e6b5}.d3{background:#7fd18f}.undecided{color:#8a6100;font-size:.8em}
.legend span{display:inline-block;width:.9em;height:.9em;margin:0 .3em 0 1em;
vertical-align:middle}
""" + "".join(f".{s}{{background:{FILL[s]}}}.arc.{s}{{stroke:{STROKE[s]}}}"
              f".legend .{s}{{background:{STROKE[s]}}}" for s in STATES)


def _e(value: object) -> str:
    """Untrusted text for HTML: control characters replaced, then escaped (quotes too)."""
    return escape(plain(value))


def _arc(ring: str, index: int, total: int, cell: dict[str, Any], threat: str) -> str:
    """Arc ``index`` of ``total`` on ``ring``: pathLength=total, so each arc is 1 long."""
    return (f'<circle class="arc {cell["state"]}" r="{RADII[ring]}" pathLength="{total}" '
            f'stroke-dasharray="0.94 {total - 0.94:g}" stroke-dashoffset="{-index}" '
            f'data-ring="{ring}" data-threat="{_e(threat)}" data-state="{cell["state"]}">'
            f'<title>{_e(threat)}: {ring} {_e(cell["label"])}</title></circle>')


def _svg(w: dict[str, Any]) -> str:
    total = len(w["threats"])
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" width="200" height="200" '
             f'viewBox="-100 -100 200 200" role="img" aria-label="rings of {_e(w["ref"])}">'
             '<g transform="rotate(-90)">']
    for ring in reversed(RINGS):
        parts.append(f'<g class="ring-{ring}">')
        for i, t in enumerate(w["threats"]):
            cell = next(r for r in t["rings"] if r["ring"] == ring)
            parts.append(_arc(ring, i, total, cell, t["threat"]))
        parts.append("</g>")
    parts.append("</g>")
    for ring in RINGS:
        parts.append(f'<text x="0" y="{-RADII[ring] + 3}" font-size="8" '
                     f'text-anchor="middle">{ring}</text>')
    parts.append("</svg>")
    return "".join(parts)


def _ring_counts(w: dict[str, Any]) -> str:
    rows = []
    for ring in RINGS:
        states = [r["state"] for t in w["threats"] for r in t["rings"] if r["ring"] == ring]
        counts = ", ".join(f"{states.count(s)} {WORDS[s]}" for s in STATES if s in states)
        rows.append(f"<li class='ring-count' data-ring='{ring}'><b>{ring}</b>: {counts}</li>")
    return f"<ul>{''.join(rows)}</ul>"


def _matrix(w: dict[str, Any]) -> str:
    rows = ["<table class='matrix'><tr><th>threat</th>"
            + "".join(f"<th>{r}</th>" for r in RINGS) + "<th>depth</th></tr>"]
    for t in w["threats"]:
        rings = {r["ring"]: r for r in t["rings"]}
        cells = "".join(f"<td class='{rings[n]['state']}' data-ring='{n}' "
                        f"title='{_e(rings[n]['reason'])}'>"
                        f"{'—' if rings[n]['state'] == 'no-control' else _e(rings[n]['label'])}"
                        "</td>" for n in RINGS)
        rows.append(f"<tr data-threat='{_e(t['threat'])}'><td>{_e(t['threat'])}</td>{cells}"
                    f"<td>{t['depth']}/3</td></tr>")
    return "".join(rows) + "</table>"


def _overview_cell(w: dict[str, Any], t: dict[str, Any]) -> str:
    depth, undecided = t["depth"], len(t["undecided"])
    fails = any(r["state"] == "fails" for r in t["rings"])
    cls = f"d{depth}" if depth else ("d0-fails" if fails else "d0-undecided")
    title = "; ".join(f"{r['ring']}: {r['label']}" for r in t["rings"])
    mark = (f" <span class='undecided' title='rings not decided'>+{undecided}?</span>"
            if undecided else "")
    return (f"<td class='{cls}' data-workload='{_e(w['ref'])}' data-threat='{_e(t['threat'])}'"
            f" data-depth='{depth}' data-undecided='{undecided}' title='{_e(title)}'>"
            f"{depth}<small>/3</small>{mark}</td>")


def _overview(doc: dict[str, Any]) -> str:
    head = "".join(f"<th title='{_e(t['name'])}'>{_e(t['id'])}</th>" for t in doc["threats"])
    rows = []
    for i, w in enumerate(doc["workloads"]):
        cells = "".join(_overview_cell(w, t) for t in w["threats"])
        rows.append(f"<tr><th><a href='#w{i}'>{_e(w['ref'])}</a></th>{cells}</tr>")
    legend = "".join(f"<span class='{s}'></span>{WORDS[s]}" for s in STATES)
    key = ("n/3: rings that hold; +n?: rings partial or not evaluated (never counted). Each "
           "workload below draws its rings with one arc per threat, clockwise from the top in "
           "the order of its matrix.")
    return ("<section id='overview'><h2>Overview: rings that hold, per workload and threat"
            "</h2><div class='scroll'><table class='overview'><tr><th>workload</th>" + head
            + "</tr>" + "".join(rows) + f"</table></div><p><small>{key}</small></p>"
            f"<p class='legend'><small>ring states:</small>{legend}</p></section>")


def _chains(w: dict[str, Any]) -> str:
    out = []
    for c in w["chains"]:
        steps = " → ".join(f"{_e(s['label'])} <small>[{_e(s['state'])}]</small>"
                           for s in c["steps"])
        out.append(f"<div class='chain {_e(c['status'])}'><b>{_e(c['status'])}</b> "
                   f"{_e(c['title'])}: {steps} → <b>{_e(c['outcome'])}</b></div>")
    return "".join(out) or "<p>No chain found.</p>"


def _findings(w: dict[str, Any]) -> str:
    rows = "".join(f"<tr><td>{_e(f['rule'])}</td><td>{_e(f['severity'])}</td>"
                   f"<td>{_e(f['message'])}</td><td>{_e(f['location'])}</td></tr>"
                   for f in w["findings"])
    return (f"<details><summary>{len(w['findings'])} findings</summary><table><tr><th>rule"
            f"</th><th>severity</th><th>message</th><th>location</th></tr>{rows}</table>"
            "</details>")


def _notes(notes: list[str], cls: str) -> str:
    items = "".join(f"<li>{_e(x)}</li>" for x in notes)
    return f"<ul class='{cls}'>{items}</ul>" if items else ""


def _workload(i: int, w: dict[str, Any]) -> str:
    return (f"<section class='workload' id='w{i}'><h2>{_e(w['ref'])}</h2><p><small>"
            f"{_e(', '.join(w['images']))} — {_e(w['location'])}</small></p>"
            f"<div class='wl'><div>{_svg(w)}{_ring_counts(w)}</div>{_matrix(w)}</div>"
            f"{_notes(w['notes'], 'not-evaluated-reasons')}<h3>Chains</h3>"
            f"{_chains(w)}{_findings(w)}</section>")


def render_depth_html(doc: dict[str, Any]) -> str:
    s = doc["summary"]
    cells = s.get("cells", {})
    threats = "".join(f"<tr><td>{_e(t['id'])}</td><td>{_e(t['name'])}</td>"
                      f"<td>{_e(', '.join(t['techniques']))}</td></tr>"
                      for t in doc["threats"])
    sources = "".join(f"<li>{_e(x['input'])}: {_e(x['status'])}</li>"
                      for x in doc["sources"])
    shared = doc.get("notes", [])
    return ("<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'>"
            "<title>ringfence defense-in-depth report</title>"
            f"<style>{CSS}</style></head><body><h1>Defense in depth</h1>"
            f"<p id='summary'>{s['workloads']} workloads · ring cells: "
            f"{cells.get('holds', 0)} hold, {cells.get('fails', 0)} fail, "
            f"{s.get('partial_cells', 0)} partial (not counted), {s['not_evaluated_cells']} "
            f"not evaluated · {s['open_chains']} open chains</p>"
            + _overview(doc)
            + (f"<h2>Not evaluated for every workload</h2>"
               f"{_notes(shared, 'shared-notes')}" if shared else "")
            + f"<details><summary>Inputs</summary><ul>{sources}</ul></details>"
            "<details><summary>Threat catalogue</summary><table><tr><th>threat</th><th>name"
            f"</th><th>ATT&amp;CK</th></tr>{threats}</table></details>"
            + "".join(_workload(i, w) for i, w in enumerate(doc["workloads"]))
            + "</body></html>\n")
