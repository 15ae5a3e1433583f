"""The image-source interface: metadata up front, then one stream per layer blob."""

from __future__ import annotations

from typing import BinaryIO, Protocol

from ringfence.model.image import ImageInfo, LayerInfo


class ImageSource(Protocol):
    """An opened image. ``open_layer`` returns the blob as stored (maybe compressed);
    callers verify ``layer.digest`` and ``layer.diff_id`` while they stream it."""

    def info(self) -> ImageInfo: ...

    def open_layer(self, layer: LayerInfo) -> BinaryIO: ...

    def blob_identity(self, layer: LayerInfo) -> str | None:
        """The identity of the local file (or archive byte range) holding the blob,
        from ``fstat`` of an opened descriptor (see ``safeio.identity``); None when the
        blob is not a local file (a registry). The layer cache remembers which digest
        the bytes under an identity hashed to, so a warm scan need not re-read them."""
        ...

    def close(self) -> None: ...


class BlobStore(Protocol):
    """Content-addressed blobs (an OCI layout directory or archive, a registry)."""

    def open(self, digest: str) -> BinaryIO: ...

    def read(self, digest: str, limit: int) -> bytes: ...
