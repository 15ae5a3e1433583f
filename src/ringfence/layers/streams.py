"""Readers that verify digests and enforce budgets while bytes stream past."""

from __future__ import annotations

import hashlib
import io
from typing import BinaryIO

from ringfence.errors import DigestMismatchError, InputError, LimitExceededError

try:  # isal's igzip is 2-4x faster than zlib for inflate
    from isal import igzip as _gzip  # type: ignore[import-untyped,unused-ignore]
except ImportError:  # pragma: no cover - exercised only where isal is missing
    import gzip as _gzip  # type: ignore[no-redef]

CHUNK = 1 << 20
GZIP_MAGIC = b"\x1f\x8b"
ZSTD_MAGIC = b"\x28\xb5\x2f\xfd"


class HashingReader(io.RawIOBase):
    """Pass-through reader computing a digest and counting bytes, with an optional cap."""

    def __init__(self, raw: BinaryIO, subject: str, algorithm: str = "sha256",
                 limit: int | None = None) -> None:
        self._raw = raw
        self._hash = hashlib.new(algorithm)
        self.algorithm = algorithm
        self.subject = subject
        self.count = 0
        self._limit = limit

    def readable(self) -> bool:
        return True

    def readinto(self, b: bytearray | memoryview) -> int:  # type: ignore[override]
        data = self._raw.read(len(b))
        n = len(data)
        if n:
            self._hash.update(data)
            self.count += n
            if self._limit is not None and self.count > self._limit:
                raise LimitExceededError(
                    self.subject, f"more than {self._limit} bytes; refusing to read on",
                    hint="a decompression bomb or a layer larger than --max-layer-bytes")
            b[:n] = data
        return n

    def drain(self) -> None:
        while self._raw.read(CHUNK):
            pass

    def digest(self) -> str:
        return f"{self.algorithm}:{self._hash.hexdigest()}"

    def verify(self, expected: str | None) -> None:
        """Read what is left, then compare with ``expected`` (``algo:hex``)."""
        while self.read(CHUNK):
            pass
        if expected is None:
            return
        actual = self.digest()
        if actual != expected:
            raise DigestMismatchError(self.subject, expected, actual)


def sniff(head: bytes) -> str:
    if head.startswith(GZIP_MAGIC):
        return "gzip"
    if head.startswith(ZSTD_MAGIC):
        return "zstd"
    return "raw"


def decompressed(raw: BinaryIO, subject: str) -> BinaryIO:
    """Wrap ``raw`` (a buffered stream) in the decompressor its magic bytes call for."""
    buffered = raw if isinstance(raw, io.BufferedReader) else io.BufferedReader(raw, CHUNK)  # type: ignore[arg-type]
    head = buffered.peek(4)[:4]
    kind = sniff(head)
    try:
        if kind == "gzip":
            return _gzip.GzipFile(fileobj=buffered, mode="rb")  # type: ignore[return-value]
        if kind == "zstd":
            import zstandard

            return zstandard.ZstdDecompressor().stream_reader(buffered, read_size=CHUNK)  # type: ignore[no-any-return]
    except Exception as exc:  # pragma: no cover - constructors rarely fail
        raise InputError(subject, f"cannot start {kind} decompression") from exc
    return buffered
