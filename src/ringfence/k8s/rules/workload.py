"""Workload rules beyond the Pod Security Standards: image trust in manifests, resource
limits, service-account tokens and read-only root filesystems.

Digests follow the OCI image-spec grammar (``algorithm ":" encoded``; algorithm components
``[a-z0-9]+`` joined by ``+ . _ -``; encoded ``[a-zA-Z0-9=_-]+``). The registered algorithms
are checked exactly: ``sha256`` (64) and ``sha512`` (128) lower-case hex digits. A digest
that is grammatical but names another algorithm is *unknown*: runtimes and registries
refuse algorithms they do not implement, so it pins nothing a node can verify and K8S-031
reports it as its own condition (``unknown-algorithm``), apart from a malformed digest."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from typing import Final

from ringfence.checks.rule import Check, Violation
from ringfence.k8s.facts import K8sFacts
from ringfence.k8s.podview import ContainerView, PodView, mapping
from ringfence.k8s.rules.pss import pod_check
from ringfence.model.finding import Rule, Severity


def split_image(image: str) -> tuple[str, str, str, str]:
    """(registry, repository, tag, digest) of an image reference; registry "docker.io" when
    the first component is not a host (no dot or colon, not localhost)."""
    name, _, digest = image.partition("@")
    head, _, last = name.rpartition("/")
    repo_last, _, tag = last.partition(":")
    path = f"{head}/{repo_last}" if head else repo_last
    first, _, rest = path.partition("/")
    if rest and ("." in first or ":" in first or first == "localhost"):
        return first, rest, tag, digest
    return "docker.io", path, tag, digest


def _runnable(pod: PodView) -> Iterator[ContainerView]:
    """Containers that declare resources: ephemeral containers cannot."""
    return (c for c in pod.containers if c.role != "ephemeral")


DIGEST_GRAMMAR: Final = re.compile(r"[a-z0-9]+(?:[+._-][a-z0-9]+)*:[a-zA-Z0-9=_-]+")
REGISTERED_DIGESTS: Final = {"sha256": 64, "sha512": 128}  # hex digits of the encoded part
_LOWER_HEX: Final = re.compile(r"[a-f0-9]+")


def digest_problem(digest: str) -> tuple[str, str] | None:
    """(condition, why) when ``digest`` does not pin an image a runtime can verify, None
    for a valid digest of a registered algorithm."""
    if not digest:
        return "no-digest", "is not pinned by digest"
    if not DIGEST_GRAMMAR.fullmatch(digest):
        return "malformed-digest", "has a malformed digest (not OCI algorithm:encoded)"
    algorithm, _, encoded = digest.partition(":")
    length = REGISTERED_DIGESTS.get(algorithm)
    if length is None:
        return "unknown-algorithm", f"has a digest of unregistered algorithm {algorithm}"
    if len(encoded) != length or not _LOWER_HEX.fullmatch(encoded):
        return "malformed-digest", (f"has a malformed {algorithm} digest (needs {length} "
                                    "lower-case hex digits)")
    return None


def mutable_tag(pod: PodView) -> Iterator[tuple[str, str]]:
    for c in pod.containers:
        _, _, tag, digest = split_image(c.image)
        if not digest and tag == "":
            yield "untagged", f"{c.field_path} image {c.image or '(none)'} has no tag"
        elif not digest and tag == "latest":
            yield "latest", f"{c.field_path} image {c.image} is tagged :latest"


def not_pinned(pod: PodView) -> Iterator[tuple[str, str]]:
    for c in pod.containers:
        if (problem := digest_problem(split_image(c.image)[3])) is not None:
            yield problem[0], f"{c.field_path} image {c.image} {problem[1]}"


def _limit(kind: str) -> Callable[[PodView], Iterator[str]]:
    def control(pod: PodView) -> Iterator[str]:
        for c in _runnable(pod):
            if not mapping(mapping(c.raw.get("resources")).get("limits")).get(kind):
                yield f"{c.field_path} has no {kind} limit"
    return control


def read_only_root(pod: PodView) -> Iterator[tuple[str, str]]:
    """Condition ``unset`` (Kubernetes' default is writable) or ``set`` (a value other
    than true was written)."""
    for c in pod.containers:
        value = c.security_context.get("readOnlyRootFilesystem")
        if value is not True:
            yield ("unset" if value is None else "set"), \
                f"{c.field_path} root filesystem is writable"


def registries(facts: K8sFacts) -> Iterator[Violation]:
    allowed = facts.allowed_registries
    for pod in facts.pods:
        for c in pod.containers:
            reg, repo, _, _ = split_image(c.image)
            full = f"{reg}/{repo}"
            if not any(full == a or full.startswith(a.rstrip("/") + "/") or reg == a
                       for a in allowed):
                yield Violation(f"{pod.ref}: {c.field_path} image {c.image} is from "
                                f"{reg}, not an allowed registry", pod.location)


def automount_token(facts: K8sFacts) -> Iterator[Violation]:
    """The pod's automountServiceAccountToken wins; unset, the ServiceAccount's; unset,
    Kubernetes mounts the token."""
    sa_setting = {(o.in_namespace(), o.name): o.raw.get("automountServiceAccountToken")
                  for o in facts.of_kind("ServiceAccount")}
    for pod in facts.pods:
        own = pod.spec.get("automountServiceAccountToken")
        from_sa = sa_setting.get((pod.namespace, pod.service_account))
        if own is not None:
            effective, condition, why = own, "pod", "the pod sets it"
        elif from_sa is not None:
            effective, condition, why = from_sa, "service-account", "its ServiceAccount sets it"
        else:
            effective, condition, why = None, "default", "neither the pod nor its " \
                "ServiceAccount disables it"
        if effective is not False:
            yield Violation(f"{pod.ref}: service account token of {pod.service_account} "
                            f"is mounted ({why})", pod.location, condition)


def _r(num: int, title: str, severity: Severity, remediation: str,
       threats: tuple[str, ...], refs: tuple[str, ...] = ()) -> Rule:
    return Rule(f"K8S-{num:03d}", title, severity, "platform", remediation, threats, refs)


def _has_pods(facts: K8sFacts) -> bool:
    return bool(facts.pods)


WORKLOAD_CHECKS: Final[tuple[Check[K8sFacts], ...]] = (
    pod_check(_r(30, "Image without a tag or tagged latest", Severity.MEDIUM,
                 "Use an immutable tag or a digest.", ("malicious-image", "persistence-drift")),
              mutable_tag, ("untagged", "latest")),
    pod_check(_r(31, "Image not pinned by digest", Severity.LOW,
                 "Reference images as repo@sha256:….", ("malicious-image",)), not_pinned,
              ("no-digest", "malformed-digest", "unknown-algorithm")),
    Check(_r(32, "Image from a registry outside the allow-list", Severity.HIGH,
             "Pull only from the allowed registries.", ("malicious-image",), ("T1610",)),
          registries, lambda f: bool(f.pods and f.allowed_registries)),
    pod_check(_r(33, "No CPU limit", Severity.LOW, "Set resources.limits.cpu.",
                 ("resource-exhaustion",), ("CIS Kubernetes 5.7",)), _limit("cpu")),
    pod_check(_r(34, "No memory limit", Severity.MEDIUM, "Set resources.limits.memory.",
                 ("resource-exhaustion",)), _limit("memory")),
    Check(_r(35, "Service account token mounted automatically", Severity.MEDIUM,
             "Set automountServiceAccountToken: false on the pod or its ServiceAccount.",
             ("credential-theft", "platform-privilege-escalation"),
             ("CIS Kubernetes 5.1.6", "T1528")), automount_token, _has_pods,
          ("pod", "service-account", "default")),
    pod_check(_r(36, "Writable root filesystem", Severity.LOW,
                 "Set securityContext.readOnlyRootFilesystem: true.",
                 ("persistence-drift",)), read_only_root, ("unset", "set")),
)
