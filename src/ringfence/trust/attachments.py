"""Sigstore attachments: the ``sha256-<hex>.sig`` OCI manifest whose layers are signatures
(payload blob, MIME type as the layer media type, annotations), as cosign and
containers/image write them to registries and OCI layouts.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from typing import Any

from ringfence.trust.payload import Rejected
from ringfence.trust.sigstore import SigstoreSignature

MAX_SIGNATURE_BYTES = 4 << 20  # containers/image iolimits.MaxSignatureBodySize
MAX_SIGNATURES = 128
OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json"
CONFIG_TYPE = "application/vnd.oci.image.config.v1+json"
EMPTY_CONFIG = json.dumps({"architecture": "", "os": "", "config": {},
                           "rootfs": {"type": "layers", "diff_ids": []}},
                          separators=(",", ":")).encode()


def attachment_tag(manifest_digest: str) -> str:
    algo, _, hexd = manifest_digest.partition(":")
    return f"{algo}-{hexd}.sig"


def parse_attachments(manifest: bytes,
                      read_blob: Callable[[str, int], bytes]) -> tuple[SigstoreSignature, ...]:
    """Signatures listed in an attachment manifest; ``read_blob(digest, limit)`` must verify
    the digest. A malformed manifest yields no signatures but raises Rejected."""
    try:
        doc = json.loads(manifest)
        layers = doc["layers"]
        if not isinstance(layers, list):
            raise TypeError("layers is not a list")
    except (ValueError, KeyError, TypeError, RecursionError) as exc:
        raise Rejected(f"malformed signature attachment manifest: {type(exc).__name__}: "
                       f"{exc}") from exc
    sigs = []
    for i, layer in enumerate(layers[:MAX_SIGNATURES]):
        if not isinstance(layer, dict):
            raise Rejected(f"signature layer {i} is not an object")
        size, digest = layer.get("size", 0), layer.get("digest")
        annotations = layer.get("annotations") or {}
        media_type = layer.get("mediaType")
        if not isinstance(size, int) or isinstance(size, bool) or size < 0 \
                or not isinstance(digest, str) or not isinstance(annotations, dict) \
                or not isinstance(media_type, str):
            raise Rejected(f"signature layer {i}: size, digest, mediaType or annotations "
                           "of the wrong type")
        if size > MAX_SIGNATURE_BYTES:
            raise Rejected(f"signature layer {i} is larger than 4 MiB")
        if not all(isinstance(v, str) for v in annotations.values()):
            raise Rejected(f"signature layer {i}: annotations must be strings")
        payload = read_blob(digest, MAX_SIGNATURE_BYTES)
        sigs.append(SigstoreSignature(media_type, payload,
                                      {str(k): v for k, v in annotations.items()}))
    return tuple(sigs)


def _descriptor(media_type: str, data: bytes, **extra: Any) -> dict[str, Any]:
    return {"mediaType": media_type, "digest": f"sha256:{hashlib.sha256(data).hexdigest()}",
            "size": len(data), **extra}


def build_attachment(existing: bytes | None, sig: SigstoreSignature) -> bytes:
    """The attachment manifest with ``sig`` appended (an identical layer is not repeated)."""
    layers: list[dict[str, Any]] = []
    if existing is not None:
        try:
            layers = list(json.loads(existing).get("layers") or [])
        except (ValueError, AttributeError, TypeError, RecursionError):
            layers = []
    new = _descriptor(sig.mime_type, sig.payload, annotations=sig.annotations)
    if new not in layers:
        layers.append(new)
    doc = {"schemaVersion": 2, "mediaType": OCI_MANIFEST,
           "config": _descriptor(CONFIG_TYPE, EMPTY_CONFIG), "layers": layers}
    return json.dumps(doc, separators=(",", ":")).encode()
