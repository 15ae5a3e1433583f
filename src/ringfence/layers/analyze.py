"""Stream one layer blob once: verify its digest and diffID, offer files to catalogers."""

from __future__ import annotations

import io
from typing import BinaryIO, cast

from ringfence.catalog.interface import Cataloger
from ringfence.catalog.layer_result import LayerResult
from ringfence.catalog.runner import LayerCatalog
from ringfence.image.interface import ImageSource
from ringfence.layers.streams import CHUNK, HashingReader, ThreadedReader, decompressed
from ringfence.layers.walk import Limits, walk_tar
from ringfence.model.image import LayerInfo


def analyze_layer(source: ImageSource, layer: LayerInfo, catalogers: tuple[Cataloger, ...],
                  limits: Limits) -> LayerResult:
    subject = f"{source.info().reference} layer {layer.digest}"
    raw = source.open_layer(layer)
    inner: ThreadedReader | None = None
    try:
        blob = HashingReader(raw, subject)
        inner = ThreadedReader(decompressed(cast(BinaryIO, io.BufferedReader(blob, CHUNK)),
                                            subject))
        tar_stream = HashingReader(cast(BinaryIO, inner), f"{subject} (diffID {layer.diff_id})",
                                   limit=limits.max_layer_bytes)
        lc = LayerCatalog(layer.diff_id, catalogers)
        stream = cast(BinaryIO, io.BufferedReader(tar_stream, CHUNK))
        for entry in walk_tar(stream, subject, lc.wants, limits):
            lc.add(entry)
        tar_stream.verify(layer.diff_id)
        blob.verify(layer.digest if layer.digest.startswith("sha") else None)
        return lc.result()
    finally:
        if inner is not None:
            inner.close()
        raw.close()
