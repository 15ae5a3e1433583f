"""``oci:DIR[:TAG]`` — an OCI image layout directory (and the store shared with archives)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, BinaryIO

from ringfence.errors import InputError
from ringfence.image import manifest as mf
from ringfence.model.image import ImageInfo, LayerInfo

REF_NAME = "org.opencontainers.image.ref.name"


class DirBlobStore:
    def __init__(self, root: Path) -> None:
        self.root = root

    def _path(self, digest: str) -> Path:
        algo, _, hexd = digest.partition(":")
        if not algo.isalnum() or not hexd.isalnum():
            raise InputError(str(self.root), f"invalid digest {digest!r}")
        return self.root / "blobs" / algo / hexd

    def open(self, digest: str) -> BinaryIO:
        try:
            return open(self._path(digest), "rb")
        except OSError as exc:
            raise InputError(f"{self.root} blob {digest}", "cannot open blob") from exc

    def read(self, digest: str, limit: int) -> bytes:
        with self.open(digest) as f:
            data = f.read(limit + 1)
        if len(data) > limit:
            raise InputError(f"{self.root} blob {digest}", f"larger than {limit} bytes")
        mf.verify_bytes(data, digest, f"{self.root} blob {digest}")
        return data


def pick_descriptor(index: dict[str, Any], name: str | None, subject: str) -> dict[str, Any]:
    """Select the index entry by ref name (tag) as skopeo does; one entry needs no name."""
    manifests = index.get("manifests")
    if not isinstance(manifests, list) or not manifests:
        raise InputError(subject, "index.json lists no manifests")
    if name is None:
        if len(manifests) == 1:
            return dict(manifests[0])
        tagged = [m for m in manifests if (m.get("annotations") or {}).get(REF_NAME) == "latest"]
        if len(tagged) == 1:
            return dict(tagged[0])
        names = sorted(str((m.get("annotations") or {}).get(REF_NAME)) for m in manifests)
        raise InputError(subject, f"several images in index.json; name one of {names}")
    for m in manifests:
        if (m.get("annotations") or {}).get(REF_NAME) == name:
            return dict(m)
    raise InputError(subject, f"no image named {name!r} in index.json")


class OciLayoutSource:
    def __init__(self, path: str, name: str | None, platform: str | None) -> None:
        self.root = Path(path)
        subject = f"oci:{path}"
        if not (self.root / "index.json").is_file():
            raise InputError(subject, "not an OCI layout (no index.json)")
        self.store = DirBlobStore(self.root)
        index = mf.load_json((self.root / "index.json").read_bytes(), f"{subject}/index.json")
        desc = pick_descriptor(index, name, subject)
        digest, manifest = mf.resolve_manifest(self.store, desc, platform, subject)
        ref = subject + (f":{name}" if name else "")
        self._info = mf.image_info(self.store, digest, manifest, ref, "oci")

    def info(self) -> ImageInfo:
        return self._info

    def open_layer(self, layer: LayerInfo) -> BinaryIO:
        return self.store.open(layer.digest)

    def close(self) -> None:
        return None


def is_layout(path: str) -> bool:
    return os.path.isfile(os.path.join(path, "index.json"))
