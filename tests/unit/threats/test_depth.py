"""A ring holds only when every control of it that applies was evaluated; otherwise it is
"partial k/n" (never counted toward depth) or not evaluated, and the depth document carries
the state and k/n of every ring cell."""

from __future__ import annotations

import jsonschema  # type: ignore[import-untyped]
import pytest

from ringfence.model.finding import Rule, Severity
from ringfence.report.depth_json import DEPTH_SCHEMA
from ringfence.threats.catalog import load_catalog
from ringfence.threats.depth import ring_result
from ringfence.threats.document import SCHEMA, depth_document
from ringfence.threats.model import (
    ControlStatus,
    DepthReport,
    RingResult,
    State,
    ThreatDepth,
    WorkloadDepth,
)

H, F, N = State.HOLDS, State.FAILS, State.NOT_EVALUATED

TOML = """version = 1
[[threat]]
id = "x"
name = "X"
techniques = ["T1611"]
[threat.rings.platform]
combine = "all"
"""


def _rules(n: int) -> list[Rule]:
    return [Rule(f"K8S-9{i:02d}", "t", Severity.LOW, "platform", "", ("x",))
            for i in range(1, n + 1)]


def _ring(states: list[State], extra: str = "") -> RingResult:
    threat = load_catalog(TOML + extra).threat("x")
    st = {f"K8S-9{i:02d}": ControlStatus(s, "" if s is not N else f"why {i}")
          for i, s in enumerate(states, 1)}
    return ring_result(threat, "platform", _rules(len(states)), st)


def test_some_controls_not_evaluated_is_partial_and_never_holds() -> None:
    got = _ring([H, H, N, H, N, H, H])
    assert got.state is State.PARTIAL
    assert (got.holding, got.controls, got.evaluated) == (5, 7, 5)
    assert got.label == "partial 5/7"
    assert got.unverified == ("K8S-903", "K8S-905")
    assert "K8S-903" in got.reason and "why 3" in got.reason and "why 5" in got.reason
    assert got.why == ("why 3", "why 5")
    # the old verdict: one of seven evaluated was enough to "hold"
    assert _ring([H, N, N, N, N, N, N]).label == "partial 1/7"


def test_all_evaluated_and_holding_holds_one_failing_fails() -> None:
    ok = _ring([H, H, H])
    assert (ok.state, ok.label, ok.holding, ok.controls, ok.reason) == (H, "holds", 3, 3, "")
    bad = _ring([H, F, H])
    assert bad.state is F and bad.failed == ("K8S-902",) and bad.holding == 2
    # one failing control decides the ring even when others were not evaluated
    assert _ring([F, N, H]).state is F
    assert _ring([N, N]).state is N and _ring([N, N]).label == "not evaluated"


def test_alternatives_group_is_one_control() -> None:
    alt = 'alternatives = [["K8S-901", "K8S-902"]]\n'
    # one member of the group holds: the group holds, whatever the other member is
    assert (_ring([H, N, H], alt).state, _ring([H, N, H], alt).label) == (H, "holds")
    assert _ring([H, N, H], alt).controls == 2
    # a failing member with an unevaluated alternative is undecided, not failed
    undecided = _ring([F, N, H], alt)
    assert undecided.state is State.PARTIAL and undecided.label == "partial 1/2"
    assert _ring([F, F, H], alt).state is F


def test_required_control_not_evaluated_is_not_evaluated() -> None:
    got = _ring([H, N], 'required = ["K8S-902"]\n')
    assert got.state is N and "required control K8S-902" in got.reason
    assert (got.holding, got.controls) == (1, 2)


def test_any_holds_when_one_holds_and_is_partial_when_undecided() -> None:
    threat = load_catalog(TOML.replace('combine = "all"', 'combine = "any"')).threat("x")

    def ring(*states: State) -> RingResult:
        st = {f"K8S-9{i:02d}": ControlStatus(s, "r") for i, s in enumerate(states, 1)}
        return ring_result(threat, "platform", _rules(len(states)), st)

    assert ring(H, N).state is H
    assert ring(F, N).state is State.PARTIAL and ring(F, N).label == "partial 0/2"
    assert ring(F, F).state is F


