"""Stream one layer blob once: verify its digest and diffID, offer files to catalogers.

What was verified is reported as a :class:`VerifiedBlob` (the digest of the bytes as
stored, computed in this run; their compression; the identity of the file they came from,
when it did not change while it was read). The layer cache is keyed by that digest.
"""

from __future__ import annotations

import io
from collections.abc import Callable
from dataclasses import dataclass
from typing import BinaryIO, cast

from ringfence.catalog.interface import Cataloger
from ringfence.errors import Error, InputError
from ringfence.image.interface import ImageSource
from ringfence.layers.analyzer import LayerAnalyzer
from ringfence.layers.collect import LayerCatalog, Refill
from ringfence.layers.result import LayerResult
from ringfence.layers.streams import (
    CHUNK,
    Budget,
    HashingReader,
    ThreadedReader,
    decompressed_kind,
    is_decompression_error,
    sniff,
)
from ringfence.layers.walk import TOO_LARGE, Entry, Limits, Sniff, Wants, walk_tar
from ringfence.model.image import LayerInfo

# Bytes allowed after the tar end-of-archive marker: writers pad to a record (GNU tar
# 10 KiB, ``tar -b 2048`` 1 MiB); hundreds of GiB of zeros there are a bomb.
MAX_TRAILING_BYTES = 32 << 20


@dataclass(frozen=True, slots=True)
class VerifiedBlob:
    digest: str  # sha256 of the blob as stored, hashed in this run
    kind: str  # compression sniffed from its first bytes (raw: the blob is the tar)
    identity: str | None  # the file it was read from, unchanged while read; or None


def stream_identity(stream: object) -> str | None:
    """File identity of an opened blob stream (see ``ImageSource.blob_identity``)."""
    raw = getattr(stream, "raw", stream)
    ident = getattr(raw, "identity", None)
    if callable(ident):
        value = ident()
        return value if isinstance(value, str) else None
    from ringfence.image.safeio import identity

    try:
        return identity(raw.fileno())  # type: ignore[attr-defined]
    except (OSError, ValueError, AttributeError):
        return None


def _claimed(layer: LayerInfo) -> str | None:
    return layer.digest if layer.digest.startswith("sha") else None


def analyze_layer(source: ImageSource, layer: LayerInfo, catalogers: tuple[Cataloger, ...],
                  limits: Limits, analyzers: tuple[LayerAnalyzer, ...] = (), *,
                  budget: Budget | None = None,
                  verified: Callable[[VerifiedBlob], None] | None = None) -> LayerResult:
    subject = f"{source.info().reference} layer {layer.digest}"
    lc = LayerCatalog(layer.diff_id, catalogers, analyzers)
    blob = _stream_layer(source, layer, subject, lc.wants, limits, lc.add, lc.digests, budget,
                         sniff=lc, retain=lc.retain)
    if lc.pending_links:
        # A wanted path was a hardlink to a file whose data was not at hand (nobody wanted
        # it, or it left the walk's bounded retention): rare, so read the layer a second
        # time for just those targets.
        pending = lc.pending_links

        def offer(entry: Entry) -> None:
            if entry.data is not None:
                for link in pending.get(entry.path, ()):
                    lc.offer_link(link, entry)

        _stream_layer(source, layer, subject, lambda p, _s: p in pending, limits, offer,
                      budget=budget)

    def refetch(refill: Refill) -> dict[str, bytes]:
        # Excerpts lacking what a header points at (catalog/elfread.py): rare (Go < 1.18,
        # cargo-auditable past the excerpt), so the layer is read again for just those.
        got: dict[str, bytes] = {}

        def keep(entry: Entry) -> None:
            if entry.data is not None:
                got[entry.path] = entry.data

        _stream_layer(source, layer, subject, lambda _p, _s: False, limits, keep,
                      budget=budget, sniff=refill)
        return got

    lc.second_reads(refetch)
    if verified is not None:
        verified(blob)
    return lc.result()


