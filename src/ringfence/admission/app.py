"""The webhook as a plain ASGI application (no framework): three routes, a streamed body
with a hard size cap, caps on the work one pod may ask for, a concurrency cap and one
deadline per request.

Where an evaluation runs: an evaluator that may block (signature lookups go to registries)
runs in a worker thread under the deadline. One built ``inline=True`` (pure CPU over data in
memory: PSS and workload checks, the registry allow-list, the prior-scan index; ~0.1 ms for
a real Deployment) runs on the event loop for bodies up to ``inline_max_bytes``: the hop to
a thread and back (submit, wake-up, the GIL handed between loop and worker) costs more than
the evaluation, and bursts of reviews queued behind it (``bench/webhook.py``). Larger
bodies still take the worker-thread path, so one huge object gets the deadline.

Plain ASGI rather than Starlette: the app needs exactly what the ASGI spec gives (read the
body chunk by chunk and stop at the cap, answer JSON), and nothing a framework adds; one
less dependency in an admission path that must stay small and fast.

Fail closed, on every path, unless ``fail_closed=False`` is asked for explicitly:
* violations always deny (403, the rule ids in the message);
* over a cap (body, containers, pod spec size) always denies (413, the cap named), in
  either mode: the work is refused before it starts. The caps are checked right after the
  parse, before any evaluation; a body over ``max_body_bytes`` is not even read whole (its
  Content-Length is enough; its uid is read from the first bytes when it can be);
* a body that is not an AdmissionReview v1 request: a denying review (400) when its uid
  could be read, HTTP 400 otherwise (the API server's failurePolicy decides);
* the evaluation raising, missing the deadline or a lookup failing: deny (500/504) when
  fail-closed, allow with a warning saying it was not evaluated when fail-open;
* overload (``max_concurrency`` evaluations in flight in worker threads, or the requests
  in progress holding more than ``max_request_memory``, e.g. many connections each sending
  a body near the cap): deny (503) when fail-closed, HTTP 429 when fail-open, so
  the API server's failurePolicy decides; the webhook never answers "allowed" for a
  request it had no capacity to evaluate. An inline evaluation holds no slot: it completes
  before the loop reads the next request.

The deadline (``timeout_seconds``) runs from the request's arrival: reading the body, the
parse and the evaluation all count. It must be shorter than the API server's
``timeoutSeconds`` (the manifest keeps a margin) so that the webhook answers "denied"
itself rather than letting the call time out.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Awaitable, Callable, MutableMapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any, Final

from ringfence.admission.evaluate import Decision
from ringfence.admission.limits import (
    DEFAULT_MAX_CONTAINERS,
    DEFAULT_MAX_POD_SPEC_BYTES,
    RequestLimits,
    over_limit,
)
from ringfence.admission.review import (
    SNIFF_BYTES,
    BadReview,
    ReviewRequest,
    allow,
    decision_review,
    deny,
    parse_review,
    sniff_uid,
)

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
Evaluator = Callable[[ReviewRequest], Decision | None]  # None: nothing to evaluate
Response = tuple[int, dict[str, Any], list[tuple[bytes, bytes]]]
VALIDATE_PATH: Final = "/validate"
DEFAULT_TIMEOUT_SECONDS: Final = 3.0


@dataclass(frozen=True, slots=True, kw_only=True)
class WebhookConfig:
    fail_closed: bool = True  # False only when the user asks for fail-open
    # etcd stores objects up to 1.5 MiB; an UPDATE review carries object and oldObject
    max_body_bytes: int = 3 << 20
    max_concurrency: int = 64
    # memory held by requests in progress (body read, parsed, being evaluated), estimated
    # from each body as it arrives (``memory_estimate``): a parsed body takes 1.2x (long
    # strings) to 24x (empty objects) its size; the manifest's memory limit is 512 MiB
    max_request_memory: int = 256 << 20
    timeout_seconds: float = DEFAULT_TIMEOUT_SECONDS  # the whole request, from arrival
    # an inline evaluation is not bounded by the timeout, only by this body size and the
    # container cap: the largest real workload in the test corpus is 14 KB (~0.15 ms); a
    # 32 KiB pod of ~1,100 minimal containers, the costliest shape per byte, takes ~25 ms
    inline_max_bytes: int = 32 << 10
    max_containers: int = DEFAULT_MAX_CONTAINERS
    max_pod_spec_bytes: int = DEFAULT_MAX_POD_SPEC_BYTES

    @property
    def limits(self) -> RequestLimits:
        return RequestLimits(self.max_containers, self.max_pod_spec_bytes)


def fail_open_warning(config: WebhookConfig) -> str:
    """The start-up warning a front end must show when the webhook fails open ("" when it
    fails closed)."""
    if config.fail_closed:
        return ""
    return ("WARNING: ringfence webhook runs FAIL-OPEN: a request it cannot evaluate (time "
            f"out after {config.timeout_seconds:g}s, error, failed lookup) is ALLOWED, and "
            "under overload the API server's failurePolicy decides. A pod that is slow or "
            "costly to evaluate can then be admitted unchecked. Size caps still deny.")


class _TooLarge(Exception):
    def __init__(self, prefix: bytes) -> None:
        super().__init__("body too large")
        self.prefix = prefix


class _Overloaded(_TooLarge):
    """Reading this body would take the requests in progress past ``max_request_memory``."""


class _TimedOut(Exception):
    """The request did not complete within the deadline."""


Outcome = Decision | None | Exception  # an evaluation's result or what it raised


class WebhookApp:
    def __init__(self, evaluator: Evaluator, config: WebhookConfig, *,
                 inline: bool = False) -> None:
        """``inline``: ``evaluator`` never blocks (no I/O, no lock held for long), so it
        may run on the event loop; otherwise every evaluation goes to a worker thread."""
        self.config = config
        self._evaluator = evaluator
        self._inline = inline
        self._pool = ThreadPoolExecutor(config.max_concurrency, "ringfence-admission")
        self._inflight = 0
        self._held = 0  # estimated memory held by requests in progress
        self.ready = False

    @property
    def inline(self) -> bool:
        """Whether bodies up to ``inline_max_bytes`` are evaluated on the event loop."""
        return self._inline

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            await self._lifespan(receive, send)
        elif scope["type"] == "http":
            await self._http(scope, receive, send)

    async def _lifespan(self, receive: Receive, send: Send) -> None:
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                self.ready = True
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                self.ready = False
                self._pool.shutdown(wait=False, cancel_futures=True)
                await send({"type": "lifespan.shutdown.complete"})
                return

    async def _http(self, scope: Scope, receive: Receive, send: Send) -> None:
        path, method = scope["path"], scope["method"]
        if path == "/livez" and method in ("GET", "HEAD"):
            await _send(send, 200, {"status": "ok"})
        elif path == "/readyz" and method in ("GET", "HEAD"):
            ok = self.ready
            await _send(send, 200 if ok else 503, {"status": "ok" if ok else "not ready"})
        elif path == VALIDATE_PATH and method == "POST":
            status, doc, headers = await self._validate(scope, receive)
            await _send(send, status, doc, headers)
        elif path in ("/livez", "/readyz", VALIDATE_PATH):
            await _send(send, 405, {"message": f"{method} not allowed on {path}"})
        else:
            await _send(send, 404, {"message": f"no route {path}"})

    async def _validate(self, scope: Scope, receive: Receive) -> Response:
        held = [0]  # this request's share of ``_held``, released when it is answered
        try:
            return await self._validate_held(scope, receive, held)
        finally:
            self._held -= held[0]

    async def _validate_held(self, scope: Scope, receive: Receive, held: list[int]
                             ) -> Response:
        deadline = time.monotonic() + self.config.timeout_seconds
        cap = self.config.max_body_bytes
        try:
            async with asyncio.timeout(self.config.timeout_seconds):  # no task, unlike wait_for
                body = await self._read_body(scope, receive, held)
        except _Overloaded as exc:
            return self._overloaded(sniff_uid(exc.prefix), "requests in progress hold "
                                    f"over {self.config.max_request_memory} bytes")
        except _TooLarge as exc:
            return _refused(sniff_uid(exc.prefix), 413, f"ringfence denied the request: body "
                            f"larger than the cap of {cap} bytes (--max-body); not evaluated")
        except TimeoutError:
            return 408, {"message": "request body not received within "
                         f"{self.config.timeout_seconds:g}s"}, []
        try:
            review = parse_review(body)
        except BadReview as exc:
            return _refused(exc.uid, 400, f"not an AdmissionReview v1 request: {exc}")
        why = over_limit(review, len(body), self.config.limits)
        if why:
            return 200, deny(review.uid, 413, why), []
        if self._inline and len(body) <= self.config.inline_max_bytes:
            return 200, self._decide(review, self._evaluate_inline(review)), []
        if self._inflight >= self.config.max_concurrency:
            return self._overloaded(review.uid, f"{self.config.max_concurrency} evaluations "
                                    "in flight")
        outcome = await self._evaluate_in_thread(review, deadline - time.monotonic())
        return 200, self._decide(review, outcome), []

    def _overloaded(self, uid: str, why: str) -> Response:
        """No capacity to evaluate: denied when fail-closed (a denying review when the uid
        is known, else HTTP 503), HTTP 429 when fail-open; never "allowed"."""
        if self.config.fail_closed:
            return _refused(uid, 503, f"ringfence webhook overloaded ({why}): denied "
                            "(fail-closed)")
        return 429, {"message": f"ringfence webhook overloaded ({why})"}, [
            (b"retry-after", b"1")]

    async def _read_body(self, scope: Scope, receive: Receive, held: list[int]) -> bytes:
        """The whole body, or _TooLarge carrying its first bytes: a declared Content-Length
        over the cap stops after the first message, an undeclared one at the cap; or
        _Overloaded when the requests in progress would hold more than their budget."""
        limit = self.config.max_body_bytes
        declared = next((int(v) for n, v in scope.get("headers", [])
                         if n == b"content-length" and v.isdigit()), None)
        chunks: list[bytes] = []
        size = 0
        while True:
            message = await receive()
            chunk = message.get("body", b"")
            size += len(chunk)
            chunks.append(chunk)
            if (declared is not None and declared > limit) or size > limit:
                raise _TooLarge(b"".join(chunks)[:SNIFF_BYTES])
            cost = memory_estimate(chunk)
            if self._held + cost > self.config.max_request_memory:
                raise _Overloaded(b"".join(chunks)[:SNIFF_BYTES])
            self._held += cost
            held[0] += cost
            if not message.get("more_body"):
                return b"".join(chunks)

    def _evaluate_inline(self, review: ReviewRequest) -> Outcome:
        try:
            return self._evaluator(review)
        except Exception as exc:  # the caller applies the fail mode
            return exc

    async def _evaluate_in_thread(self, review: ReviewRequest, remaining: float) -> Outcome:
        timed_out = _TimedOut(f"evaluation did not finish within the "
                              f"{self.config.timeout_seconds:g}s deadline")
        if remaining <= 0:
            return timed_out
        try:
            return await self._run(review, remaining)
        except TimeoutError:
            return timed_out
        except Exception as exc:  # the caller applies the fail mode
            return exc

    def _decide(self, review: ReviewRequest, outcome: Outcome) -> dict[str, Any]:
        """The response for an evaluation's outcome: any failure goes through the fail
        mode, never "allowed" unless fail-open was asked for."""
        if isinstance(outcome, _TimedOut):
            return self._failed(review.uid, 504, str(outcome))
        if isinstance(outcome, BadReview):
            return deny(review.uid, 400, f"not an AdmissionReview v1 request: {outcome}")
        if isinstance(outcome, Exception):
            return self._failed(review.uid, 500, f"evaluation failed: "
                                f"{type(outcome).__name__}: {outcome}")
        decision = outcome
        if decision is None or decision.exempt:
            return allow(review.uid)
        subject = f"{review.kind} {review.namespace}/{review.name}".rstrip("/")
        if not decision.violations and decision.errors:
            return self._failed(review.uid, 500, "; ".join(decision.errors),
                                [f"{f.rule_id}: {f.message}" for f in decision.warnings])
        return decision_review(review.uid, subject, decision)

    async def _run(self, review: ReviewRequest, timeout: float) -> Decision | None:
        """The evaluation in a worker thread. Its slot stays taken until the thread really
        finishes (a timed-out lookup still occupies a worker)."""
        self._inflight += 1
        loop = asyncio.get_running_loop()
        future = loop.run_in_executor(self._pool, self._evaluator, review)
        future.add_done_callback(self._release)
        async with asyncio.timeout(timeout):
            return await asyncio.shield(future)

    def _release(self, future: asyncio.Future[Decision | None]) -> None:
        self._inflight -= 1
        if not future.cancelled():
            future.exception()  # retrieved: a late failure after a timeout is not logged

    def _failed(self, uid: str, code: int, why: str,
                warnings: list[str] | None = None) -> dict[str, Any]:
        if self.config.fail_closed:
            return deny(uid, code, f"ringfence could not evaluate: {why}; denied "
                        "(fail-closed)", warnings or [])
        return allow(uid, [f"ringfence: not evaluated ({why}); allowed (fail-open)",
                           *(warnings or [])])


def memory_estimate(data: bytes) -> int:
    """What ``data`` (part of a JSON body) will take once parsed, a little above CPython's:
    per object or array ~64 bytes, per string ~56 (two quotes), per element ~40 (its
    separator; numbers are objects too), plus the bytes. Four C-speed scans, no parse;
    measured 1.1-1.7x the parsed size for pods, long strings, numbers, empty objects."""
    return (len(data) + 64 * (data.count(b"{") + data.count(b"[")) + 28 * data.count(b'"')
            + 40 * data.count(b","))


def _refused(uid: str, code: int, message: str) -> Response:
    """A request refused before evaluation: a denying review when its uid is known (the
    API server shows the message), else the bare HTTP status (the call fails, which the
    failurePolicy Fail of the manifest denies)."""
    if uid:
        return 200, deny(uid, code, message), []
    return code, {"message": message}, []


async def _send(send: Send, status: int, doc: dict[str, Any],
                headers: list[tuple[bytes, bytes]] | None = None) -> None:
    body = json.dumps(doc, separators=(",", ":")).encode()
    await send({"type": "http.response.start", "status": status, "headers": [
        (b"content-type", b"application/json"), (b"content-length", str(len(body)).encode()),
        *(headers or [])]})
    await send({"type": "http.response.body", "body": body})
