"""The threat catalogue is consistent with every rule of every ring, and its combine modes
mean what catalog.toml says."""

from __future__ import annotations

import pytest

from ringfence.errors import InputError
from ringfence.model.finding import Rule, Severity
from ringfence.threats.catalog import RINGS, load_catalog, members
from ringfence.threats.depth import ring_result
from ringfence.threats.model import ControlStatus, State
from ringfence.threats.rules import all_rules

ISSUE_THREATS = {"container-escape", "malicious-image", "vulnerable-package",
                 "credential-theft", "platform-privilege-escalation", "lateral-movement",
                 "interactive-access", "persistence-drift", "resource-exhaustion",
                 "data-exfiltration"}
ISSUE_TECHNIQUES = {"T1610", "T1611", "T1525", "T1552.007", "T1609", "T1613", "T1612",
                    "T1053.007", "T1496", "T1078"}


def test_catalogue_lists_the_issue_threats_and_techniques() -> None:
    cat = load_catalog()
    assert set(cat.ids()) == ISSUE_THREATS
    used = {x for t in cat.threats for x in t.techniques}
    assert used >= ISSUE_TECHNIQUES
    assert all(t.techniques for t in cat.threats)


def test_every_rule_maps_to_a_known_threat_and_every_ring_rule_is_a_control() -> None:
    cat = load_catalog()
    rules = all_rules()
    assert len(rules) > 140
    ids = set(cat.ids())
    for rule in rules:
        assert rule.ring in RINGS, rule.id
        assert rule.threats, f"{rule.id} maps to no threat"
        assert set(rule.threats) <= ids, f"{rule.id}: {set(rule.threats) - ids}"
    controls = {c for t in cat.threats for ring in RINGS for c in members(t, ring, rules)}
    assert {r.id for r in rules} <= controls


def test_alternatives_and_chain_signals_name_existing_controls() -> None:
    cat = load_catalog()
    rules = all_rules()
    known = {r.id for r in rules} | {"vulnerabilities"}
    for t in cat.threats:
        for ring in RINGS:
            for alt in t.rings[ring].alternatives:
                assert set(alt) <= set(members(t, ring, rules)), (t.id, ring, alt)
    for chain in cat.chains:
        for step in chain.steps:
            assert all(s in known or s.startswith("fact:") for s in step.signals), step


TOML = """version = 1
[[threat]]
id = "x"
name = "X"
techniques = ["T1611"]
[threat.rings.image]
combine = "%s"
"""


def _rules() -> list[Rule]:
    return [Rule(f"IMG-90{i}", "t", Severity.LOW, "image", "", ("x",)) for i in (1, 2)]


@pytest.mark.parametrize(("combine", "a", "b", "want"), [
    ("all", State.HOLDS, State.FAILS, State.FAILS),
    ("all", State.HOLDS, State.NOT_EVALUATED, State.PARTIAL),  # undecided: never holds
    ("all", State.HOLDS, State.HOLDS, State.HOLDS),
    ("all", State.FAILS, State.NOT_EVALUATED, State.FAILS),
    ("all", State.NOT_EVALUATED, State.NOT_EVALUATED, State.NOT_EVALUATED),
    ("any", State.HOLDS, State.FAILS, State.HOLDS),
    ("any", State.HOLDS, State.NOT_EVALUATED, State.HOLDS),  # decided by the one holding
    ("any", State.FAILS, State.FAILS, State.FAILS),
    ("any", State.FAILS, State.NOT_EVALUATED, State.PARTIAL),  # the other may hold
])
def test_combine(combine: str, a: State, b: State, want: State) -> None:
    threat = load_catalog(TOML % combine).threat("x")
    st = {"IMG-901": ControlStatus(a, "r1"), "IMG-902": ControlStatus(b, "r2")}
    got = ring_result(threat, "image", _rules(), st)
    assert got.state is want
    if want is State.NOT_EVALUATED:
        assert "r1" in got.reason and "r2" in got.reason
    assert ring_result(threat, "host", _rules(), st).state is State.NO_CONTROL


def test_required_control_not_evaluated_means_ring_not_evaluated() -> None:
    threat = load_catalog(TOML % "all" + 'required = ["IMG-902"]\n').threat("x")
    st = {"IMG-901": ControlStatus(State.HOLDS),
          "IMG-902": ControlStatus(State.NOT_EVALUATED, "no database")}
    got = ring_result(threat, "image", _rules(), st)
    assert got.state is State.NOT_EVALUATED and "no database" in got.reason


def test_invalid_catalogue_is_an_input_error() -> None:
    with pytest.raises(InputError):
        load_catalog(TOML % "sometimes")
