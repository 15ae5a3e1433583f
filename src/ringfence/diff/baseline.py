"""Tripwire-style baselines: a signed, versioned, sorted file-hash manifest of an image, and
the check of a rootfs against it (signature verified first, then the same drift compare).

Keys: the sigstore/cosign encrypted ECDSA P-256 private key that ``ringfence key generate``
writes (src/ringfence/trust/keys.py) or an unencrypted PEM EC private key; the public key
as PEM or DER. Signature: ECDSA over SHA-256 of the canonical JSON of ``baseline``.
"""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass
from typing import Any, Final

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec

from ringfence.diff.compare import diff_filesystems
from ringfence.diff.model import DriftReport, FileState, FsView
from ringfence.errors import InputError
from ringfence.inputs import check_depth
from ringfence.trust.keys import PEM_TYPES, decrypt_private, load_public_key, public_pem

SCHEMA: Final = "ringfence-baseline/1"
ALGORITHM: Final = "ecdsa-p256-sha256"
MAX_BASELINE_BYTES: Final = 1 << 30


@dataclass(frozen=True, slots=True)
class Baseline:
    reference: str
    view: FsView


def canonical(doc: Any) -> bytes:
    return json.dumps(doc, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def load_private_key(data: bytes, password: bytes | None, subject: str
                     ) -> ec.EllipticCurvePrivateKey:
    if any(f"BEGIN {kind}".encode() in data for kind in PEM_TYPES):
        return decrypt_private(data, password or b"", subject)
    try:
        key = serialization.load_pem_private_key(data, password=password or None)
    except (ValueError, TypeError) as exc:
        raise InputError(subject, "not a PEM private key") from exc
    if not isinstance(key, ec.EllipticCurvePrivateKey) or key.curve.name != "secp256r1":
        raise InputError(subject, "baselines are signed with ECDSA P-256 keys only")
    return key


def sign(body: Any, key: ec.EllipticCurvePrivateKey) -> bytes:
    """``{"baseline": body, "signature": …}`` as UTF-8 JSON: the envelope every signed
    baseline (image or host) uses."""
    signature = key.sign(canonical(body), ec.ECDSA(hashes.SHA256()))
    doc = {"baseline": body,
           "signature": {"algorithm": ALGORITHM, "value": base64.b64encode(signature).decode(),
                         "public_key": public_pem(key.public_key()).decode()}}
    return (json.dumps(doc, sort_keys=True, indent=1, ensure_ascii=False) + "\n").encode()


def open_signed(data: bytes, public_key: bytes, subject: str) -> Any:
    """The body of a signed envelope once its signature verifies with ``public_key``; raise
    InputError otherwise (never a body whose signature was not checked)."""
    if len(data) > MAX_BASELINE_BYTES:
        raise InputError(subject, f"baseline larger than {MAX_BASELINE_BYTES} bytes")
    try:
        doc = json.loads(data)
        body, sig = doc["baseline"], doc["signature"]
        if sig["algorithm"] != ALGORITHM:
            raise InputError(subject, f"unsupported signature algorithm {sig['algorithm']!r}")
        signature = base64.b64decode(sig["value"], validate=True)
        check_depth(body, subject)  # canonical() and the callers' parsers walk it
    except (ValueError, KeyError, TypeError, RecursionError) as exc:
        raise InputError(subject, "not a ringfence baseline document") from exc
    key = load_public_key(public_key, "public key")
    if not isinstance(key, ec.EllipticCurvePublicKey):
        raise InputError(subject, "baselines are verified with ECDSA P-256 public keys")
    try:
        key.verify(signature, canonical(body), ec.ECDSA(hashes.SHA256()))
    except InvalidSignature as exc:
        raise InputError(subject, "signature does not verify: baseline altered or signed "
                         "with another key") from exc
    return body


def create(reference: str, view: FsView, key: ec.EllipticCurvePrivateKey) -> bytes:
    """The signed baseline document (UTF-8 JSON, keys sorted, one file per line)."""
    body = {"schema": SCHEMA, "image": reference,
            "files": {p: s.to_list() for p, s in sorted(view.items())},
            "problems": [list(p) for p in view.problems]}
    return sign(body, key)


def verify(data: bytes, public_key: bytes, subject: str) -> Baseline:
    """Parse ``data`` and verify its signature with ``public_key``; raise InputError unless
    the signature is valid and the document well formed."""
    return _parse(open_signed(data, public_key, subject), subject)


def _parse(body: Any, subject: str) -> Baseline:
    try:
        if body["schema"] != SCHEMA:
            raise InputError(subject, f"unsupported baseline schema {body['schema']!r}")
        files = {str(p): FileState.from_list(v) for p, v in body["files"].items()}
        problems = tuple((str(p), str(r)) for p, r in body.get("problems", ()))
        return Baseline(str(body["image"]), FsView(files, problems))
    except (ValueError, KeyError, TypeError, AttributeError) as exc:
        raise InputError(subject, "malformed baseline body") from exc


def check(baseline: Baseline, rootfs: FsView, ignore: tuple[str, ...]) -> DriftReport:
    return diff_filesystems(baseline.view, rootfs, ignore)
