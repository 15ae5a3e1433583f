"""AdmissionReview v1 parsing and responses."""

from __future__ import annotations

import json
from typing import Any

import pytest

from ringfence.admission.evaluate import Decision
from ringfence.admission.review import BadReview, decision_review, parse_review
from ringfence.model.finding import Finding, Severity
from tests.integration.webhook_support import review

POD = {"apiVersion": "v1", "kind": "Pod", "metadata": {"generateName": "web-"},
       "spec": {"containers": [{"name": "c", "image": "x:1"}],
                "ephemeralContainers": [{"name": "debug", "image": "busybox:1"}]}}


def _parse(doc: dict[str, Any]) -> Any:
    return parse_review(json.dumps(doc).encode())


def test_pod_view_takes_the_request_namespace() -> None:
    req = _parse(review(POD, namespace="shop", user="alice"))
    pod = req.pod()
    assert pod is not None and pod.namespace == "shop" and req.user == "alice"
    assert [c.role for c in pod.containers] == ["container", "ephemeral"]


@pytest.mark.parametrize("change, evaluated", [
    ({}, True), ({"subResource": "ephemeralcontainers", "operation": "UPDATE"}, True),
    ({"subResource": "status", "operation": "UPDATE"}, False),
    ({"operation": "DELETE", "object": None}, False), ({"operation": "CONNECT"}, False),
])
def test_what_is_evaluated(change: dict[str, Any], evaluated: bool) -> None:
    doc = review(POD)
    doc["request"].update(change)
    assert (_parse(doc).pod() is not None) is evaluated


@pytest.mark.parametrize("body, needle", [
    (b"[1]", "not a JSON object"), (b"\xff", "not JSON"),
    (json.dumps({"apiVersion": "admission.k8s.io/v1", "kind": "AdmissionReview"}).encode(),
     "request.uid"),
    (json.dumps({"apiVersion": "admission.k8s.io/v1", "kind": "Foo"}).encode(), "'Foo'"),
])
def test_bad_bodies(body: bytes, needle: str) -> None:
    with pytest.raises(BadReview, match=needle):
        parse_review(body)


def test_object_kind_must_match_request_kind() -> None:
    doc = review(POD, kind="Deployment")
    with pytest.raises(BadReview, match=r"is not request\.kind"):
        _parse(doc).pod()


def test_responses() -> None:
    v = Finding("K8S-003", "Pod/a/p: spec.containers[c] is privileged", "x", Severity.CRITICAL)
    w = Finding("K8S-022", "Pod/a/p: may run as root", "x", Severity.MEDIUM)
    denied = decision_review("u1", "Pod a/p", Decision((v, v), (w,)))["response"]
    assert denied["uid"] == "u1" and denied["allowed"] is False
    assert denied["status"]["code"] == 403 and denied["status"]["reason"] == "Forbidden"
    assert denied["status"]["message"].startswith("ringfence denied Pod a/p (K8S-003): [K8S-003]")
    assert denied["warnings"] == ["K8S-022: Pod/a/p: may run as root"]
    allowed = decision_review("u2", "Pod a/p", Decision())["response"]
    assert allowed == {"uid": "u2", "allowed": True}