def _report() -> DepthReport:
    def rings(*cells: RingResult) -> tuple[RingResult, ...]:
        return cells

    threats = (
        ThreatDepth("x", rings(RingResult("image", N, "no image"),
                               RingResult("host", State.PARTIAL, "not evaluated: HOST-001",
                                          ("HOST-002",), (), ("HOST-001",), 2, 1, 1),
                               RingResult("platform", H, "", ("K8S-901",), (), (), 1, 1, 1))),
        ThreatDepth("y", rings(RingResult("image", State.NO_CONTROL, "none"),
                               RingResult("host", F, "failed: HOST-003", (), ("HOST-003",),
                                          (), 1, 0, 1),
                               RingResult("platform", State.PARTIAL, "not evaluated: K8S-902",
                                          ("K8S-901",), (), ("K8S-902",), 2, 1, 1))),
    )
    w = WorkloadDepth("Deployment/ns/web", "ns", "web.yaml", ("img",), threats, (), ())
    return DepthReport(1, (("x", "X", ("T1611",)), ("y", "Y", ("T1610",))), (w,), (), ())


def test_depth_counts_only_holding_rings_and_document_carries_state_and_k_of_n() -> None:
    report = _report()
    assert [t.depth for t in report.workloads[0].threats] == [1, 0]
    assert report.partial() == 2 and report.not_evaluated() == 1
    doc = depth_document(report)
    assert doc["schema"] == SCHEMA == "ringfence.depth/2"
    jsonschema.Draft202012Validator(DEPTH_SCHEMA).validate(doc)
    x, y = doc["workloads"][0]["threats"]
    host = x["rings"][1]
    assert (host["state"], host["label"], host["holding"], host["controls"],
            host["evaluated"]) == ("partial", "partial 1/2", 1, 2, 1)
    assert x["undecided"] == ["image", "host"] and y["undecided"] == ["platform"]
    s = doc["summary"]
    assert (s["partial_cells"], s["not_evaluated_cells"], s["undecided_cells"]) == (2, 1, 3)
    assert s["cells"] == {"holds": 1, "fails": 1, "partial": 2, "not-evaluated": 1,
                          "no-control": 1}


def test_schema_refuses_a_depth_1_document() -> None:
    doc = depth_document(_report())
    doc["schema"] = "ringfence.depth/1"
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.Draft202012Validator(DEPTH_SCHEMA).validate(doc)


def test_renderers_show_hostile_names_as_data_and_fit_80_columns() -> None:
    """A workload name or reason from a manifest may hold rich markup, HTML or terminal
    escapes: the table and the HTML show it as text; the table fits 80 columns."""
    from ringfence.report.depth_table import render_depth_table
    from ringfence.report.html_report import render_depth_html

    hostile = "Deployment/ns/[/][bold]x\x1b]0;pwn\x07<script>alert(1)</script>"
    report = _report()
    w = report.workloads[0]
    ring = RingResult("image", N, "r", why=("image [/] \x1b[2J not scanned",))
    threats = (ThreatDepth("x", (ring, *w.threats[0].rings[1:])), w.threats[1])
    doc = depth_document(DepthReport(1, report.threats, (WorkloadDepth(
        hostile, "ns", "web.yaml", ("img[/]",), threats, (), ()),), (), ()))
    table = render_depth_table(doc, width=80)
    assert "\x1b" not in table and "[/]" in table and "partial 1/2" in table
    assert max(len(line) for line in table.splitlines()) <= 80
    html = render_depth_html(doc)
    assert "<script>" not in html and "&lt;script&gt;" in html and "\x1b" not in html
    assert html.index("id='overview'") < html.index("class='workload'")
