"""The functions Dask runs on workers: resolve one reference, analyse one unique layer,
scan one image from its layers' results. Each returns a value; an input that fails
(registry error, digest mismatch, hostile layer) is an outcome with its error, so one bad
image never stops the fleet and Dask's retries are left for workers that die.

A layer is analysed exactly as ``ringfence image`` analyses it (``scan.catalog_layer``):
the layer cache is asked first (the blob is hashed in this run and a result is used only
for verified bytes, with the diffID the image claims), else the single-pass analysis
streams, verifies and stores it. The image is then merged by ``scan.merge_image``
(symlinked package databases, whiteouts, analyzer facts), checked and matched as
``ringfence image`` does.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING

from ringfence import scan as image_scan
from ringfence.errors import DigestMismatchError, Error
from ringfence.image.reference import parse_reference
from ringfence.image.resolve import OpenOptions, open_image
from ringfence.layers.result import LayerResult
from ringfence.model.image import LayerInfo
from ringfence.model.result import ScanResult
from ringfence.report.processors import Filters
from ringfence.scan import ScanOptions
from ringfence.secretscan.allowlist import Allowlist
from ringfence.trust.provenance import ProvenanceOptions

if TYPE_CHECKING:
    from ringfence.image.interface import ImageSource
    from ringfence.layers.analyze import VerifiedBlob
    from ringfence.store.db import InventoryStore


@dataclass(frozen=True, slots=True)
class FleetOptions:
    """What every image gets, as ``ringfence image`` with the same options."""

    scan: ScanOptions  # its analyzers are the chosen scanners' (image_checks.analyzers_for)
    scanners: frozenset[str] = frozenset({"vuln", "secret", "config"})
    allowlist: Allowlist | None = None
    provenance: ProvenanceOptions = field(default_factory=ProvenanceOptions)
    db_path: Path | None = None  # None: no matching (the CLI notes it)
    filters: Filters = field(default_factory=Filters)
    max_db_age: float | None = None


@dataclass(frozen=True, slots=True)
class Resolved:
    ref: str
    digest: str = ""  # the manifest digest (the config digest where there is none)
    layers: tuple[LayerInfo, ...] = ()
    error: str = ""


@dataclass(frozen=True, slots=True)
class Sharing:
    """Where workers share layer results besides ``ScanOptions.cache_dir``."""

    store_url: str | None = None  # the inventory store: looked up first, written after
    worker_cache: bool = False  # each worker's own default cache directory (remote cluster)


@dataclass(frozen=True, slots=True)
class LayerOutcome:
    result: LayerResult | None
    analysed: bool  # the analysis ran in this task (False: a cache or the store had it)
    inflated: int = 0  # decompressed bytes the analysis read (counted per image)
    error: str = ""


@dataclass(frozen=True, slots=True)
class ImageOutcome:
    ref: str
    digest: str
    result: ScanResult | None
    error: str = ""


def _describe(exc: BaseException) -> str:
    return exc.diagnostics() if isinstance(exc, Error) else f"{type(exc).__name__}: {exc}"


def resolve(ref: str, options: OpenOptions) -> Resolved:
    """The manifest digest and layers of ``ref`` (the manifest and config verified)."""
    try:
        source = open_image(parse_reference(ref), options)
        try:
            info = source.info()
        finally:
            source.close()
    except (Error, OSError) as exc:
        return Resolved(ref, error=_describe(exc))
    return Resolved(ref, info.manifest_digest or info.config_digest or "", info.layers)


def analyse_layer(ref: str, layer: LayerInfo, options: ScanOptions,
                  sharing: Sharing | None = None) -> LayerOutcome:
    """The result of one layer of ``ref``: from the shared store, the layer cache, or
    analysed now (and then written to both)."""
    from ringfence.cache.layer_cache import LayerCache, default_dir
    from ringfence.layers.streams import Budget

    share = sharing or Sharing()
    cache_dir = default_dir() if share.worker_cache else options.cache_dir
    cache = LayerCache(cache_dir) if cache_dir else None
    store = None
    try:
        if share.store_url is not None:
            from ringfence.store.db import InventoryStore

            store = InventoryStore.open(share.store_url)
        source = open_image(parse_reference(ref), options.open)
        try:
            variant = image_scan.layer_variant(options)
            hit = _shared(store, source, layer, variant, options) if store else None
            if hit is not None:
                return LayerOutcome(hit[0], analysed=False, inflated=hit[1])
            budget = Budget(options.limits.max_image_bytes, ref)
            blobs: list[VerifiedBlob] = []
            result, analysed = image_scan.catalog_layer(source, layer, options, cache, budget,
                                                        verified=blobs.append)
            if store is not None and blobs:
                from ringfence.store import layer_results

                layer_results.put(store, variant, blobs[0].digest, result,
                                  inflated=budget.used)
        finally:
            source.close()
    except (Error, OSError) as exc:
        return LayerOutcome(None, analysed=False, error=_describe(exc))
    finally:
        if cache:
            cache.close()
        if store is not None:
            store.close()
    return LayerOutcome(result, analysed, budget.used)


def _shared(store: InventoryStore, source: ImageSource, layer: LayerInfo, variant: str,
            options: ScanOptions) -> tuple[LayerResult, int] | None:
    """The store's result for ``layer``, read only under the digest its blob hashes to in
    this run (a blob that does not hash to its claimed digest fails as a cold scan does).
    A row whose diffID is not the one the image claims is not trusted: the analysis then
    verifies the layer, and fails where a cold scan fails."""
    from ringfence.layers.analyze import hash_blob
    from ringfence.store import layer_results

    if not layer.digest.startswith("sha") \
            or not layer_results.has_candidate(store, variant, layer.digest):
        return None
    blob = hash_blob(source, layer, options.limits)
    if blob.digest != layer.digest:
        raise DigestMismatchError(f"{source.info().reference} layer {layer.digest}",
                                  layer.digest, blob.digest)
    hit = layer_results.get(store, variant, blob.digest)
    if hit is None or hit[0].diff_id != layer.diff_id:
        return None
    return hit


def was_analysed(outcome: LayerOutcome) -> bool:
    return outcome.analysed


def scan_one(ref: str, layers: list[LayerOutcome], options: FleetOptions) -> ImageOutcome:
    """``ref`` scanned from its layers' outcomes (in layer order), as ``ringfence image``."""
    try:
        source = open_image(parse_reference(ref), options.scan.open)
        try:
            result = _merge(source, layers, options.scan, ref)
        finally:
            source.close()
        result = _checks(result, options)
        if "vuln" in options.scanners and options.db_path is not None:
            result = image_scan.add_vulnerabilities(result, options.db_path, options.filters,
                                                    options.max_db_age)
    except (Error, OSError) as exc:
        return ImageOutcome(ref, "", None, _describe(exc))
    # the analyzers' merged facts (per-file metadata, secrets) have served the checks: not
    # sent back (most of a result's size, and the client holds every image's result)
    return ImageOutcome(ref, result.target.digest or "", replace(result, analyses=()))


