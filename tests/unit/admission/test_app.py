"""The webhook ASGI app driven directly (no server, no socket): every path that cannot
evaluate a request denies by default; the caps deny before any evaluation."""

from __future__ import annotations

import asyncio
import json
import threading
import time
import tracemalloc
from collections.abc import MutableMapping, Sequence
from typing import Any

import pytest

import ringfence.admission.server as server_module
from ringfence.admission.app import WebhookApp, WebhookConfig, fail_open_warning, memory_estimate
from ringfence.admission.evaluate import Decision
from ringfence.admission.policy import loads_policy
from ringfence.admission.review import ReviewRequest
from ringfence.admission.server import policy_evaluator, webhook_app
from tests.integration.webhook_support import review

POLICY = loads_policy("pss: {enforce: baseline}\n")
PRIVILEGED = {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p"}, "spec": {
    "containers": [{"name": "c", "image": "x:1", "securityContext": {"privileged": True}}]}}
COMPLIANT = {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "ok"}, "spec": {
    "containers": [{"name": "c", "image": "x:1"}]}}


class Exchange:
    """One HTTP request through the ASGI app: the body in ``chunks``, what was sent back."""

    def __init__(self, chunks: Sequence[bytes], headers: list[tuple[bytes, bytes]]) -> None:
        self.chunks = list(chunks)
        self.headers = headers
        self.received = 0
        self.sent: list[dict[str, Any]] = []

    async def receive(self) -> MutableMapping[str, Any]:
        i = self.received
        self.received += 1
        if i >= len(self.chunks):
            return {"type": "http.disconnect"}
        return {"type": "http.request", "body": self.chunks[i],
                "more_body": i + 1 < len(self.chunks)}

    async def send(self, message: MutableMapping[str, Any]) -> None:
        self.sent.append(dict(message))

    @property
    def status(self) -> int:
        return int(self.sent[0]["status"])

    @property
    def doc(self) -> dict[str, Any]:
        result: dict[str, Any] = json.loads(self.sent[1]["body"])
        return result


async def _call(app: WebhookApp, body: bytes, *, chunk: int = 1 << 16,
                content_length: bool = True) -> Exchange:
    chunks = [body[i:i + chunk] for i in range(0, len(body), chunk)] or [b""]
    headers = [(b"content-type", b"application/json")]
    if content_length:
        headers.append((b"content-length", str(len(body)).encode()))
    ex = Exchange(chunks, headers)
    scope = {"type": "http", "method": "POST", "path": "/validate", "headers": headers}
    await app(scope, ex.receive, ex.send)
    return ex


def call(app: WebhookApp, obj: dict[str, Any] | None = None, *, body: bytes | None = None,
         **kw: Any) -> Exchange:
    data = body if body is not None else json.dumps(review(obj)).encode()
    return asyncio.run(_call(app, data, **kw))


def _response(ex: Exchange) -> dict[str, Any]:
    assert ex.status == 200, ex.doc
    response: dict[str, Any] = ex.doc["response"]
    return response


def test_fail_closed_is_the_default() -> None:
    assert WebhookConfig().fail_closed is True
    assert fail_open_warning(WebhookConfig()) == ""
    warning = fail_open_warning(WebhookConfig(fail_closed=False))
    assert "FAIL-OPEN" in warning and "ALLOWED" in warning


def test_deadline_missed_denies(monkeypatch: pytest.MonkeyPatch) -> None:
    """The real policy evaluator, its evaluate_pod slowed past the deadline: denied (504)."""
    release = threading.Event()

    def slow(*args: Any, **kwargs: Any) -> Decision:
        release.wait(5)
        return Decision()

    monkeypatch.setattr(server_module, "evaluate_pod", slow)
    app = WebhookApp(policy_evaluator(POLICY), WebhookConfig(timeout_seconds=0.1))
    try:
        resp = _response(call(app, COMPLIANT))
    finally:
        release.set()
    assert resp["allowed"] is False and resp["status"]["code"] == 504
    assert "0.1s deadline" in resp["status"]["message"]
    assert "denied (fail-closed)" in resp["status"]["message"]


