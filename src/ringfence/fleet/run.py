"""One fleet run as a Dask graph: resolve every reference, deduplicate images by digest,
one task per unique layer (its key made of the layer cache's variant and the layer's
digests, so the same layer named by many images is one task, and Dask dedupes it), one
task per unique image depending on its layers' tasks. Scheduling, work stealing and
re-running the tasks of a worker that died are Dask's; a task that raised is retried
(``RETRIES``) before it counts as a failure of its images."""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Final

from ringfence.fleet.tasks import (
    FleetOptions,
    ImageOutcome,
    LayerOutcome,
    Resolved,
    Sharing,
    analyse_layer,
    resolve,
    scan_one,
    was_analysed,
)
from ringfence.model.image import LayerInfo

if TYPE_CHECKING:
    from distributed import Client, Future

Progress = Callable[[str, int, int], None]  # (phase, done, total)
RETRIES: Final = 2


@dataclass(frozen=True, slots=True)
class FleetImage:
    ref: str
    digest: str
    outcome: ImageOutcome  # shared by every reference to the same digest


@dataclass(frozen=True, slots=True)
class FleetResult:
    images: tuple[FleetImage, ...]  # one per distinct reference, in the order given
    unique_layers: int
    layers_analysed: int  # analyses that ran in this invocation (cache misses)

    @property
    def failed(self) -> int:
        return sum(1 for i in self.images if i.outcome.error)


def _token(*parts: str) -> str:
    return hashlib.sha256("\0".join(parts).encode()).hexdigest()[:32]


def layer_key(variant: str, ref: str, layer: LayerInfo) -> str:
    """One key per unique layer: its blob digest and diffID (a layer without a content
    digest, e.g. an uncompressed docker-archive entry, is unique to its image)."""
    owner = "" if layer.digest.startswith("sha") else ref
    return f"rf-layer-{_token(variant, layer.digest, layer.diff_id, owner)}"


def run_fleet(client: Client, refs: Sequence[str], options: FleetOptions,
              progress: Progress | None = None, sharing: Sharing | None = None
              ) -> FleetResult:
    """``sharing``: where workers look layer results up before analysing and write them
    after (the inventory store, each worker's own cache directory)."""
    from ringfence.scan import layer_variant

    tick = progress or (lambda _w, _d, _t: None)
    distinct = list(dict.fromkeys(refs))
    run = _token(*distinct, repr(options), repr(sharing))
    futures = client.map(resolve, distinct, options=options.scan.open, retries=RETRIES,
                         key=[f"rf-resolve-{run}-{_token(r)}" for r in distinct])
    resolved: list[Resolved] = _collect(client, futures, "images resolved", tick,
                                        lambda r, exc: Resolved(r, error=exc),
                                        distinct)
    first: dict[str, Resolved] = {}
    for r in resolved:
        if not r.error:
            first.setdefault(r.digest, r)
    variant = layer_variant(options.scan)
    layer_futures: dict[str, Future[LayerOutcome]] = {}
    image_layers: dict[str, list[str]] = {}
    unique: dict[str, tuple[str, LayerInfo]] = {}
    for digest, r in first.items():
        keys = [layer_key(variant, r.ref, layer) for layer in r.layers]
        image_layers[digest] = keys
        for key, layer in zip(keys, r.layers, strict=True):
            unique.setdefault(key, (r.ref, layer))
    # largest layer first (Dask runs higher priorities first): the biggest base layer is the
    # critical path of a fleet, so it starts at once and the other workers fill in around it
    # (in image order it started as late as its image came; see bench/fleet.py)
    # (submitted in that order too, so the first to reach a worker is the largest)
    by_size = sorted(unique.items(), key=lambda item: -max(item[1][1].size, 0))
    for key, (ref, layer) in by_size:
        layer_futures[key] = client.submit(analyse_layer, ref, layer, options.scan, sharing,
                                           key=key,
                                           retries=RETRIES, priority=max(layer.size, 0))
    # submitted at once, above every layer: an image is merged as soon as its own layers
    # are done (its layers' results can then go)
    top = max((max(layer.size, 0) for _, layer in unique.values()), default=0) + 1
    image_futures = [client.submit(scan_one, first[d].ref,
                                   [layer_futures[k] for k in image_layers[d]], options,
                                   key=f"rf-image-{run}-{_token(d)}", retries=RETRIES,
                                   priority=top)
                     for d in first]
    flags = client.map(was_analysed, list(layer_futures.values()),
                       key=[f"rf-analysed-{run}-{k}" for k in layer_futures])
    analysed = _collect(client, flags, "unique layers analysed", tick,
                        lambda _k, _e: False, list(layer_futures))
    outcomes = _collect(client, image_futures, "images matched", tick,
                        lambda ref, exc: ImageOutcome(ref, "", None, exc),
                        [first[d].ref for d in first])
    by_digest = dict(zip(first, outcomes, strict=True))
    images = tuple(_image(r, by_digest) for r in resolved)
    return FleetResult(images, unique_layers=len(layer_futures),
                       layers_analysed=sum(1 for a in analysed if a))


def _image(r: Resolved, by_digest: dict[str, ImageOutcome]) -> FleetImage:
    if r.error:
        return FleetImage(r.ref, "", ImageOutcome(r.ref, "", None, r.error))
    return FleetImage(r.ref, r.digest, by_digest[r.digest])


def _collect(client: Client, futures: list[Future[Any]], phase: str, tick: Progress,
             failed: Callable[[str, str], Any], names: list[str]) -> list[Any]:
    """Results in submission order, ticking ``phase`` as they finish; a task that failed
    every retry (or was lost with too many workers) becomes ``failed(name, why)``."""
    from distributed import as_completed

    index = {f.key: i for i, f in enumerate(futures)}
    out: list[Any] = [None] * len(futures)
    tick(phase, 0, len(futures))
    finished = as_completed(futures, loop=client.loop)  # type: ignore[no-untyped-call]
    for done, future in enumerate(finished, 1):
        i = index[future.key]
        try:
            out[i] = future.result()
        except Exception as exc:  # a task's failure is data: its images'
            out[i] = failed(names[i], f"task failed on the cluster: "
                            f"{type(exc).__name__}: {exc}")
        future.release()
        tick(phase, done, len(futures))
    return out


__all__ = ["FleetResult", "LayerOutcome", "run_fleet"]
