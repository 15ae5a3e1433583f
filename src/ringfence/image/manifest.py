"""Shared OCI / Docker schema2 logic: follow indexes, read config, build ImageInfo.

Every field is read through :mod:`ringfence.image.jsonshape`, so a document of the wrong
shape is an :class:`InputError` naming the document and the field, never a traceback.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any, Final

from ringfence.errors import DigestMismatchError, InputError, LimitExceededError
from ringfence.image import jsonshape as js
from ringfence.image import mediatypes, platform
from ringfence.image.interface import BlobStore
from ringfence.model.image import ImageInfo, LayerInfo

# Layers per image. overlayfs in Docker and containerd stacks at most ~128 lower dirs
# (a mount-option page), so no runnable image comes near this; the OCI spec sets no bound,
# and each layer costs a thread-pool task, a cache row and a squash-view pass. 1000 keeps
# every image a runtime can start (and 8x more) while a 10,000-layer manifest fails fast.
MAX_LAYERS: Final = 1000

# Config fields that later stages (image-config rules, reports) read, and their types.
_CONFIG_STR = ("os", "architecture", "variant", "created", "author")
_INNER_STR = ("User", "WorkingDir", "StopSignal")
_INNER_STRINGS = ("Env", "Cmd", "Entrypoint", "Shell", "OnBuild")
_INNER_OBJ = ("ExposedPorts", "Volumes", "Labels", "Healthcheck")


def load_json(data: bytes, subject: str) -> dict[str, Any]:
    try:
        doc = json.loads(data)
    except (ValueError, UnicodeDecodeError, RecursionError) as exc:
        raise InputError(subject, f"malformed JSON: {exc}") from exc
    return js.obj(doc, subject, "document")


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
        digest = digest_of(desc, subject)
        doc = load_json(store.read(digest, mediatypes.MAX_MANIFEST_BYTES), f"{subject}@{digest}")
        if is_index(doc, js.opt_str(desc, "mediaType", subject, "descriptor.")):
            desc = platform.choose(doc, wanted_platform, f"{subject}@{digest}")
            continue
        return digest, doc
    raise InputError(subject, "image index nesting too deep")


def digest_of(desc: dict[str, Any], subject: str) -> str:
    digest = desc.get("digest")
    if not isinstance(digest, str) or not digest:
        raise InputError(subject, f"descriptor without a digest string (digest: "
                         f"{json.dumps(digest)[:80]})")
    return digest


def image_info(store: BlobStore, manifest_digest: str | None, manifest: dict[str, Any],
               reference: str, transport: str, repo_tags: tuple[str, ...] = (),
               wanted_platform: str | None = None) -> ImageInfo:
    config_desc = manifest.get("config")
    if not isinstance(config_desc, dict):
        raise InputError(reference, "manifest has no config descriptor")
    config_digest = digest_of(config_desc, reference)
    config_subject = f"{reference} config {config_digest}"
    config = check_config(load_json(store.read(config_digest, mediatypes.MAX_CONFIG_BYTES),
                                    config_subject), config_subject)
    check_platform(config, wanted_platform, reference)
    layers = js.opt_list(manifest, "layers", reference, "manifest.")
    if "layers" not in manifest:
        raise InputError(reference, "manifest has no layers list")
    check_layer_count(len(layers), reference)
    blobs = []
    for i, d in enumerate(layers):
        d = js.obj(d, reference, f"manifest.layers[{i}]")
        size = js.opt_int(d, "size", reference, f"manifest.layers[{i}].") or 0
        if size < 0:
            raise InputError(reference, f"manifest.layers[{i}].size: negative ({size})")
        blobs.append((digest_of(d, reference),
                      js.opt_str(d, "mediaType", reference, f"manifest.layers[{i}].") or "",
                      size))
    return ImageInfo(
        reference=reference,
        transport=transport,
        manifest_digest=manifest_digest,
        config_digest=config_digest,
        os=config.get("os"),
        architecture=config.get("architecture"),
        layers=build_layers(blobs, config, reference),
        repo_tags=repo_tags,
        config=config,
    )


def check_layer_count(count: int, subject: str) -> None:
    if count > MAX_LAYERS:
        raise LimitExceededError(subject, f"image has {count} layers, more than {MAX_LAYERS}",
                                 hint="no container runtime can stack that many layers")


def check_config(config: dict[str, Any], subject: str) -> dict[str, Any]:
    """Refuse a config whose well-known fields have the wrong types (later stages read
    them without checking)."""
    for key in _CONFIG_STR:
        js.opt_str(config, key, subject, "config.")
    rootfs = js.opt_obj(config, "rootfs", subject, "config.")
    js.strings(rootfs, "diff_ids", subject, "config.rootfs.")
    for i, h in enumerate(js.objects(config, "history", subject, "config.")):
        js.opt_str(h, "created_by", subject, f"config.history[{i}].")
    inner = js.opt_obj(config, "config", subject, "config.")
    for key in _INNER_STR:
        js.opt_str(inner, key, subject, "config.config.")
    for key in _INNER_STRINGS:
        js.strings(inner, key, subject, "config.config.")
    for key in _INNER_OBJ:
        js.opt_obj(inner, key, subject, "config.config.")
    js.strings(js.opt_obj(inner, "Healthcheck", subject, "config.config."), "Test", subject,
               "config.config.Healthcheck.")
    for name, value in js.opt_obj(inner, "Labels", subject, "config.config.").items():
        if not isinstance(value, str):
            raise InputError(subject, f"config.config.Labels[{name!r}]: expected a string")
    return config


def check_platform(config: dict[str, Any], wanted: str | None, subject: str) -> None:
    """An explicitly requested platform must be what the image's config says it is (a
    single-platform image is not silently scanned for another platform)."""
    if wanted is None:
        return
    os_, arch, variant = platform.parse_platform(wanted)
    have_variant = config.get("variant")
    if (config.get("os"), config.get("architecture")) == (os_, arch) and (
            variant is None or have_variant is None or variant == have_variant):
        return
    have = "/".join(str(p) for p in (config.get("os"), config.get("architecture"),
                                     have_variant) if p)
    raise InputError(subject, f"image has no {wanted} manifest; it is {have or 'unknown'}")


def build_layers(blobs: list[tuple[str, str, int]], config: dict[str, Any],
                 subject: str) -> tuple[LayerInfo, ...]:
    check_layer_count(len(blobs), subject)
    diff_ids = js.strings(js.opt_obj(config, "rootfs", subject, "config."), "diff_ids", subject,
                          "config.rootfs.")
    if len(diff_ids) != len(blobs):
        raise InputError(subject, f"config lists {len(diff_ids)} diff_ids for "
                         f"{len(blobs)} layers")
    history = [h for h in js.objects(config, "history", subject, "config.")
               if not h.get("empty_layer")]
    created = ([js.opt_str(h, "created_by", subject, "config.history[].") for h in history]
               if len(history) == len(blobs) else [None] * len(blobs))
    return tuple(LayerInfo(digest=d, diff_id=diff, media_type=mt, size=size, created_by=cb)
                 for (d, mt, size), diff, cb in zip(blobs, diff_ids, created, strict=True))