def test_deadline_missed_allows_only_when_fail_open(monkeypatch: pytest.MonkeyPatch) -> None:
    def slow(*args: Any, **kwargs: Any) -> Decision:
        time.sleep(0.5)
        return Decision()

    monkeypatch.setattr(server_module, "evaluate_pod", slow)
    app = WebhookApp(policy_evaluator(POLICY),
                     WebhookConfig(fail_closed=False, timeout_seconds=0.05))
    resp = _response(call(app, COMPLIANT))
    assert resp["allowed"] is True and "fail-open" in resp["warnings"][0]


@pytest.mark.parametrize("inline", [True, False])
def test_evaluation_error_denies(monkeypatch: pytest.MonkeyPatch, inline: bool) -> None:
    def broken(*args: Any, **kwargs: Any) -> Decision:
        raise KeyError("spec")

    monkeypatch.setattr(server_module, "evaluate_pod", broken)
    app = WebhookApp(policy_evaluator(POLICY), WebhookConfig(), inline=inline)
    resp = _response(call(app, COMPLIANT))
    assert resp["allowed"] is False and resp["status"]["code"] == 500
    assert "KeyError" in resp["status"]["message"]


def test_failed_lookup_denies() -> None:
    app = WebhookApp(lambda r: Decision(errors=("signature lookup for x failed",)),
                     WebhookConfig())
    resp = _response(call(app, COMPLIANT))
    assert resp["allowed"] is False and "signature lookup" in resp["status"]["message"]


@pytest.mark.parametrize("fail_closed", [True, False])
def test_overload_denies(fail_closed: bool) -> None:
    """One evaluation slot held by a blocked evaluation: the next request is denied (503)
    by default, answered 429 (never "allowed") when fail-open."""
    started, release = threading.Event(), threading.Event()

    def blocking(review: ReviewRequest) -> Decision:
        started.set()
        release.wait(5)
        return Decision()

    app = WebhookApp(blocking, WebhookConfig(fail_closed=fail_closed, max_concurrency=1))
    body = json.dumps(review(PRIVILEGED)).encode()

    async def scenario() -> tuple[Exchange, Exchange]:
        first = asyncio.create_task(_call(app, body))
        while not started.is_set():
            await asyncio.sleep(0.01)
        second = await _call(app, body)
        release.set()
        return await first, second

    try:
        first, second = asyncio.run(scenario())
    finally:
        release.set()
    assert _response(first)["allowed"] is True  # the blocked evaluation found nothing
    if fail_closed:
        resp = _response(second)
        assert resp["allowed"] is False and resp["status"]["code"] == 503
        assert "overloaded" in resp["status"]["message"]
    else:
        assert second.status == 429


def test_bodies_held_at_once_are_bounded() -> None:
    """The estimated memory of requests in progress counts against ``max_request_memory``:
    past it, the next request is denied as overload (503) until the first is answered."""
    started, release = threading.Event(), threading.Event()

    def blocking(review: ReviewRequest) -> Decision:
        started.set()
        release.wait(5)
        return Decision()

    body = json.dumps(review(PRIVILEGED)).encode()
    budget = memory_estimate(body) * 3 // 2
    app = WebhookApp(blocking, WebhookConfig(max_request_memory=budget))

    async def scenario() -> tuple[Exchange, Exchange, Exchange]:
        first = asyncio.create_task(_call(app, body))
        while not started.is_set():
            await asyncio.sleep(0.01)
        second = await _call(app, body)
        release.set()
        done = await first
        return done, second, await _call(app, body)

    try:
        first, second, third = asyncio.run(scenario())
    finally:
        release.set()
    assert _response(first)["allowed"] is True and _response(third)["allowed"] is True
    resp = _response(second)
    assert resp["allowed"] is False and resp["status"]["code"] == 503
    assert f"requests in progress hold over {budget} bytes" in resp["status"]["message"]


