"""Readers that verify digests and enforce budgets while bytes stream past."""

from __future__ import annotations

import hashlib
import io
from typing import BinaryIO, cast

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
        view = memoryview(b)
        readinto = getattr(self._raw, "readinto", None)
        if readinto is not None:  # no intermediate bytes object: one copy less per chunk
            n = readinto(view) or 0
        else:
            data = self._raw.read(len(view))
            n = len(data)
            view[:n] = data
        if n:
            self._hash.update(view[:n])
            self.count += n
            if self._limit is not None and self.count > self._limit:
                raise LimitExceededError(
                    self.subject, f"more than {self._limit} bytes; refusing to read on",
                    hint="a decompression bomb or a layer larger than --max-layer-bytes")
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
    """Wrap ``raw`` in the decompressor its magic bytes call for."""
    buffered = raw if isinstance(raw, io.BufferedReader) else io.BufferedReader(
        cast(io.RawIOBase, raw), CHUNK)
    head = buffered.peek(4)[:4]
    kind = sniff(head)
    try:
        if kind == "gzip":
            return cast(BinaryIO, _gzip.GzipFile(fileobj=buffered, mode="rb"))  # type: ignore[no-untyped-call,unused-ignore]
        if kind == "zstd":
            import zstandard

            return cast(BinaryIO, zstandard.ZstdDecompressor().stream_reader(buffered,
                                                                            read_size=CHUNK))
    except Exception as exc:  # pragma: no cover - constructors rarely fail
        raise InputError(subject, f"cannot start {kind} decompression") from exc
    return buffered


class ThreadedReader(io.RawIOBase):
    """Read ``source`` ahead in a background thread (decompression and hashing release
    the GIL, so one layer uses two cores: inflate there, parse here)."""

    _DONE = object()

    def __init__(self, source: BinaryIO, depth: int = 8) -> None:
        import queue
        import threading

        self._q: queue.Queue[object] = queue.Queue(maxsize=depth)
        self._stop = threading.Event()
        self._buf = memoryview(b"")
        self._eof = False
        self._thread = threading.Thread(target=self._run, args=(source,), daemon=True)
        self._thread.start()

    def _put(self, item: object) -> bool:
        import queue

        while not self._stop.is_set():
            try:
                self._q.put(item, timeout=0.1)
                return True
            except queue.Full:
                continue
        return False

    def _run(self, source: BinaryIO) -> None:
        try:
            while not self._stop.is_set():
                chunk = source.read(CHUNK)
                if not chunk:
                    break
                if not self._put(chunk):
                    return
        except BaseException as exc:  # handed to the reading thread, re-raised there
            self._put(exc)
            return
        self._put(self._DONE)

    def readable(self) -> bool:
        return True

    def readinto(self, b: bytearray | memoryview) -> int:  # type: ignore[override]
        while not self._buf:
            if self._eof:
                return 0
            item = self._q.get()
            if item is self._DONE:
                self._eof = True
                return 0
            if isinstance(item, BaseException):
                self._eof = True
                raise item
            self._buf = memoryview(item)  # type: ignore[arg-type]
        n = min(len(b), len(self._buf))
        b[:n] = self._buf[:n]
        self._buf = self._buf[n:]
        return n

    def close(self) -> None:
        self._stop.set()
        self._thread.join(timeout=5)
        super().close()
