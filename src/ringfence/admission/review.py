"""AdmissionReview v1 (admission.k8s.io/v1): parse a request, build a response.

Parsing is strict where a wrong guess would be unsafe (apiVersion, kind, request.uid) and
tolerant elsewhere (a missing ``object`` on DELETE). Every response echoes the uid.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any, Final

from ringfence.admission.evaluate import Decision
from ringfence.k8s.objects import make_object
from ringfence.k8s.podview import TEMPLATE_PATHS, PodView, mapping, pod_view

API_VERSION: Final = "admission.k8s.io/v1"
POD_KINDS: Final = ("Pod", "Deployment", "StatefulSet", "DaemonSet", "ReplicaSet", "Job",
                    "CronJob")
EVALUATED_OPERATIONS: Final = ("CREATE", "UPDATE")
EVALUATED_SUBRESOURCES: Final = ("", "ephemeralcontainers")
MAX_WARNINGS: Final = 20
MAX_TEXT: Final = 4096
# metav1.StatusReason for the codes the webhook answers with
REASONS: Final = {400: "BadRequest", 403: "Forbidden", 413: "RequestEntityTooLarge",
                  429: "TooManyRequests", 500: "InternalError", 503: "ServiceUnavailable",
                  504: "Timeout"}
# the API server encodes AdmissionReview with request.uid as the request's first field
_UID_PREFIX: Final = re.compile(
    rb'"request"\s*:\s*\{\s*"uid"\s*:\s*"([A-Za-z0-9][A-Za-z0-9._:-]{0,127})"')
SNIFF_BYTES: Final = 8192


class BadReview(Exception):
    """The body is not an AdmissionReview v1 request; the message says why. ``uid`` is the
    request's uid when it could be read (the webhook then answers a denying review), else
    "" (HTTP 400)."""

    def __init__(self, message: str, uid: str = "") -> None:
        super().__init__(message)
        self.uid = uid


@dataclass(frozen=True, slots=True)
class ReviewRequest:
    uid: str
    kind: str
    namespace: str
    name: str
    operation: str
    sub_resource: str
    user: str
    obj: Mapping[str, Any] | None

    @property
    def evaluated(self) -> bool:
        """Whether this request carries a pod spec the webhook evaluates."""
        return (self.kind in POD_KINDS and self.operation in EVALUATED_OPERATIONS
                and self.sub_resource in EVALUATED_SUBRESOURCES and self.obj is not None)

    def pod_spec(self) -> Mapping[str, Any] | None:
        """The raw pod spec of an evaluated request (no view built: cheap enough for the
        size caps that run before any evaluation), or None."""
        if not self.evaluated or self.obj is None:
            return None
        template: Mapping[str, Any] = self.obj
        for key in TEMPLATE_PATHS[self.kind]:
            template = mapping(template.get(key))
        return mapping(template.get("spec"))

    def pod(self) -> PodView | None:
        """The pod view to evaluate, or None when this request runs no pod spec."""
        if not self.evaluated or self.obj is None:
            return None
        obj = make_object(self.obj, f"admission:{self.uid}", 0, kind=self.kind)
        if obj.kind != self.kind:
            raise BadReview(f"request.object.kind {obj.kind!r} is not request.kind "
                            f"{self.kind!r}", self.uid)
        if not obj.namespace and self.namespace:
            obj = replace(obj, namespace=self.namespace)
        if not obj.name and self.name:
            obj = replace(obj, name=self.name)
        return pod_view(obj)


def parse_review(body: bytes) -> ReviewRequest:
    """The request of an AdmissionReview v1 body. A body that is not one raises BadReview;
    once ``request.uid`` is read, every later problem carries it (a denying review can be
    answered). Another apiVersion is never answered as v1: HTTP 400."""
    try:
        doc = json.loads(body)
    except (ValueError, RecursionError) as exc:
        raise BadReview(f"body is not JSON: {exc}", sniff_uid(body)) from exc
    if not isinstance(doc, dict):
        raise BadReview("body is not a JSON object")
    if doc.get("apiVersion") != API_VERSION or doc.get("kind") != "AdmissionReview":
        raise BadReview(f"expected apiVersion {API_VERSION} kind AdmissionReview, got "
                        f"{doc.get('apiVersion')!r} {doc.get('kind')!r}")
    req = doc.get("request")
    if not isinstance(req, dict) or not isinstance(req.get("uid"), str) or not req["uid"]:
        raise BadReview("request.uid is missing")
    uid: str = req["uid"]
    kind: dict[str, Any] = req["kind"] if isinstance(req.get("kind"), dict) else {}
    user: dict[str, Any] = req["userInfo"] if isinstance(req.get("userInfo"), dict) else {}
    obj = req.get("object")
    if obj is not None and not isinstance(obj, dict):
        raise BadReview("request.object is not a JSON object", uid)
    return ReviewRequest(uid, str(kind.get("kind") or ""), str(req.get("namespace") or ""),
                         str(req.get("name") or ""), str(req.get("operation") or ""),
                         str(req.get("subResource") or ""), str(user.get("username") or ""),
                         obj)


def sniff_uid(prefix: bytes) -> str:
    """``request.uid`` read from the first bytes of a body that will not be parsed (too
    large, or not JSON), or "". Only ever used to *deny* under that uid: a wrong guess makes
    the API server fail the call, which its failurePolicy Fail also denies."""
    match = _UID_PREFIX.search(prefix[:SNIFF_BYTES])
    return match.group(1).decode() if match else ""


def _review(response: dict[str, Any]) -> dict[str, Any]:
    return {"apiVersion": API_VERSION, "kind": "AdmissionReview", "response": response}


def _clip(text: str) -> str:
    return text if len(text) <= MAX_TEXT else text[:MAX_TEXT - 1] + "…"


def allow(uid: str, warnings: list[str] | tuple[str, ...] = ()) -> dict[str, Any]:
    response: dict[str, Any] = {"uid": uid, "allowed": True}
    if warnings:
        response["warnings"] = [_clip(w) for w in warnings[:MAX_WARNINGS]]
    return _review(response)


def deny(uid: str, code: int, message: str,
         warnings: list[str] | tuple[str, ...] = ()) -> dict[str, Any]:
    doc = allow(uid, warnings)
    doc["response"]["allowed"] = False
    doc["response"]["status"] = {"status": "Failure", "code": code,
                                 "reason": REASONS.get(code, "InternalError"),
                                 "message": _clip(message)}
    return doc


def decision_review(uid: str, subject: str, decision: Decision) -> dict[str, Any]:
    """Allowed, or 403 naming every violated rule id then each violation. Errors are not
    handled here (the webhook applies its fail mode first)."""
    warnings = [f"{f.rule_id}: {f.message}" for f in decision.warnings]
    if not decision.violations:
        return allow(uid, warnings)
    details = "; ".join(f"[{f.rule_id}] {f.message}" for f in decision.violations)
    return deny(uid, 403, f"ringfence denied {subject} ({', '.join(decision.rule_ids())}): "
                f"{details}", warnings)