@pytest.mark.parametrize("fail_closed", [True, False])
def test_caps_deny_before_evaluation(fail_closed: bool) -> None:
    """Over the container or pod spec cap: denied naming the cap, in either fail mode, and
    the evaluator never runs."""
    calls: list[str] = []

    def recording(review: ReviewRequest) -> Decision | None:
        calls.append(review.uid)
        return None

    config = WebhookConfig(fail_closed=fail_closed, max_containers=3,
                           max_pod_spec_bytes=4096)
    app = WebhookApp(recording, config, inline=True)
    many = {**COMPLIANT, "spec": {
        "initContainers": [{"name": "i", "image": "x"}],
        "containers": [{"name": f"c{i}", "image": "x"} for i in range(2)],
        "ephemeralContainers": [{"name": "e", "image": "x"}]}}
    resp = _response(call(app, many))
    assert resp["allowed"] is False and resp["status"]["code"] == 413
    assert "4 containers" in resp["status"]["message"]
    assert "cap of 3 (--max-containers)" in resp["status"]["message"]
    fat = {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "d"},
           "spec": {"template": {"spec": {"containers": [
               {"name": "c", "image": "x", "env": [{"name": "A", "value": "v" * 5000}]}]}}}}
    resp = _response(call(app, fat))
    assert resp["allowed"] is False and resp["status"]["code"] == 413
    assert "Deployment apps/d" in resp["status"]["message"]
    assert "cap of 4096 bytes (--max-pod-bytes)" in resp["status"]["message"]
    assert calls == []
    assert _response(call(app, COMPLIANT))["allowed"] is True and len(calls) == 1


@pytest.mark.parametrize("fail_closed", [True, False])
def test_oversize_body_denied_without_reading_it(fail_closed: bool) -> None:
    """A declared Content-Length over the cap: one message read, the uid taken from the
    front of the body, a denying review naming the cap; without a readable uid: HTTP 413."""
    app = WebhookApp(lambda r: None, WebhookConfig(fail_closed=fail_closed,
                                                   max_body_bytes=100_000))
    doc = review({**PRIVILEGED, "metadata": {"name": "p", "annotations": {"a": "x" * 200_000}}})
    ex = call(app, body=json.dumps(doc).encode(), chunk=16_384)
    resp = _response(ex)
    assert ex.received == 1
    assert resp["uid"] == doc["request"]["uid"] and resp["allowed"] is False
    assert resp["status"]["code"] == 413 and "cap of 100000 bytes (--max-body)" in \
        resp["status"]["message"]
    streamed = call(app, body=b"[" + b" " * 200_000 + b"]", chunk=16_384,
                    content_length=False)
    assert streamed.status == 413 and streamed.received == 7  # stops at the cap


def test_malformed_review_with_uid_is_denied() -> None:
    app = WebhookApp(lambda r: None, WebhookConfig(fail_closed=False))
    doc = review(COMPLIANT)
    doc["request"]["object"] = "not an object"
    resp = _response(call(app, body=json.dumps(doc).encode()))
    assert resp["allowed"] is False and resp["status"]["code"] == 400
    mismatch = json.dumps(review(COMPLIANT, kind="Deployment")).encode()
    resp = _response(call(webhook_app(POLICY, WebhookConfig(fail_closed=False)), body=mismatch))
    assert resp["allowed"] is False and "is not request.kind" in resp["status"]["message"]
    no_uid = review(COMPLIANT)
    del no_uid["request"]["uid"]
    assert call(app, body=json.dumps(no_uid).encode()).status == 400


def test_privileged_denied_small_valid_allowed() -> None:
    app = webhook_app(POLICY, WebhookConfig())
    assert _response(call(app, PRIVILEGED))["allowed"] is False
    assert _response(call(app, COMPLIANT))["allowed"] is True


@pytest.mark.parametrize("body", [
    b"[" + b"{}," * 100_000 + b"{}]", b"[" + b'"ab",' * 100_000 + b'"a"]',
    b"[" + b"1000," * 100_000 + b"1]", b"[" + b"1.5," * 100_000 + b"1]",
    b"{" + b",".join(b'"k%d":1' % i for i in range(100_000)) + b"}",
    json.dumps(review({**PRIVILEGED, "spec": {"containers": [
        {"name": f"c{i}", "image": "x", "env": [{"name": "A", "value": "v" * 50}]}
        for i in range(5000)]}})).encode(),
], ids=["objects", "strings", "ints", "floats", "keys", "pod"])
def test_memory_estimate_is_at_or_above_the_parsed_size(body: bytes) -> None:
    tracemalloc.start()
    try:
        doc = json.loads(body)
        parsed, _ = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    del doc
    assert parsed <= memory_estimate(body) <= 2 * parsed
