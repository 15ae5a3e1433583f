"""Stream one layer blob once: verify its digest and diffID, offer files to catalogers."""

from __future__ import annotations

import io
from collections.abc import Callable
from typing import BinaryIO, cast

from ringfence.catalog.interface import Cataloger
from ringfence.catalog.layer_result import LayerResult
from ringfence.catalog.runner import LayerCatalog
from ringfence.image.interface import ImageSource
from ringfence.layers.analyzer import LayerAnalyzer
from ringfence.layers.streams import CHUNK, HashingReader, ThreadedReader, decompressed
from ringfence.layers.walk import Entry, Limits, Wants, walk_tar
from ringfence.model.image import LayerInfo


def analyze_layer(source: ImageSource, layer: LayerInfo, catalogers: tuple[Cataloger, ...],
                  limits: Limits, analyzers: tuple[LayerAnalyzer, ...] = ()) -> LayerResult:
    subject = f"{source.info().reference} layer {layer.digest}"
    lc = LayerCatalog(layer.diff_id, catalogers, analyzers)
    _stream_layer(source, layer, subject, lc.wants, limits, lc.add, lc.digests)
    if lc.pending_links:
        # A wanted path was a hardlink to a file nobody wanted when it streamed past:
        # rare, so read the layer a second time for just those targets.
        pending = lc.pending_links

        def offer(entry: Entry) -> None:
            if entry.data is not None:
                for link in pending.get(entry.path, ()):
                    lc.offer(link, entry.size, entry.data)

        _stream_layer(source, layer, subject, lambda p, _s: p in pending, limits, offer)
    return lc.result()


def _stream_layer(source: ImageSource, layer: LayerInfo, subject: str, wants: Wants,
                  limits: Limits, sink: Callable[[Entry], None],
                  digests: tuple[str, ...] = ()) -> None:
    raw = source.open_layer(layer)
    inner: ThreadedReader | None = None
    try:
        blob = HashingReader(raw, subject)
        inner = ThreadedReader(decompressed(cast(BinaryIO, io.BufferedReader(blob, CHUNK)),
                                            subject))
        tar_stream = HashingReader(cast(BinaryIO, inner), f"{subject} (diffID {layer.diff_id})",
                                   limit=limits.max_layer_bytes)
        stream = cast(BinaryIO, io.BufferedReader(tar_stream, CHUNK))
        for entry in walk_tar(stream, subject, wants, limits, digests):
            sink(entry)
        tar_stream.verify(layer.diff_id)
        blob.verify(layer.digest if layer.digest.startswith("sha") else None)
    finally:
        if inner is not None:
            inner.close()
        raw.close()
