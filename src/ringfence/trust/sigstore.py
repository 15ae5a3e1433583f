"""Sigstore (cosign) signatures: the stored form, and their verification under a
``sigstoreSigned`` requirement (public keys, optional Rekor SET, Fulcio or private PKI).

A signature is the payload bytes, a MIME type and annotations; containers/image stores it
in ``dir:`` images as ``\\x00sigstore-json\\n`` + JSON with the payload base64-encoded, and
in registries as one layer of the ``sha256-<digest>.sig`` manifest.
"""

from __future__ import annotations

import base64
import binascii
import json
from dataclasses import dataclass, field

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, padding, rsa

from ringfence.errors import InputError
from ringfence.trust.certs import leaf_certificate, verify_certificate
from ringfence.trust.keys import PUBLIC_KEY, load_public_key
from ringfence.trust.payload import (
    SIGSTORE_TYPE,
    Rejected,
    SignedPayload,
    parse_payload,
    read_referenced,
)
from ringfence.trust.rekor import verify_set
from ringfence.trust.requirements import SigstoreSigned

PREFIX = b"\x00sigstore-json\n"
MIME_TYPE = "application/vnd.dev.cosign.simplesigning.v1+json"
SIGNATURE = "dev.cosignproject.cosign/signature"
CHAIN = "dev.sigstore.cosign/chain"


@dataclass(frozen=True, slots=True)
class SigstoreSignature:
    mime_type: str
    payload: bytes
    annotations: dict[str, str] = field(default_factory=dict, hash=False)


def parse_stored(blob: bytes) -> SigstoreSignature:
    """The ``dir:``/lookaside form; raises Rejected when it is not one."""
    if not blob.startswith(PREFIX):
        raise Rejected("not a sigstore signature")
    try:
        doc = json.loads(blob[len(PREFIX):])
        payload = base64.b64decode(doc["payload"], validate=True)
        annotations = doc.get("annotations") or {}
        if not isinstance(doc["mimeType"], str) or not all(
                isinstance(k, str) and isinstance(v, str) for k, v in annotations.items()):
            raise TypeError("mimeType and annotations must be strings")
    except (ValueError, KeyError, TypeError, AttributeError, RecursionError) as exc:
        raise Rejected(f"malformed sigstore signature: {exc}") from exc
    return SigstoreSignature(doc["mimeType"], payload, dict(annotations))


def to_stored(sig: SigstoreSignature) -> bytes:
    doc = {"mimeType": sig.mime_type, "payload": base64.b64encode(sig.payload).decode(),
           "annotations": sig.annotations}
    return PREFIX + json.dumps(doc, separators=(",", ":")).encode()


def go_b64decode(text: str) -> bytes:
    """Go's ``StdEncoding.DecodeString``: strict, but CR and LF are skipped."""
    return base64.b64decode(text.replace("\r", "").replace("\n", ""), validate=True)


def verify_with_key(key: PUBLIC_KEY, signature: bytes, payload: bytes) -> bool:
    try:
        if isinstance(key, ec.EllipticCurvePublicKey):
            key.verify(signature, payload, ec.ECDSA(hashes.SHA256()))
        elif isinstance(key, rsa.RSAPublicKey):
            key.verify(signature, payload, padding.PKCS1v15(), hashes.SHA256())
        elif isinstance(key, ed25519.Ed25519PublicKey):
            key.verify(signature, payload)
        else:  # pragma: no cover - load_public_key admits only the three above
            return False
    except InvalidSignature:
        return False
    return True


def _read(path: str) -> bytes:
    return read_referenced(path)


def public_keys(paths: tuple[str, ...], datas: tuple[bytes, ...]) -> list[PUBLIC_KEY]:
    try:
        return ([load_public_key(_read(p), p) for p in paths] +
                [load_public_key(d, "keyData") for d in datas])
    except InputError as exc:
        raise Rejected(str(exc)) from exc


def _cert_key(cert: x509.Certificate) -> PUBLIC_KEY:
    key = cert.public_key()
    if not isinstance(key, ec.EllipticCurvePublicKey | rsa.RSAPublicKey |
                      ed25519.Ed25519PublicKey):
        raise Rejected(f"unsupported certificate key type {type(key).__name__}")
    return key


def verify_sigstore(req: SigstoreSigned, sig: SigstoreSignature) -> SignedPayload:
    """Cryptographic checks and payload parsing; the caller matches digest and identity."""
    if sig.mime_type != MIME_TYPE:
        raise Rejected(f"unexpected MIME type {sig.mime_type!r}")
    if SIGNATURE not in sig.annotations:
        raise Rejected(f"missing {SIGNATURE} annotation")
    try:
        raw = go_b64decode(sig.annotations[SIGNATURE])
    except (binascii.Error, ValueError) as exc:
        raise Rejected("the signature annotation is not base64") from exc
    cert = leaf_certificate(sig) if req.key_source in ("fulcio", "pki") else None
    keys = [_cert_key(cert)] if cert is not None else public_keys(req.key_paths,
                                                                  req.key_datas)
    accepted = [k for k in keys if verify_with_key(k, raw, sig.payload)]
    if not accepted:
        raise Rejected("cryptographic signature verification failed")
    when = verify_set(req, sig, raw, cert or accepted[0]) if req.uses_rekor else None
    if cert is not None:
        verify_certificate(req, cert, sig.annotations.get(CHAIN, "").encode(), when)
    return parse_payload(sig.payload, SIGSTORE_TYPE)
