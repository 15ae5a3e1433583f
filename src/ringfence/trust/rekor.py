"""Rekor SignedEntryTimestamps (the ``dev.sigstore.cosign/bundle`` annotation): the log's
signature over its entry, and the entry body matched against the signature it vouches for.
"""

from __future__ import annotations

import base64
import hashlib
import json
from typing import TYPE_CHECKING, Any

from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from ringfence.errors import InputError
from ringfence.trust.keys import PUBLIC_KEY, load_public_key
from ringfence.trust.payload import Rejected, read_referenced
from ringfence.trust.requirements import SigstoreSigned

if TYPE_CHECKING:
    from ringfence.trust.sigstore import SigstoreSignature

BUNDLE = "dev.sigstore.cosign/bundle"


def _rekor_keys(req: SigstoreSigned) -> dict[str, ec.EllipticCurvePublicKey]:
    """Rekor keys by log ID (sha256 of the DER SubjectPublicKeyInfo)."""
    keys: dict[str, ec.EllipticCurvePublicKey] = {}
    blobs = [read_referenced(p, "Rekor public key") for p in req.rekor_paths] + \
        list(req.rekor_datas)
    for blob in blobs:
        try:
            key = load_public_key(blob, "rekor public key")
        except InputError as exc:
            raise Rejected(str(exc)) from exc
        if not isinstance(key, ec.EllipticCurvePublicKey):
            raise Rejected("Rekor public keys must be ECDSA")
        der = key.public_bytes(serialization.Encoding.DER,
                               serialization.PublicFormat.SubjectPublicKeyInfo)
        keys[hashlib.sha256(der).hexdigest()] = key
    return keys


def _canonical(payload: dict[str, Any]) -> bytes:
    return json.dumps({"body": payload["body"], "integratedTime": payload["integratedTime"],
                       "logID": payload["logID"], "logIndex": payload["logIndex"]},
                      sort_keys=True, separators=(",", ":")).encode()


def verify_set(req: SigstoreSigned, sig: SigstoreSignature, raw_signature: bytes,
               signer: PUBLIC_KEY | x509.Certificate) -> int:
    """Check the SET and that its entry records this signature; return integratedTime."""
    from ringfence.trust.sigstore import verify_with_key

    if BUNDLE not in sig.annotations:
        raise Rejected("missing Rekor bundle annotation")
    try:
        bundle = json.loads(sig.annotations[BUNDLE])
        payload = bundle["Payload"]
        set_sig = base64.b64decode(bundle["SignedEntryTimestamp"], validate=True)
        key = _rekor_keys(req).get(str(payload["logID"]))
        if key is None:
            raise Rejected("the SET's log ID is not one of the trusted Rekor keys")
        if not verify_with_key(key, set_sig, _canonical(payload)):
            raise Rejected("the Rekor SET signature does not verify")
        body = json.loads(base64.b64decode(payload["body"], validate=True))
        _match_body(body, sig.payload, raw_signature, signer)
        return int(payload["integratedTime"])
    except (ValueError, KeyError, TypeError, AttributeError, InputError, RecursionError,
            OverflowError) as exc:
        raise Rejected(f"malformed Rekor bundle: {type(exc).__name__}: {exc}") from exc


def _match_body(body: dict[str, Any], payload: bytes, raw_signature: bytes,
                signer: PUBLIC_KEY | x509.Certificate) -> None:
    if body.get("kind") != "hashedrekord" or body.get("apiVersion") != "0.0.1":
        raise Rejected("the Rekor entry is not a hashedrekord 0.0.1")
    spec = body["spec"]
    data_hash = spec["data"]["hash"]
    if (data_hash["algorithm"] != "sha256"
            or data_hash["value"] != hashlib.sha256(payload).hexdigest()):
        raise Rejected("the Rekor entry records another payload")
    if base64.b64decode(spec["signature"]["content"]) != raw_signature:
        raise Rejected("the Rekor entry records another signature")
    recorded = base64.b64decode(spec["signature"]["publicKey"]["content"])
    if isinstance(signer, x509.Certificate):
        if x509.load_pem_x509_certificate(recorded) != signer:
            raise Rejected("the Rekor entry records another certificate")
    elif load_public_key(recorded, "rekor entry key") != signer:
        raise Rejected("the Rekor entry records another public key")
