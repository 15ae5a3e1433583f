"""``docker-archive:FILE[:NAME:TAG]`` — what ``docker save`` / skopeo write."""

from __future__ import annotations

import json
import re
from typing import Any, BinaryIO

from ringfence.errors import InputError
from ringfence.image import jsonshape as js
from ringfence.image import manifest as mf
from ringfence.image.archive import ArchiveIndex
from ringfence.image.safeio import MAX_CONFIG_BYTES, MAX_JSON_BYTES
from ringfence.model.image import ImageInfo, LayerInfo

_HEX_NAME = re.compile(r"(?:^|/)(?:blobs/sha256/([a-f0-9]{64})|([a-f0-9]{64})\.(?:tar|json))$")


def _pick(entries: list[dict[str, Any]], name: str | None, subject: str) -> dict[str, Any]:
    if name is None:
        if len(entries) == 1:
            return entries[0]
        raise InputError(subject, "archive holds several images; name one as FILE:NAME:TAG")
    if name.startswith("@") and name[1:].isdigit():
        idx = int(name[1:])
        if idx < len(entries):
            return entries[idx]
        raise InputError(subject, f"no image at index {idx}")
    wanted = name if ":" in name.rsplit("/", 1)[-1] else f"{name}:latest"
    for i, e in enumerate(entries):
        if wanted in js.strings(e, "RepoTags", subject, f"manifest.json[{i}]."):
            return e
    raise InputError(subject, f"no image tagged {wanted!r} in manifest.json")


class DockerArchiveSource:
    def __init__(self, path: str, name: str | None, platform: str | None) -> None:
        subject = f"docker-archive:{path}"
        self.archive = ArchiveIndex(path, subject)
        if not self.archive.has("manifest.json"):
            raise InputError(subject, "not a docker archive (no manifest.json)")
        doc_subject = f"{subject}/manifest.json"
        try:
            entries = json.loads(self.archive.read("manifest.json", MAX_JSON_BYTES))
        except (ValueError, RecursionError) as exc:
            raise InputError(doc_subject, f"malformed JSON: {exc}") from exc
        if not isinstance(entries, list) or not entries:
            raise InputError(doc_subject, "expected a non-empty list")
        entries = [js.obj(e, doc_subject, f"manifest.json[{i}]") for i, e in enumerate(entries)]
        entry = _pick(entries, name, doc_subject)
        config_name = js.req_str(entry, "Config", doc_subject, "manifest.json entry ")
        layer_names = js.strings(entry, "Layers", doc_subject, "manifest.json entry ")
        repo_tags = js.strings(entry, "RepoTags", doc_subject, "manifest.json entry ")
        mf.check_layer_count(len(layer_names), subject)
        config_bytes = self.archive.read(config_name, MAX_CONFIG_BYTES)
        m = _HEX_NAME.search(config_name)
        config_digest = f"sha256:{m.group(1) or m.group(2)}" if m else None
        if config_digest:  # the config file is named by its digest: check it
            mf.verify_bytes(config_bytes, config_digest, f"{subject} {config_name}")
        config_subject = f"{subject} {config_name}"
        config = mf.check_config(mf.load_json(config_bytes, config_subject), config_subject)
        mf.check_platform(config, platform, subject)
        self._layer_names: dict[str, str] = {}
        blobs: list[tuple[str, str, int]] = []
        for i, lname in enumerate(layer_names):
            hm = _HEX_NAME.search(lname)
            # The blob digest is only known when the file is named by it; a synthetic
            # key keeps layers distinct otherwise and is never used for verification.
            digest = f"sha256:{hm.group(1) or hm.group(2)}" if hm else f"unknown:{i}"
            self._layer_names[digest] = lname
            blobs.append((digest, "application/vnd.docker.image.rootfs.diff.tar", 0))
        layers = mf.build_layers(blobs, config, subject)
        self._info = ImageInfo(
            reference=subject + (f":{name}" if name else ""),
            transport="docker-archive",
            manifest_digest=None,
            config_digest=config_digest,
            os=config.get("os"),
            architecture=config.get("architecture"),
            layers=layers,
            repo_tags=tuple(repo_tags),
            config=config,
        )

    def info(self) -> ImageInfo:
        return self._info

    def open_layer(self, layer: LayerInfo) -> BinaryIO:
        return self.archive.open(self._layer_names[layer.digest])

    def blob_identity(self, layer: LayerInfo) -> str | None:
        return self.archive.identity(self._layer_names[layer.digest])

    def close(self) -> None:
        return None
