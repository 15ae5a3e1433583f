"""The budgets of one scan, apart from the walk that enforces them: options and the scan
orchestrator name them without importing the tar walk (a warm scan served from the image
cache reads no layer)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Limits:
    """Budgets that keep a hostile layer from exhausting memory or time."""

    max_file_bytes: int = 64 << 20      # one wanted file read into memory
    max_read_bytes: int = 1 << 30       # all wanted files of one layer together
    max_layer_bytes: int = 64 << 30     # decompressed tar stream of one layer
    max_entries: int = 5_000_000
    # decompressed tar streams of all layers of one image together (what this run reads:
    # cached layers cost nothing). The largest public images (CUDA, ML stacks) unpack to
    # 20-40 GiB; 128 GiB is several times that, and stops a zstd/gzip bomb in bounded time.
    max_image_bytes: int = 128 << 30
