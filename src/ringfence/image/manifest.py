"""Shared OCI / Docker schema2 logic: follow indexes, read config, build ImageInfo."""

from __future__ import annotations

import hashlib
import json
from typing import Any

from ringfence.errors import DigestMismatchError, InputError
from ringfence.image import mediatypes, platform
from ringfence.image.interface import BlobStore
from ringfence.model.image import ImageInfo, LayerInfo


def load_json(data: bytes, subject: str) -> dict[str, Any]:
    try:
        doc = json.loads(data)
    except (ValueError, UnicodeDecodeError) as exc:
        raise InputError(subject, f"malformed JSON: {exc}") from exc
    if not isinstance(doc, dict):
        raise InputError(subject, "expected a JSON object")
    return doc


def verify_bytes(data: bytes, digest: str, subject: str) -> None:
    algo, _, hexd = digest.partition(":")
    if algo not in ("sha256", "sha512") or not hexd:
        raise InputError(subject, f"unsupported digest {digest!r}")
    actual = f"{algo}:{hashlib.new(algo, data).hexdigest()}"
    if actual != digest:
        raise DigestMismatchError(subject, digest, actual)


def is_index(doc: dict[str, Any], media_type: str | None) -> bool:
    mt = media_type or doc.get("mediaType")
    return mt in mediatypes.INDEXES or ("manifests" in doc and "layers" not in doc)


def resolve_manifest(store: BlobStore, descriptor: dict[str, Any], wanted_platform: str | None,
                     subject: str) -> tuple[str, dict[str, Any]]:
    """Follow index -> manifest (at most a few levels) and return (digest, manifest)."""
    desc = descriptor
    for _ in range(4):
        digest = _digest_of(desc, subject)
        doc = load_json(store.read(digest, mediatypes.MAX_MANIFEST_BYTES), f"{subject}@{digest}")
        if is_index(doc, desc.get("mediaType")):
            desc = platform.choose(doc, wanted_platform, subject)
            continue
        return digest, doc
    raise InputError(subject, "image index nesting too deep")


def _digest_of(desc: dict[str, Any], subject: str) -> str:
    digest = desc.get("digest")
    if not isinstance(digest, str):
        raise InputError(subject, "descriptor without a digest")
    return digest


def image_info(store: BlobStore, manifest_digest: str | None, manifest: dict[str, Any],
               reference: str, transport: str, repo_tags: tuple[str, ...] = ()) -> ImageInfo:
    config_desc = manifest.get("config")
    if not isinstance(config_desc, dict):
        raise InputError(reference, "manifest has no config descriptor")
    config_digest = _digest_of(config_desc, reference)
    config = load_json(store.read(config_digest, mediatypes.MAX_CONFIG_BYTES),
                       f"{reference} config {config_digest}")
    layers = manifest.get("layers")
    if not isinstance(layers, list):
        raise InputError(reference, "manifest has no layers list")
    layer_infos = build_layers([(_digest_of(d, reference), str(d.get("mediaType", "")),
                                 int(d.get("size", 0))) for d in layers], config, reference)
    return ImageInfo(
        reference=reference,
        transport=transport,
        manifest_digest=manifest_digest,
        config_digest=config_digest,
        os=config.get("os"),
        architecture=config.get("architecture"),
        layers=layer_infos,
        repo_tags=repo_tags,
        config=config,
    )


def build_layers(blobs: list[tuple[str, str, int]], config: dict[str, Any],
                 subject: str) -> tuple[LayerInfo, ...]:
    diff_ids = (config.get("rootfs") or {}).get("diff_ids")
    if not isinstance(diff_ids, list) or len(diff_ids) != len(blobs):
        raise InputError(subject, f"config lists {len(diff_ids or [])} diff_ids for "
                         f"{len(blobs)} layers")
    history = [h for h in config.get("history", []) if not h.get("empty_layer")]
    created = ([h.get("created_by") for h in history] if len(history) == len(blobs)
               else [None] * len(blobs))
    return tuple(LayerInfo(digest=d, diff_id=str(diff), media_type=mt, size=size,
                           created_by=cb)
                 for (d, mt, size), diff, cb in zip(blobs, diff_ids, created, strict=True))
