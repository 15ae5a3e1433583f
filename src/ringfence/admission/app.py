"""The webhook as a plain ASGI application (no framework): three routes, a streamed body
with a hard size cap, a concurrency cap and a per-request evaluation timeout.

Where an evaluation runs: an evaluator that may block (signature lookups go to registries)
runs in a worker thread under the timeout. One built ``inline=True`` (pure CPU over data in
memory: PSS and workload checks, the registry allow-list, the prior-scan index; ~0.1 ms for
a real Deployment) runs on the event loop for bodies up to ``inline_max_bytes``: the hop to
a thread and back (submit, wake-up, the GIL handed between loop and worker) costs more than
the evaluation, and bursts of reviews queued behind it (``bench/webhook.py``). Larger
bodies still take the worker-thread path, so one huge object gets the timeout.

Plain ASGI rather than Starlette: the app needs exactly what the ASGI spec gives (read the
body chunk by chunk and stop at the cap, answer JSON), and nothing a framework adds; one
less dependency in an admission path that must stay small and fast.

Failure handling (``fail_closed``):
* violations always deny (403, the rule ids in the message);
* the evaluation raising, timing out or a lookup failing: deny (500/504) when fail-closed,
  allow with a warning saying it was not evaluated when fail-open;
* overload (``max_concurrency`` evaluations in flight in worker threads): deny (503) when
  fail-closed, HTTP 429 when fail-open, so the API server's failurePolicy decides; the
  webhook never answers "allowed" for a request it had no capacity to evaluate. An inline
  evaluation holds no slot: it completes before the loop reads the next request.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable, MutableMapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any, Final

from ringfence.admission.evaluate import Decision
from ringfence.admission.review import (
    BadReview,
    ReviewRequest,
    allow,
    decision_review,
    deny,
    parse_review,
)

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
Evaluator = Callable[[ReviewRequest], Decision | None]  # None: nothing to evaluate
VALIDATE_PATH: Final = "/validate"


@dataclass(frozen=True, slots=True)
class WebhookConfig:
    fail_closed: bool = False
    # etcd stores objects up to 1.5 MiB; an UPDATE review carries object and oldObject
    max_body_bytes: int = 3 << 20
    max_concurrency: int = 64
    timeout_seconds: float = 3.0
    # an inline evaluation is not bounded by the timeout, only by this body size: the
    # largest real workload in the test corpus is 14 KB (~0.15 ms); a 32 KiB pod of ~1,100
    # minimal containers, the costliest shape per byte, takes ~25 ms
    inline_max_bytes: int = 32 << 10


class _TooLarge(Exception):
    pass


class _TimedOut(Exception):
    """The worker-thread evaluation did not finish within the timeout."""


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

    async def _validate(self, scope: Scope, receive: Receive
                        ) -> tuple[int, dict[str, Any], list[tuple[bytes, bytes]]]:
        try:
            body = await _read_body(scope, receive, self.config.max_body_bytes)
            review = parse_review(body)
        except _TooLarge:
            return 413, {"message": f"request body larger than {self.config.max_body_bytes} "
                         "bytes"}, []
        except BadReview as exc:
            return 400, {"message": f"not an AdmissionReview v1 request: {exc}"}, []
        if self._inline and len(body) <= self.config.inline_max_bytes:
            return 200, self._decide(review, self._evaluate_inline(review)), []
        if self._inflight >= self.config.max_concurrency:
            if self.config.fail_closed:
                return 200, deny(review.uid, 503, "ringfence webhook overloaded: denied "
                                 "(fail-closed)"), []
            return 429, {"message": "ringfence webhook overloaded"}, [(b"retry-after", b"1")]
        return 200, self._decide(review, await self._evaluate_in_thread(review)), []

    def _evaluate_inline(self, review: ReviewRequest) -> Outcome:
        try:
            return self._evaluator(review)
        except Exception as exc:  # the caller applies the fail mode
            return exc

    async def _evaluate_in_thread(self, review: ReviewRequest) -> Outcome:
        try:
            return await self._run(review)
        except TimeoutError:
            return _TimedOut(f"evaluation timed out after {self.config.timeout_seconds:g}s")
        except Exception as exc:  # the caller applies the fail mode
            return exc

    def _decide(self, review: ReviewRequest, outcome: Outcome) -> dict[str, Any]:
        """The response for an evaluation's outcome: any failure goes through the fail
        mode, never "allowed"."""
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

    async def _run(self, review: ReviewRequest) -> Decision | None:
        """The evaluation in a worker thread. Its slot stays taken until the thread really
        finishes (a timed-out lookup still occupies a worker)."""
        self._inflight += 1
        loop = asyncio.get_running_loop()
        future = loop.run_in_executor(self._pool, self._evaluator, review)
        future.add_done_callback(self._release)
        return await asyncio.wait_for(asyncio.shield(future), self.config.timeout_seconds)

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


async def _read_body(scope: Scope, receive: Receive, limit: int) -> bytes:
    for name, value in scope.get("headers", []):
        if name == b"content-length" and value.isdigit() and int(value) > limit:
            raise _TooLarge
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > limit:
            raise _TooLarge
        chunks.append(chunk)
        if not message.get("more_body"):
            return b"".join(chunks)


async def _send(send: Send, status: int, doc: dict[str, Any],
                headers: list[tuple[bytes, bytes]] | None = None) -> None:
    body = json.dumps(doc, separators=(",", ":")).encode()
    await send({"type": "http.response.start", "status": status, "headers": [
        (b"content-type", b"application/json"), (b"content-length", str(len(body)).encode()),
        *(headers or [])]})
    await send({"type": "http.response.body", "body": body})
