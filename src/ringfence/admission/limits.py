"""The work one admission request may ask for, checked before any evaluation.

Evaluation cost grows with the number of containers (every check visits each one) and the
pod spec's size; a body is already capped while it is read (``max_body_bytes``). Over a cap
the request is *denied*, naming the cap, whatever the fail mode: a cap is policy, not a
failure to evaluate. Both checks are cheap: the container count is three ``len`` calls; the
spec is re-encoded (C encoder, ~25 ms per MiB) only when the whole body is larger than the
spec cap, since a spec cannot be larger than the body that carries it.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Final

from ringfence.admission.review import ReviewRequest
from ringfence.k8s.podview import CONTAINER_FIELDS, seq

# a pod with more containers than this is not a real workload; 128 minimal containers take
# ~3 ms to evaluate
DEFAULT_MAX_CONTAINERS: Final = 128
# etcd's default request limit is 1.5 MiB for the whole object; the largest real workload
# in the test corpus is 14 KB
DEFAULT_MAX_POD_SPEC_BYTES: Final = 1 << 20


@dataclass(frozen=True, slots=True)
class RequestLimits:
    max_containers: int = DEFAULT_MAX_CONTAINERS
    max_pod_spec_bytes: int = DEFAULT_MAX_POD_SPEC_BYTES


def over_limit(review: ReviewRequest, body_bytes: int, limits: RequestLimits) -> str:
    """"" when the request is within the caps, else why not (the cap and its option named)."""
    spec = review.pod_spec()
    if spec is None:
        return ""
    subject = f"{review.kind} {review.namespace}/{review.name}".rstrip("/")
    count = container_count(spec)
    if count > limits.max_containers:
        return (f"ringfence denied {subject}: the pod spec has {count} containers "
                f"(init, regular and ephemeral), over the cap of {limits.max_containers} "
                "(--max-containers); not evaluated")
    if body_bytes > limits.max_pod_spec_bytes:
        size = spec_bytes(spec)
        if size > limits.max_pod_spec_bytes:
            return (f"ringfence denied {subject}: the pod spec is {size} bytes, over the cap "
                    f"of {limits.max_pod_spec_bytes} bytes (--max-pod-bytes); not evaluated")
    return ""


def container_count(spec: Mapping[str, Any]) -> int:
    return sum(len(seq(spec.get(name))) for name, _ in CONTAINER_FIELDS)


def spec_bytes(spec: Mapping[str, Any]) -> int:
    """The spec's size as compact JSON (how the API server would store it, give or take
    number formatting)."""
    return len(json.dumps(spec, separators=(",", ":"), ensure_ascii=False,
                          check_circular=False).encode())
