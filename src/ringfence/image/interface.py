"""The image-source interface: metadata up front, then one stream per layer blob."""

from __future__ import annotations

from typing import BinaryIO, Protocol

from ringfence.model.image import ImageInfo, LayerInfo


class ImageSource(Protocol):
    """An opened image. ``open_layer`` returns the blob as stored (maybe compressed);
    callers verify ``layer.digest`` and ``layer.diff_id`` while they stream it."""

    def info(self) -> ImageInfo: ...

    def open_layer(self, layer: LayerInfo) -> BinaryIO: ...

    def close(self) -> None: ...


class BlobStore(Protocol):
    """Content-addressed blobs (an OCI layout directory or archive, a registry)."""

    def open(self, digest: str) -> BinaryIO: ...

    def read(self, digest: str, limit: int) -> bytes: ...
