"""Evaluate a policy for one image as containers/image's ``IsRunningImageAllowed`` does:
pick the most specific scope, then every requirement there must accept. A signature
requirement accepts when at least one of the image's signatures of its kind verifies, is
by a trusted key, names this manifest's digest and an identity the policy accepts.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass

from ringfence.trust.identity import DockerReference, IdentityMatch
from ringfence.trust.payload import (
    SIMPLE_SIGNING_TYPE,
    Rejected,
    SignedPayload,
    parse_payload,
    read_referenced,
    valid_digest,
)
from ringfence.trust.policy import Policy
from ringfence.trust.requirements import (
    InsecureAcceptAnything,
    Reject,
    Requirement,
    SignedBaseLayer,
    SignedBy,
    SigstoreSigned,
)
from ringfence.trust.sigstore import SigstoreSignature, verify_sigstore


@dataclass(frozen=True, slots=True)
class Candidate:
    """An image as the policy sees it: where it is, what it is called, what it carries."""

    transport: str
    policy_identity: str
    namespaces: tuple[str, ...]
    docker_reference: DockerReference | None
    manifest: bytes | None
    simple_signatures: tuple[bytes, ...] = ()
    sigstore_signatures: tuple[SigstoreSignature, ...] = ()
    problem: str = ""  # why the manifest or signatures could not be read


@dataclass(frozen=True, slots=True)
class RequirementResult:
    type: str
    accepted: bool
    reason: str
    signer: str = ""
    signed_reference: str = ""


@dataclass(frozen=True, slots=True)
class Verdict:
    allowed: bool
    scope: str
    results: tuple[RequirementResult, ...]

    def reasons(self) -> list[str]:
        return [f"{r.type}: {r.reason}" for r in self.results if not r.accepted]


def evaluate(policy: Policy, image: Candidate) -> Verdict:
    scope, reqs = policy.requirements_for(image.transport, image.policy_identity,
                                          list(image.namespaces))
    results = tuple(_requirement(req, image) for req in reqs)
    return Verdict(bool(results) and all(r.accepted for r in results), scope, results)


def _requirement(req: Requirement, image: Candidate) -> RequirementResult:
    if isinstance(req, InsecureAcceptAnything):
        return RequirementResult(req.type, True, "accepted without verification")
    if isinstance(req, Reject):
        return RequirementResult(req.type, False, "rejected by policy")
    if isinstance(req, SignedBaseLayer):
        return RequirementResult(req.type, False, "signedBaseLayer is not implemented "
                                 "(containers/image rejects it too)")
    if image.problem:
        return RequirementResult(req.type, False, image.problem)
    if isinstance(req, SignedBy):
        return _any_signature(req.type, req.identity, image, image.simple_signatures,
                              lambda blob: _simple(req, blob))
    return _any_signature(req.type, req.identity, image, image.sigstore_signatures,
                          lambda sig: _sigstore(req, sig))


def _any_signature(kind: str, match: IdentityMatch, image: Candidate, sigs: tuple[object, ...],
                   check: object) -> RequirementResult:
    if not sigs:
        return RequirementResult(kind, False, "a signature was required, but no signature "
                                 "exists")
    reasons = []
    for i, sig in enumerate(sigs, 1):
        try:
            signer, payload = check(sig)  # type: ignore[operator]
            _digest_matches(image.manifest, payload.manifest_digest)
            if not match.matches(image.docker_reference, payload.docker_reference):
                raise Rejected(f"signature for identity {payload.docker_reference!r} is not "
                               f"accepted for {image.docker_reference}")
        except Rejected as exc:
            reasons.append(f"signature {i}: {exc}")
            continue
        return RequirementResult(kind, True, f"signature {i} verified", signer,
                                 payload.docker_reference)
    return RequirementResult(kind, False, "; ".join(reasons))


def _digest_matches(manifest: bytes | None, signed: str) -> None:
    if manifest is None:
        raise Rejected("the image manifest could not be read")
    try:
        if json.loads(manifest).get("schemaVersion") == 1:
            raise Rejected("cannot compute the digest of a schema 1 manifest")
    except (ValueError, AttributeError, RecursionError) as exc:
        raise Rejected("the image manifest is not JSON") from exc
    algo, _, expected = signed.partition(":")
    if not valid_digest(signed) or hashlib.new(algo, manifest).hexdigest() != expected:
        raise Rejected(f"signature is for manifest {signed}, not this one")


def _simple(req: SignedBy, blob: bytes) -> tuple[str, SignedPayload]:
    from ringfence.trust.simple_signing import verify_blob

    if req.key_type != "GPGKeys":
        raise Rejected(f"keyType {req.key_type} is not implemented")
    keys = [req.key_data] if req.key_data is not None else [_read(p) for p in req.key_paths]
    verified = verify_blob(blob, keys)
    return verified.fingerprint, parse_payload(verified.content, SIMPLE_SIGNING_TYPE)


def _sigstore(req: SigstoreSigned, sig: SigstoreSignature) -> tuple[str, SignedPayload]:
    return "sigstore", verify_sigstore(req, sig)


def _read(path: str) -> bytes:
    return read_referenced(path, "key")
