"""``oci:DIR[:TAG]`` — an OCI image layout directory (and the store shared with archives)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, BinaryIO

from ringfence.errors import InputError
from ringfence.image import jsonshape as js
from ringfence.image import manifest as mf
from ringfence.image.safeio import MAX_JSON_BYTES, identity, open_regular, read_regular
from ringfence.model.image import ImageInfo, LayerInfo

REF_NAME = "org.opencontainers.image.ref.name"


class DirBlobStore:
    def __init__(self, root: Path, subject: str | None = None) -> None:
        self.root = root
        self.subject = subject or str(root)

    def _path(self, digest: str) -> Path:
        algo, _, hexd = digest.partition(":")
        if not algo.isalnum() or not hexd.isalnum():
            raise InputError(self.subject, f"invalid digest {digest!r}")
        return self.root / "blobs" / algo / hexd

    def open(self, digest: str) -> BinaryIO:
        """The blob, when it is a regular file (a FIFO or a device is an InputError)."""
        return open_regular(str(self._path(digest)), f"{self.subject} blob {digest}")

    def identity(self, digest: str) -> str | None:
        with self.open(digest) as f:
            return identity(f.fileno())

    def read(self, digest: str, limit: int) -> bytes:
        data = read_regular(str(self._path(digest)), limit, f"{self.subject} blob {digest}")
        mf.verify_bytes(data, digest, f"{self.subject} blob {digest}")
        return data


def _ref_name(desc: dict[str, Any], subject: str, i: int) -> str | None:
    ann = js.opt_obj(desc, "annotations", subject, f"index.json manifests[{i}].")
    return js.opt_str(ann, REF_NAME, subject, f"index.json manifests[{i}].annotations.")


def pick_descriptor(index: dict[str, Any], name: str | None, subject: str) -> dict[str, Any]:
    """Select the index entry by ref name (tag) as skopeo does; one entry needs no name."""
    manifests = js.objects(index, "manifests", subject, "index.json ")
    if not manifests:
        raise InputError(subject, "index.json lists no manifests")
    names = [_ref_name(m, subject, i) for i, m in enumerate(manifests)]
    if name is None:
        if len(manifests) == 1:
            return dict(manifests[0])
        tagged = [m for m, n in zip(manifests, names, strict=True) if n == "latest"]
        if len(tagged) == 1:
            return dict(tagged[0])
        raise InputError(subject, f"several images in index.json; name one of "
                         f"{sorted(str(n) for n in names)}")
    for m, n in zip(manifests, names, strict=True):
        if n == name:
            return dict(m)
    raise InputError(subject, f"no image named {name!r} in index.json")


class OciLayoutSource:
    def __init__(self, path: str, name: str | None, platform: str | None) -> None:
        self.root = Path(path)
        subject = f"oci:{path}"
        if not os.path.isdir(path):
            raise InputError(subject, "not an OCI layout (not a directory)")
        if not os.path.lexists(self.root / "index.json"):
            raise InputError(subject, "not an OCI layout (no index.json)")
        self.store = DirBlobStore(self.root, subject)
        index = mf.load_json(read_regular(str(self.root / "index.json"), MAX_JSON_BYTES,
                                          f"{subject}/index.json"), f"{subject}/index.json")
        desc = pick_descriptor(index, name, subject)
        digest, manifest = mf.resolve_manifest(self.store, desc, platform, subject)
        ref = subject + (f":{name}" if name else "")
        self._info = mf.image_info(self.store, digest, manifest, ref, "oci",
                                   wanted_platform=platform)

    def info(self) -> ImageInfo:
        return self._info

    def open_layer(self, layer: LayerInfo) -> BinaryIO:
        return self.store.open(layer.digest)

    def blob_identity(self, layer: LayerInfo) -> str | None:
        return self.store.identity(layer.digest)

    def close(self) -> None:
        return None


def is_layout(path: str) -> bool:
    return os.path.isfile(os.path.join(path, "index.json"))
