"""Compliance views: every platform and host rule is mapped (or not, with a reason), the
mapping names only controls its framework has, and a control is never "pass" on rules that
were not evaluated. Manifests for the CLI are written at test time."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from ringfence.cli.main import main
from ringfence.compliance.mapping import FRAMEWORKS, MAPPINGS, NOT_MAPPED
from ringfence.compliance.view import compliance_view
from ringfence.rules import DOMAINS
from ringfence.schemas import schema

RING_RULES = [c.rule.id for d in DOMAINS if d.ring in ("platform", "host") for c in d.checks]
ALL_RULES = {c.rule.id for d in DOMAINS for c in d.checks}


@pytest.mark.parametrize("rule_id", RING_RULES)
def test_every_platform_and_host_rule_is_mapped_or_says_why_not(rule_id: str) -> None:
    mapped, reason = MAPPINGS.get(rule_id), NOT_MAPPED.get(rule_id)
    assert (mapped is None) != (reason is None), f"{rule_id}: mapped and not mapped"
    if mapped is not None:
        assert any(mapped.controls(f) for f in FRAMEWORKS), f"{rule_id}: no control at all"
    else:
        assert reason and len(reason) > 20


def test_the_table_names_only_existing_rules_and_controls() -> None:
    assert set(MAPPINGS) | set(NOT_MAPPED) <= ALL_RULES
    assert set(MAPPINGS) | set(NOT_MAPPED) == set(RING_RULES)
    for rule_id, mapped in MAPPINGS.items():
        for name, fw in FRAMEWORKS.items():
            unknown = set(mapped.controls(name)) - set(fw.controls)
            assert not unknown, f"{rule_id}: {name} has no control {sorted(unknown)}"
            assert len(set(mapped.controls(name))) == len(mapped.controls(name))


def test_every_control_is_reached_by_some_rule() -> None:
    for name, fw in FRAMEWORKS.items():
        used = {c for m in MAPPINGS.values() for c in m.controls(name)}
        assert set(fw.controls) == used, f"{name}: {sorted(set(fw.controls) - used)}"


def _statuses(view: Any) -> dict[str, str]:
    return {c.id: c.status for c in view.controls}


def test_a_control_passes_only_when_every_rule_of_it_was_evaluated_and_held() -> None:
    # CIS 4.2 (kubelet): K8S-110, K8S-111, K8S-112
    scope = ["K8S-110", "K8S-111", "K8S-112"]
    assert _statuses(compliance_view("cis", scope, [], [])) == {"4.2": "not-evaluated"}
    partly = compliance_view("cis", scope, ["K8S-110", "K8S-111"], [])
    assert _statuses(partly) == {"4.2": "not-evaluated"}
    assert partly.controls[0].rules == (("K8S-110", "pass"), ("K8S-111", "pass"),
                                        ("K8S-112", "not-evaluated"))
    assert _statuses(compliance_view("cis", scope, scope, [])) == {"4.2": "pass"}
    failing = compliance_view("cis", scope, ["K8S-110"], ["K8S-110"])
    assert _statuses(failing) == {"4.2": "fail"}
    # a failing rule wins over rules not evaluated; the score counts only passes
    assert failing.score == 0.0 and failing.count("fail") == 1


def test_score_and_scope() -> None:
    scope = ["K8S-110", "K8S-111", "K8S-112", "K8S-301"]
    view = compliance_view("cis", scope, scope, ["K8S-301"])
    assert _statuses(view) == {"4.2": "pass", "5.3": "fail"}
    assert view.score == 50.0
    assert view.out_of_scope == len(FRAMEWORKS["cis"].controls) - 2
    # host rules only: platform controls are out of scope, not "pass"
    host = compliance_view("nsa", ["HOST-020"], ["HOST-020"], [])
    assert _statuses(host) == {"NET-5": "pass", "AUTH-1": "pass"}
    assert compliance_view("mitre", ["HOST-033"], ["HOST-033"], []).controls == ()


APISERVER = """\
apiVersion: v1
kind: Pod
metadata: {name: kube-apiserver, namespace: kube-system}
spec:
  containers:
  - name: kube-apiserver
    image: registry.invalid/kube-apiserver:v1.30.2
    command: [kube-apiserver, --anonymous-auth=false, --authorization-mode=Node,RBAC,
              --enable-admission-plugins=NodeRestriction, --profiling=false,
              --encryption-provider-config=/e.yaml, --audit-log-path=/a.log%s]
"""


@pytest.mark.parametrize("framework", sorted(FRAMEWORKS))
def test_k8s_framework_json(tmp_path: Path, framework: str,
                            capsys: pytest.CaptureFixture[str]) -> None:
    manifest = tmp_path / "m.yaml"
    manifest.write_text(APISERVER % ", --insecure-port=8080")
    out = tmp_path / "out.json"
    main(["k8s", str(manifest), "--framework", framework, "-f", "json", "-o", str(out)])
    doc = json.loads(out.read_text())
    jsonschema.validate(doc, schema("k8s"))
    view = doc["compliance"]
    assert view["framework"] == framework
    statuses = {r["rule"]: r["status"] for c in view["controls"] for r in c["rules"]}
    assert statuses["K8S-107"] == "fail"  # the insecure port
    assert statuses["K8S-110"] == "not-evaluated"  # no kubelet in the input
    for control in view["controls"]:
        rules = {r["status"] for r in control["rules"]}
        if control["status"] == "pass":
            assert rules == {"pass"}
        if "fail" in rules:
            assert control["status"] == "fail"
    counts = view["counts"]
    assert sum(counts.values()) == len(view["controls"])
    assert view["score"] == round(100 * counts["pass"] / len(view["controls"]), 1)


def test_k8s_framework_table_and_no_framework(tmp_path: Path,
                                              capsys: pytest.CaptureFixture[str]) -> None:
    manifest = tmp_path / "m.yaml"
    manifest.write_text(APISERVER % "")
    main(["k8s", str(manifest), "--framework", "cis", "-f", "table"])
    text = capsys.readouterr().out
    assert "CIS Kubernetes Benchmark v1.9.0: score" in text
    assert "not-evaluated  4.2        Kubelet" in text
    out = tmp_path / "out.json"
    main(["k8s", str(manifest), "-f", "json", "-o", str(out)])
    assert "compliance" not in json.loads(out.read_text())
    assert main(["k8s", str(manifest), "--framework", "pci"]) == 2
