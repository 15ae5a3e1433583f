"""In-toto attestations in DSSE envelopes, as cosign attaches them (``sha256-<hex>.att``):
the envelope, its signature over the DSSE pre-authentication encoding (PAE), the in-toto
Statement (v0.1 and v1) and what a SLSA provenance predicate (v0.2 and v1) says about the
build: builder id, build type, source repository and revision.

Parsing is pure (bytes in, frozen values out); anything malformed raises Rejected.
"""

from __future__ import annotations

import base64
import binascii
import json
from dataclasses import dataclass
from typing import Any

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec

from ringfence.trust.keys import PUBLIC_KEY
from ringfence.trust.payload import Rejected
from ringfence.trust.sigstore import go_b64decode, verify_with_key

DSSE_MEDIA_TYPE = "application/vnd.dsse.envelope.v1+json"
IN_TOTO_PAYLOAD = "application/vnd.in-toto+json"
STATEMENTS = ("https://in-toto.io/Statement/v0.1", "https://in-toto.io/Statement/v1")
SLSA_V02 = "https://slsa.dev/provenance/v0.2"
SLSA_V1 = "https://slsa.dev/provenance/v1"
PREDICATE_ANNOTATION = "predicateType"


@dataclass(frozen=True, slots=True)
class Envelope:
    payload_type: str
    payload: bytes
    signatures: tuple[bytes, ...]


@dataclass(frozen=True, slots=True)
class Subject:
    name: str
    digests: tuple[tuple[str, str], ...]  # (algorithm, lower-case hex)

    def oci_digests(self) -> tuple[str, ...]:
        return tuple(f"{algo}:{hexd}" for algo, hexd in self.digests)


@dataclass(frozen=True, slots=True)
class BuildProvenance:
    builder_id: str
    build_type: str
    source_repository: str
    source_revision: str


@dataclass(frozen=True, slots=True)
class Statement:
    type: str
    predicate_type: str
    subjects: tuple[Subject, ...]
    provenance: BuildProvenance | None  # only for SLSA predicates


def pae(payload_type: str, payload: bytes) -> bytes:
    """DSSE v1 pre-authentication encoding: what the signature covers."""
    kind = payload_type.encode()
    return b"DSSEv1 %d %s %d %s" % (len(kind), kind, len(payload), payload)


def parse_envelope(data: bytes) -> Envelope:
    try:
        doc = json.loads(data)
        payload = go_b64decode(doc["payload"])
        sigs = tuple(go_b64decode(s["sig"]) for s in doc["signatures"])
        kind = doc["payloadType"]
        if not isinstance(kind, str):
            raise TypeError("payloadType is not a string")
    except (ValueError, KeyError, TypeError, binascii.Error, RecursionError) as exc:
        raise Rejected(f"malformed DSSE envelope: {type(exc).__name__}: {exc}") from exc
    if not sigs:
        raise Rejected("the DSSE envelope carries no signature")
    return Envelope(kind, payload, sigs)


def verify_envelope(env: Envelope, keys: list[PUBLIC_KEY]) -> bool:
    """True when any signature verifies with any key (as cosign accepts an envelope)."""
    message = pae(env.payload_type, env.payload)
    return any(verify_with_key(k, s, message) for k in keys for s in env.signatures)


def sign_envelope(key: ec.EllipticCurvePrivateKey, payload: bytes,
                  payload_type: str = IN_TOTO_PAYLOAD) -> bytes:
    """A DSSE envelope as cosign writes it (``keyid`` empty, ECDSA P-256 over the PAE)."""
    raw = key.sign(pae(payload_type, payload), ec.ECDSA(hashes.SHA256()))
    doc = {"payloadType": payload_type, "payload": base64.b64encode(payload).decode(),
           "signatures": [{"keyid": "", "sig": base64.b64encode(raw).decode()}]}
    return json.dumps(doc, separators=(",", ":")).encode()


def parse_statement(env: Envelope) -> Statement:
    if env.payload_type != IN_TOTO_PAYLOAD:
        raise Rejected(f"payload type {env.payload_type!r} is not an in-toto statement")
    try:
        doc = json.loads(env.payload)
        kind, predicate_type = doc["_type"], doc["predicateType"]
        subjects = tuple(_subject(s) for s in doc["subject"])
        predicate = doc.get("predicate") or {}
    except (ValueError, KeyError, TypeError, AttributeError, RecursionError) as exc:
        raise Rejected(f"malformed in-toto statement: {type(exc).__name__}: {exc}") from exc
    if kind not in STATEMENTS:
        raise Rejected(f"unknown statement type {kind!r}")
    if not isinstance(predicate_type, str) or not subjects:
        raise Rejected("the statement needs a predicateType and at least one subject")
    return Statement(kind, predicate_type, subjects, slsa_provenance(predicate_type, predicate))


def _subject(value: Any) -> Subject:
    digests = value["digest"]
    if not isinstance(digests, dict):
        raise TypeError("subject digest is not an object")
    return Subject(str(value.get("name", "")),
                   tuple(sorted((str(a), str(h).lower()) for a, h in digests.items())))


def slsa_provenance(predicate_type: str, predicate: Any) -> BuildProvenance | None:
    if not isinstance(predicate, dict):
        return None
    if predicate_type == SLSA_V02:
        return _v02(predicate)
    if predicate_type == SLSA_V1:
        return _v1(predicate)
    return None


def _get(doc: Any, *path: str) -> Any:
    for key in path:
        if not isinstance(doc, dict):
            return None
        doc = doc.get(key)
    return doc


def _text(value: Any) -> str:
    return value if isinstance(value, str) else ""


def _revision(digest: Any) -> str:
    """A source digest: gitCommit / sha1 first, else any value."""
    if not isinstance(digest, dict):
        return ""
    for algo in ("gitCommit", "sha1", "sha256"):
        if isinstance(digest.get(algo), str):
            return str(digest[algo])
    return next((str(v) for v in digest.values() if isinstance(v, str)), "")


def _v02(p: dict[str, Any]) -> BuildProvenance:
    source = _get(p, "invocation", "configSource")
    materials = p.get("materials") if isinstance(p.get("materials"), list) else []
    if not _text(_get(source, "uri")) and materials:
        source = materials[0]
    return BuildProvenance(_text(_get(p, "builder", "id")), _text(p.get("buildType")),
                           _text(_get(source, "uri")), _revision(_get(source, "digest")))


def _v1(p: dict[str, Any]) -> BuildProvenance:
    deps = _get(p, "buildDefinition", "resolvedDependencies")
    deps = deps if isinstance(deps, list) else []
    source = next((d for d in deps if isinstance(d, dict) and _text(d.get("uri"))
                   .startswith("git+")), deps[0] if deps else None)
    repo = (_text(_get(p, "buildDefinition", "externalParameters", "workflow", "repository"))
            or _text(_get(source, "uri")))
    return BuildProvenance(_text(_get(p, "runDetails", "builder", "id")),
                           _text(_get(p, "buildDefinition", "buildType")), repo,
                           _revision(_get(source, "digest")))