def _merge(source: ImageSource, layers: list[LayerOutcome], options: ScanOptions,
           ref: str) -> ScanResult:
    from ringfence.layers.streams import Budget

    info = source.info()
    failed = [o.error for o in layers if o.result is None]
    if failed:
        raise Error(ref, failed[0])
    results = [o.result for o in layers if o.result is not None]
    if len(results) != len(info.layers):
        raise Error(ref, "layer results do not match the manifest's layers")
    for layer, result in zip(info.layers, results, strict=True):
        if result.diff_id != layer.diff_id:  # as scan._cached: a hit fails as a cold scan
            raise DigestMismatchError(f"{ref} layer {layer.digest} (diffID {layer.diff_id})",
                                      layer.diff_id, result.diff_id)
    # --max-image-bytes holds for the image: its layers' decompressed bytes in all, each
    # layer's as its analysis counted them (wherever it ran), as one ``ringfence image``
    budget = Budget(options.limits.max_image_bytes, ref)
    budget.take(sum(o.inflated for o in layers))
    return image_scan.merge_image(source, results, options, budget)


def _checks(result: ScanResult, options: FleetOptions) -> ScanResult:
    """The image-config, secret and provenance findings ``ringfence image`` adds."""
    from ringfence.image_checks import check_image, check_provenance

    if options.scanners & {"secret", "config"} and result.image is not None:
        run = check_image(result, options.scanners, options.allowlist)
        result = replace(result, findings=(*result.findings, *run.findings),
                         unknowns=tuple(sorted({*result.unknowns, *run.unknowns})))
    if "provenance" in options.scanners and result.image is not None:
        run, section = check_provenance(result, options.provenance)
        result = replace(result, findings=(*result.findings, *run.findings),
                         unknowns=tuple(sorted({*result.unknowns, *run.unknowns})),
                         analyses=(*result.analyses, ("provenance", section)))
    return result
