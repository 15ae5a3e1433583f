"""``oci-archive:FILE[:TAG]`` — an OCI layout inside a tar file, read in place."""

from __future__ import annotations

from typing import BinaryIO

from ringfence.errors import InputError
from ringfence.image import manifest as mf
from ringfence.image.archive import ArchiveIndex
from ringfence.image.oci_layout import pick_descriptor
from ringfence.image.safeio import MAX_JSON_BYTES
from ringfence.model.image import ImageInfo, LayerInfo


class ArchiveBlobStore:
    def __init__(self, archive: ArchiveIndex) -> None:
        self.archive = archive

    def _name(self, digest: str) -> str:
        algo, _, hexd = digest.partition(":")
        if not algo.isalnum() or not hexd.isalnum():
            raise InputError(self.archive.subject, f"invalid digest {digest!r}")
        return f"blobs/{algo}/{hexd}"

    def open(self, digest: str) -> BinaryIO:
        return self.archive.open(self._name(digest))

    def identity(self, digest: str) -> str | None:
        return self.archive.identity(self._name(digest))

    def read(self, digest: str, limit: int) -> bytes:
        data = self.archive.read(self._name(digest), limit)
        mf.verify_bytes(data, digest, f"{self.archive.subject} blob {digest}")
        return data


class OciArchiveSource:
    def __init__(self, path: str, name: str | None, platform: str | None) -> None:
        subject = f"oci-archive:{path}"
        archive = ArchiveIndex(path, subject)
        if not archive.has("index.json"):
            raise InputError(subject, "not an OCI archive (no index.json)")
        self.store = ArchiveBlobStore(archive)
        index = mf.load_json(archive.read("index.json", MAX_JSON_BYTES), f"{subject}/index.json")
        desc = pick_descriptor(index, name, subject)
        digest, manifest = mf.resolve_manifest(self.store, desc, platform, subject)
        ref = subject + (f":{name}" if name else "")
        self._info = mf.image_info(self.store, digest, manifest, ref, "oci-archive",
                                   wanted_platform=platform)

    def info(self) -> ImageInfo:
        return self._info

    def open_layer(self, layer: LayerInfo) -> BinaryIO:
        return self.store.open(layer.digest)

    def blob_identity(self, layer: LayerInfo) -> str | None:
        return self.store.identity(layer.digest)

    def close(self) -> None:
        return None
