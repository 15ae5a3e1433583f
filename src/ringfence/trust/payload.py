"""The signed JSON of containers-signature(5), shared by simple signing and sigstore.

Parsed as paranoidly as containers/image: duplicate keys are errors, ``critical`` and its
``type``/``image``/``identity`` objects must have exactly their fields, ``optional`` may
hold anything (cosign writes ``null``), and the digest must be a valid OCI digest.
"""

from __future__ import annotations

import json
import re
import time
from dataclasses import dataclass
from typing import Any

from ringfence.errors import InputError
from ringfence.inputs import read_regular

SIMPLE_SIGNING_TYPE = "atomic container signature"
SIGSTORE_TYPE = "cosign container image signature"
SIGNATURE_TYPES = {"gpg": SIMPLE_SIGNING_TYPE, "sigstore": SIGSTORE_TYPE}
_DIGEST_HEX = {"sha256": 64, "sha384": 96, "sha512": 128}
_DIGEST = re.compile(r"^([a-z0-9]+(?:[.+_-][a-z0-9]+)*):([a-f0-9]+)$")


class Rejected(Exception):
    """Why one signature (or one requirement) does not accept an image."""


MAX_REFERENCED_BYTES = 16 << 20  # a key, keyring, CA bundle or Rekor key a policy names


def read_referenced(path: str, what: str = "") -> bytes:
    """A file the policy names (keyPath, caPath, rekorPublicKeyPath): a regular file of at
    most ``MAX_REFERENCED_BYTES``; anything else rejects the requirement (fails closed)
    instead of blocking on a FIFO or reading ``/dev/zero`` forever."""
    try:
        return read_regular(path, MAX_REFERENCED_BYTES, path)
    except InputError as exc:
        raise Rejected(f"cannot read {what + ' ' if what else ''}{path}: {exc.message}") \
            from exc


@dataclass(frozen=True, slots=True)
class SignedPayload:
    docker_reference: str
    manifest_digest: str
    creator: str | None = None
    timestamp: int | None = None


def _pairs(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in pairs:
        if key in out:
            raise Rejected(f"duplicate key {key!r} in the signed payload")
        out[key] = value
    return out


def _exact(value: Any, fields: tuple[str, ...], where: str) -> dict[str, Any]:
    if not isinstance(value, dict) or set(value) != set(fields):
        raise Rejected(f"{where} must be an object with exactly {', '.join(fields)}")
    return value


def _text(value: Any, where: str) -> str:
    if not isinstance(value, str):
        raise Rejected(f"{where} must be a string")
    return value


def valid_digest(text: str) -> bool:
    match = _DIGEST.match(text)
    return match is not None and _DIGEST_HEX.get(match.group(1)) == len(match.group(2))


def parse_payload(data: bytes, expected_type: str) -> SignedPayload:
    try:
        doc = json.loads(data, object_pairs_hook=_pairs)
    except (ValueError, RecursionError) as exc:
        raise Rejected(f"signed payload is not JSON: {exc}") from exc
    top = _exact(doc, ("critical", "optional"), "payload")
    critical = _exact(top["critical"], ("type", "image", "identity"), "critical")
    if critical["type"] != expected_type:
        raise Rejected(f"unrecognized signature type {critical['type']!r}")
    image = _exact(critical["image"], ("docker-manifest-digest",), "critical.image")
    digest = _text(image["docker-manifest-digest"], "docker-manifest-digest")
    if not valid_digest(digest):
        raise Rejected(f"invalid docker-manifest-digest {digest!r}")
    ident = _exact(critical["identity"], ("docker-reference",), "critical.identity")
    reference = _text(ident["docker-reference"], "docker-reference")
    creator, timestamp = _optional(top["optional"])
    return SignedPayload(reference, digest, creator, timestamp)


def _optional(value: Any) -> tuple[str | None, int | None]:
    if value is None:
        return None, None
    if not isinstance(value, dict):
        raise Rejected("optional must be an object")
    creator = value.get("creator")
    if creator is not None and not isinstance(creator, str):
        raise Rejected("optional.creator must be a string")
    stamp = value.get("timestamp")
    if stamp is not None:
        if isinstance(stamp, bool) or not isinstance(stamp, int | float) or int(stamp) != stamp:
            raise Rejected("optional.timestamp is not an integer")
        stamp = int(stamp)
    return creator, stamp


def make_payload(reference: str, digest: str, signature_type: str,
                 creator: str = "ringfence", timestamp: int | None = None) -> bytes:
    """The JSON layout containers/image writes (keys sorted, no spaces)."""
    doc = {"critical": {"identity": {"docker-reference": reference},
                        "image": {"docker-manifest-digest": digest},
                        "type": signature_type},
           "optional": {"creator": creator,
                        "timestamp": int(time.time()) if timestamp is None else timestamp}}
    return json.dumps(doc, sort_keys=True, separators=(",", ":")).encode()
