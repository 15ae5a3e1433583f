"""IMG-210…214: provenance and trusted sources, in the explicit PROVENANCE_CHECKS tuple.

IMG-210 is evaluated only for ``docker://`` references with an allow-list: a local layout
or archive has no registry (its base.name / ref.name annotations are reported instead).
IMG-213 is evaluated only when the policy scope gives public keys to verify with.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Final

from ringfence.checks.rule import Check, Violation
from ringfence.model.finding import Rule, Severity
from ringfence.trust.provenance import HUB_ALIASES, ProvenanceFacts

SLSA = "SLSA v1.0 Build L2"
UNTRUSTED_REGISTRY = Rule(
    "IMG-210", "Image not from a trusted registry", Severity.HIGH, "image",
    "Pull images only from the registries and repositories in the allow-list "
    "(--trusted-registry), or mirror the image into one.",
    ("malicious-image",), ("CIS Docker 4.2", "T1525", "T1195.002"))
SOURCE_UNKNOWN = Rule(
    "IMG-211", "Image does not record its source repository or revision", Severity.LOW,
    "image", "Set org.opencontainers.image.source and .revision (annotation or label) at "
    "build time, e.g. docker buildx --annotation or LABEL.",
    ("malicious-image", "vulnerable-package"), ("OCI image-spec annotations", SLSA))
ATTESTATION_SUBJECT = Rule(
    "IMG-212", "Provenance attestation is for another image", Severity.HIGH, "image",
    "Attach the attestation made for this image's digest; an attestation copied from "
    "another image proves nothing about this one.",
    ("malicious-image",), (SLSA, "T1195.002"))
ATTESTATION_UNVERIFIED = Rule(
    "IMG-213", "Provenance attestation signature does not verify", Severity.HIGH, "image",
    "Re-attest with the key the trust policy lists for this scope; treat a tampered "
    "attestation as a compromised build.",
    ("malicious-image",), (SLSA, "T1195.002"))
POLICY_REJECTS = Rule(
    "IMG-214", "Image not accepted by the trust policy", Severity.HIGH, "image",
    "Sign the image with a key the policy trusts for its scope (ringfence sign), or pull "
    "it from a scope whose requirements it meets.",
    ("malicious-image",), ("containers-policy.json(5)", "CIS Docker 4.5", "T1525"))


def normalize_host(host: str) -> str:
    return "docker.io" if host in HUB_ALIASES else host


def allowed(entries: tuple[str, ...], registry: str, repository: str) -> bool:
    """``HOST`` or ``HOST/PATH`` prefixes, matched on whole path components."""
    name = f"{normalize_host(registry)}/{repository}"
    for entry in entries:
        host, _, path = entry.strip().strip("/").partition("/")
        prefix = f"{normalize_host(host)}/{path}" if path else normalize_host(host)
        if name == prefix or name.startswith(prefix + "/"):
            return True
    return False


def _untrusted(f: ProvenanceFacts) -> Iterator[Violation]:
    ref = f.reference
    assert ref is not None
    if not allowed(f.trusted, str(ref.registry), str(ref.repository)):
        yield Violation(f"{ref.registry}/{ref.repository} is not in the trusted registries "
                        f"({', '.join(f.trusted)}): its content is outside your supply chain",
                        "reference")


def _source_unknown(f: ProvenanceFacts) -> Iterator[Violation]:
    for key in ("source", "revision"):
        if f.oci(key) is None:
            yield Violation(f"no org.opencontainers.image.{key} annotation or label: the "
                            "image cannot be traced to the code it was built from",
                            f"annotations/labels: org.opencontainers.image.{key}", key)


def _subject(f: ProvenanceFacts) -> Iterator[Violation]:
    for att in f.attestations:
        if att.statement is None:
            continue
        named = {d for s in att.statement.subjects for d in s.oci_digests()}
        if not named & f.digests:
            yield Violation(f"{att.statement.predicate_type} attestation names "
                            f"{', '.join(sorted(named))}, not this image "
                            f"({', '.join(sorted(f.digests))})", att.where)


def _unverified(f: ProvenanceFacts) -> Iterator[Violation]:
    for att in f.attestations:
        if att.verified is False:
            yield Violation(f"attestation rejected: {att.problem}", att.where)


def _rejected(f: ProvenanceFacts) -> Iterator[Violation]:
    verdict = f.verdict
    assert verdict is not None
    if not verdict.allowed:
        reasons = "; ".join(verdict.reasons()) or "no requirement accepted it"
        yield Violation(f"rejected by the trust policy (scope {verdict.scope}): {reasons}",
                        f"policy scope {verdict.scope}")


def _allow_list(f: ProvenanceFacts) -> bool:
    return bool(f.trusted) and f.remote


def _has_config(f: ProvenanceFacts) -> bool:
    return f.has_config


def _has_statements(f: ProvenanceFacts) -> bool:
    return any(a.statement is not None for a in f.attestations)


def _has_keys(f: ProvenanceFacts) -> bool:
    return any(a.verified is not None for a in f.attestations)


def _has_verdict(f: ProvenanceFacts) -> bool:
    return f.verdict is not None


PROVENANCE_CHECKS: Final[tuple[Check[ProvenanceFacts], ...]] = (
    Check(UNTRUSTED_REGISTRY, _untrusted, _allow_list),
    Check(SOURCE_UNKNOWN, _source_unknown, _has_config, ("source", "revision")),
    Check(ATTESTATION_SUBJECT, _subject, _has_statements),
    Check(ATTESTATION_UNVERIFIED, _unverified, _has_keys),
    Check(POLICY_REJECTS, _rejected, _has_verdict),
)
