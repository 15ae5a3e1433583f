"""Workload rules: the condition each violation names and where it points
(bench/mutation.py `workload`; see test_mutants_workload.py for the decisions)."""

from __future__ import annotations

import json
from typing import Any

import pytest

from ringfence.checks.engine import run_checks
from ringfence.k8s.facts import K8sFacts, facts_from_objects
from ringfence.k8s.load import load_bytes
from ringfence.k8s.rules.workload import WORKLOAD_CHECKS

CHECKS = {c.rule.id: c for c in WORKLOAD_CHECKS}


def _facts(image: str, registries: tuple[str, ...] = ()) -> K8sFacts:
    doc: dict[str, Any] = {"apiVersion": "v1", "kind": "Pod",
                           "metadata": {"name": "p", "namespace": "shop"},
                           "spec": {"containers": [{"name": "c", "image": image}]}}
    loaded = load_bytes(json.dumps(doc).encode(), "w.yaml")
    return facts_from_objects(loaded.objects, allowed_registries=registries)


@pytest.mark.parametrize(("image", "condition", "why"), [
    ("app:1", "no-digest", "is not pinned by digest"),
    ("app@sha256" + "a" * 64, "malformed-digest",
     "has a malformed digest (not OCI algorithm:encoded)"),
    ("app@sha256:" + "a" * 64 + ":b", "malformed-digest",
     "has a malformed digest (not OCI algorithm:encoded)"),
    ("app@md5:" + "0" * 32, "unknown-algorithm", "has a digest of unregistered algorithm md5"),
])
def test_not_pinned_conditions(image: str, condition: str, why: str) -> None:
    facts = _facts(image)
    (violation,) = CHECKS["K8S-031"].func(facts)
    assert violation.message == f"Pod/shop/p: spec.containers[c] image {image} {why}"
    assert violation.condition == condition and condition in CHECKS["K8S-031"].conditions
    (finding,) = run_checks([CHECKS["K8S-031"]], facts).findings
    assert finding.location == facts.pods[0].location


def test_registry_prefix_strips_only_slashes_and_points_at_the_pod() -> None:
    facts = _facts("ghcr.io/acme/y:1", ("ghcr.io/acmeX",))
    (finding,) = run_checks([CHECKS["K8S-032"]], facts).findings
    assert finding.location == facts.pods[0].location
    assert run_checks([CHECKS["K8S-032"]], _facts("ghcr.io/acme/y:1", ("ghcr.io/acme//",))
                      ).findings == ()


@pytest.mark.parametrize(("pod_setting", "sa_setting", "condition", "why"), [
    (True, None, "pod", "the pod sets it"),
    (None, True, "service-account", "its ServiceAccount sets it"),
    (None, None, "default", "neither the pod nor its ServiceAccount disables it"),
])
def test_automount_token_says_why(pod_setting: bool | None, sa_setting: bool | None,
                                  condition: str, why: str) -> None:
    spec: dict[str, Any] = {"serviceAccountName": "builder",
                            "containers": [{"name": "c", "image": "r.invalid/a:1"}]}
    if pod_setting is not None:
        spec["automountServiceAccountToken"] = pod_setting
    sa: dict[str, Any] = {"apiVersion": "v1", "kind": "ServiceAccount",
                          "metadata": {"name": "builder", "namespace": "shop"}}
    if sa_setting is not None:
        sa["automountServiceAccountToken"] = sa_setting
    pod = {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p", "namespace": "shop"},
           "spec": spec}
    loaded = load_bytes("\n---\n".join(json.dumps(d) for d in (pod, sa)).encode(), "w.yaml")
    facts = facts_from_objects(loaded.objects)
    (violation,) = CHECKS["K8S-035"].func(facts)
    assert violation.message == ("Pod/shop/p: service account token of builder is mounted "
                                 f"({why})")
    assert violation.condition == condition and violation.location == facts.pods[0].location
