"""Per-request caps (containers, pod spec size) and the uid read from an unparsed body."""

from __future__ import annotations

import json
from typing import Any

import pytest

from ringfence.admission.limits import RequestLimits, container_count, over_limit, spec_bytes
from ringfence.admission.review import parse_review, sniff_uid
from tests.integration.webhook_support import review

SPEC = {"initContainers": [{"name": "i", "image": "x"}],
        "containers": [{"name": "a", "image": "x"}, {"name": "b", "image": "x"}],
        "ephemeralContainers": [{"name": "e", "image": "x"}]}


def _request(obj: dict[str, Any], **kw: Any) -> Any:
    return parse_review(json.dumps(review(obj, **kw)).encode())


def _cron(spec: dict[str, Any]) -> dict[str, Any]:
    return {"apiVersion": "batch/v1", "kind": "CronJob", "metadata": {"name": "cj"},
            "spec": {"jobTemplate": {"spec": {"template": {"spec": spec}}}}}


def test_counts_every_container_kind_through_the_template() -> None:
    req = _request(_cron(SPEC))
    assert req.pod_spec() == SPEC and container_count(SPEC) == 4
    assert "4 containers" in over_limit(req, 100, RequestLimits(max_containers=3))
    assert over_limit(req, 100, RequestLimits(max_containers=4)) == ""
    assert container_count({"containers": "not a list"}) == 0


def test_spec_size_is_measured_only_past_the_cap() -> None:
    spec = {"containers": [{"name": "a", "image": "x", "args": ["y" * 3000]}]}
    req = _request({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p"},
                    "spec": spec})
    size = spec_bytes(spec)
    assert size == len(json.dumps(spec, separators=(",", ":")))
    limits = RequestLimits(max_pod_spec_bytes=size - 1)
    assert f"{size} bytes" in over_limit(req, size + 500, limits)
    assert over_limit(req, size - 1, limits) == ""  # a body that small cannot hold it
    assert over_limit(req, size + 500, RequestLimits(max_pod_spec_bytes=size)) == ""


@pytest.mark.parametrize("change", [{"operation": "DELETE", "object": None},
                                    {"subResource": "status"}])
def test_requests_not_evaluated_have_no_pod_caps(change: dict[str, Any]) -> None:
    doc = review(_cron(SPEC))
    doc["request"].update(change)
    req = parse_review(json.dumps(doc).encode())
    assert req.pod_spec() is None
    assert over_limit(req, 10**9, RequestLimits(max_containers=1, max_pod_spec_bytes=1)) == ""


def test_sniff_uid() -> None:
    doc = review(_cron(SPEC), uid="705ab4f5-6393-11e8-b7cc-42010a800002")
    body = json.dumps(doc, separators=(",", ":")).encode()
    assert sniff_uid(body[:200]) == "705ab4f5-6393-11e8-b7cc-42010a800002"
    spaced = json.dumps(doc, indent=2).encode()
    assert sniff_uid(spaced) == "705ab4f5-6393-11e8-b7cc-42010a800002"
    # the uid must be request's first field (as the API server writes it)
    late = {"request": {"object": {"metadata": {"uid": "evil"}}, "uid": "real"}}
    assert sniff_uid(json.dumps(late).encode()) == ""
    assert sniff_uid(b'{"request": {"uid": "a\\"b"}}') == ""
    assert sniff_uid(b"") == ""