def analyze_paths(source: ImageSource, layer: LayerInfo, paths: dict[str, list[str]],
                  catalogers: tuple[Cataloger, ...], limits: Limits,
                  budget: Budget | None = None) -> LayerResult:
    """Read only ``paths`` of the layer (real path -> the logical paths it is reached by
    through symlinks) and catalog each file as found at its logical paths."""
    subject = f"{source.info().reference} layer {layer.digest}"
    lc = LayerCatalog(layer.diff_id, catalogers)

    def sink(entry: Entry) -> None:
        for logical in paths.get(entry.path, ()):
            if entry.data is not None:
                lc.offer(logical, entry.size, entry.data)
            elif entry.kind == TOO_LARGE:
                lc.add(Entry(logical, TOO_LARGE, entry.size, entry.mode, entry.uid,
                             entry.gid, wanted=True))

    _stream_layer(source, layer, subject, lambda p, _s: p in paths, limits, sink,
                  budget=budget)
    return lc.result()


def hash_blob(source: ImageSource, layer: LayerInfo, limits: Limits) -> VerifiedBlob:
    """Read the blob as stored and hash it (no decompression): proof, in this run, that
    the bytes behind ``layer`` are what its digest says."""
    subject = f"{source.info().reference} layer {layer.digest}"
    raw = source.open_layer(layer)
    try:
        before = stream_identity(raw)
        blob = HashingReader(raw, subject, limit=limits.max_layer_bytes)
        head = blob.read(CHUNK) or b""
        blob.verify(_claimed(layer))
        after = stream_identity(raw)
    except OSError as exc:
        raise InputError(subject, f"cannot read blob ({exc})") from exc
    finally:
        raw.close()
    return VerifiedBlob(blob.digest(), sniff(head[:6]), before if before == after else None)


def _stream_layer(source: ImageSource, layer: LayerInfo, subject: str, wants: Wants,
                  limits: Limits, sink: Callable[[Entry], None],
                  digests: tuple[str, ...] = (), budget: Budget | None = None,
                  sniff: Sniff | None = None,
                  retain: Callable[[str], bool] | None = None) -> VerifiedBlob:
    raw = source.open_layer(layer)
    # One thread a stage, each handing chunks to the next through a bounded queue
    # (ThreadedReader): the blob is read and hashed (its digest); inflated; the tar hashed
    # (diffID) and counted against the budgets; parsed here. Why three: on one core's worth
    # of reading thread, read + digest + inflate + diffID was the scan's critical path
    # (streams.ThreadedReader has the figures). Memory: 2 + 2 + 4 chunks queued at most,
    # the 8 MiB the one reader thread had (peak RSS of bullseye-big 63 -> 70 MiB; queues
    # of 8 each: 91 MiB, no faster).
    stages: list[ThreadedReader] = []
    try:
        before = stream_identity(raw)
        blob = HashingReader(raw, subject)
        stages.append(ThreadedReader(cast(BinaryIO, blob), depth=2, name="blob"))
        # both held here to the end: freed with the inflate thread, they would close the
        # blob's stage before its rest is read (IOBase closes what it wraps when freed)
        buffered = io.BufferedReader(stages[-1], CHUNK)
        decoded, kind = decompressed_kind(cast(BinaryIO, buffered), subject)
        stream = decoded
        if kind != "raw":
            stages.append(ThreadedReader(decoded, depth=2, name="inflate"))
            stream = cast(BinaryIO, stages[-1])
        tar_stream = HashingReader(stream, f"{subject} (diffID {layer.diff_id})",
                                   limit=limits.max_layer_bytes, budget=budget)
        stages.append(ThreadedReader(cast(BinaryIO, tar_stream), depth=4, name="diffid"))
        inner = stages[-1]
        for entry in walk_tar(cast(BinaryIO, inner), subject, wants, limits, digests, sniff,
                              retain):
            sink(entry)
        tar_stream.verify(layer.diff_id, max_more=MAX_TRAILING_BYTES,
                          rest=cast(BinaryIO, inner))
        # what the decompressor left unread (xz and bzip2 stop at trailing garbage) is
        # read through the blob's stage: its thread may be reading ahead still
        blob.verify(_claimed(layer), rest=cast(BinaryIO, stages[0]))
        after = stream_identity(raw)
    except Error:
        raise
    except Exception as exc:
        if is_decompression_error(exc):
            raise InputError(subject, f"corrupt or unreadable layer ({exc})") from exc
        raise
    finally:
        for stage in reversed(stages):  # the walk's end first: each stops its source's reader
            stage.close()
        raw.close()
    return VerifiedBlob(blob.digest(), kind, before if before == after else None)
