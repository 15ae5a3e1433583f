"""Trust-policy lint rules (IMG-201…) and provenance rules (IMG-210…): each finding says
which attack the hole lets through. Listed in the explicit TRUST_CHECKS tuple."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Final

from ringfence.checks.rule import Check, Violation
from ringfence.model.finding import Rule, Severity
from ringfence.trust.lint import OPEN_LOCAL_TRANSPORTS, PolicyFacts
from ringfence.trust.requirements import InsecureAcceptAnything, SigstoreSigned

MAN = "containers-policy.json(5)"

DEFAULT_ACCEPTS = Rule(
    "IMG-201", "Trust policy default accepts any image", Severity.HIGH, "image",
    "Set \"default\" to [{\"type\": \"reject\"}] and allow registries explicitly.",
    ("malicious-image",), (MAN, "T1610", "T1525"))
SCOPE_ACCEPTS_UNSIGNED = Rule(
    "IMG-202", "Registry scope accepts unsigned images", Severity.MEDIUM, "image",
    "Require signedBy or sigstoreSigned for registries images are deployed from.",
    ("malicious-image",), (MAN, "T1525"))
SIGSTORE_MATCH_REPOSITORY = Rule(
    "IMG-203", "sigstoreSigned accepts any tag of the repository", Severity.MEDIUM, "image",
    "Use matchRepoDigestOrExact (sign with the tag) or deploy by digest.",
    ("malicious-image", "vulnerable-package"), (MAN,))
KEY_UNREADABLE = Rule(
    "IMG-204", "Trust policy key file missing, unreadable or relative", Severity.HIGH,
    "image", "Install the key at an absolute path readable by the container engine.",
    ("malicious-image",), (MAN,))
LOCAL_TRANSPORT_OPEN = Rule(
    "IMG-205", "Local image transport left open", Severity.MEDIUM, "image",
    "Reject docker-daemon, dir and archive transports, or require signatures for them.",
    ("malicious-image", "persistence-drift"), (MAN, "T1525"))


def _default_accepts(facts: PolicyFacts) -> Iterator[Violation]:
    for e in facts.entries:
        if not e.transport and isinstance(e.requirement, InsecureAcceptAnything):
            yield Violation("default is insecureAcceptAnything: any image from any registry or "
                            "transport not listed runs unverified, so a typo-squatted or "
                            "hijacked image is accepted", f"{facts.source}: default")


REGISTRY_TRANSPORTS = ("docker", "atomic")  # IMG-202's conditions: the scope's transport


def _scope_accepts(facts: PolicyFacts) -> Iterator[Violation]:
    for e in facts.entries:
        if (e.transport in REGISTRY_TRANSPORTS and e.scope
                and isinstance(e.requirement, InsecureAcceptAnything)):
            yield Violation(f"{e.scope} accepts unsigned images: whoever can push there or "
                            "intercept the pull can substitute the image",
                            f"{facts.source}: {e.where}", e.transport)


def _sigstore_repository(facts: PolicyFacts) -> Iterator[Violation]:
    for e in facts.entries:
        req = e.requirement
        if isinstance(req, SigstoreSigned) and req.identity.type == "matchRepository":
            yield Violation("sigstoreSigned with matchRepository: a signature for any tag "
                            "(an old, vulnerable release) is accepted for every tag — "
                            "a rollback/tag-substitution attack", f"{facts.source}: {e.where}")


def _keys(facts: PolicyFacts) -> Iterator[Violation]:
    for where, path in facts.unreadable:
        yield Violation(f"{path} cannot be read: every image in this scope is rejected, and "
                        "the usual quick fix (insecureAcceptAnything) opens the scope",
                        f"{facts.source}: {where}", "unreadable")
    for where, path in facts.relative:
        yield Violation(f"{path} is relative: which key is trusted depends on the working "
                        "directory of the engine", f"{facts.source}: {where}", "relative")


def _local_open(facts: PolicyFacts) -> Iterator[Violation]:
    for e in facts.entries:
        if (e.transport in OPEN_LOCAL_TRANSPORTS
                and isinstance(e.requirement, InsecureAcceptAnything)):
            yield Violation(f"{e.transport} images are accepted unverified: an attacker who "
                            "can write a local image or archive bypasses registry signing",
                            f"{facts.source}: {e.where}")


def _has_entries(facts: PolicyFacts) -> bool:
    return bool(facts.entries)


TRUST_CHECKS: Final[tuple[Check[PolicyFacts], ...]] = (
    Check(DEFAULT_ACCEPTS, _default_accepts, _has_entries),
    Check(SCOPE_ACCEPTS_UNSIGNED, _scope_accepts, _has_entries, REGISTRY_TRANSPORTS),
    Check(SIGSTORE_MATCH_REPOSITORY, _sigstore_repository, _has_entries),
    Check(KEY_UNREADABLE, _keys, _has_entries, ("unreadable", "relative")),
    Check(LOCAL_TRANSPORT_OPEN, _local_open, _has_entries),
)
