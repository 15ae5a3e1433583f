"""Orchestrators: open -> catalog layers (cached, in parallel) -> merge. No logic of their own
beyond sequencing; every stage is a value-returning function elsewhere.

The catalogers, the merge, symlink following and the report filters are imported where
they are used: a warm scan served whole from the image cache (cache/image_cache.py) needs
none of them, and importing the catalog registry was most of a warm run's time (bench:
0.12 of 0.36 CPU seconds on bullseye-big). The layer walk, decompressors and analyzers
are imported the same way: ``tests/unit/test_warm_imports.py`` lists what a warm
``sbom -f json`` may load.
"""

from __future__ import annotations

import functools
import os
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ringfence.cache import image_cache
from ringfence.cache.layer_cache import LayerCache, variant_key
from ringfence.errors import DigestMismatchError, InputError
from ringfence.image.reference import parse_reference
from ringfence.image.resolve import OpenOptions, open_image
from ringfence.layers.limits import Limits
from ringfence.model.inventory import Inventory
from ringfence.model.result import ScanResult, Target

if TYPE_CHECKING:
    from ringfence.catalog.interface import Cataloger
    from ringfence.image.interface import ImageSource
    from ringfence.layers.analyze import VerifiedBlob
    from ringfence.layers.analyzer import LayerAnalyzer
    from ringfence.layers.collect import LayerCatalog
    from ringfence.layers.result import FileRecord, LayerResult
    from ringfence.layers.streams import Budget
    from ringfence.model.image import ImageInfo, LayerInfo
    from ringfence.model.inventory import Distro
    from ringfence.model.unknown import Unknown
    from ringfence.report.processors import Filters

Progress = Callable[[str, int, int], None]  # (what, done, total; 0: total unknown)
TICK = 4096  # a per-file stage reports progress once per this many entries


@dataclass(frozen=True, slots=True)
class ScanOptions:
    open: OpenOptions = field(default_factory=OpenOptions)
    limits: Limits = field(default_factory=Limits)
    cache_dir: Path | None = None  # None: no cache
    include_deleted: bool = False  # --layers all
    workers: int = 0  # 0: one per core
    # None: the registry's choice per source (installed-only for images, plus lock files
    # and manifests for directories)
    catalogers: tuple[Cataloger, ...] | None = None
    # extra single-pass layer analyzers (secrets, file metadata, ...), chosen by the command
    analyzers: tuple[LayerAnalyzer, ...] = ()

    def for_image(self) -> tuple[Cataloger, ...]:
        from ringfence.catalog.registry import IMAGE_CATALOGERS

        return self.catalogers if self.catalogers is not None else IMAGE_CATALOGERS

    def for_directory(self) -> tuple[Cataloger, ...]:
        from ringfence.catalog.registry import DIRECTORY_CATALOGERS

        return self.catalogers if self.catalogers is not None else DIRECTORY_CATALOGERS


def scan_image(reference: str, options: ScanOptions,
               progress: Progress | None = None) -> ScanResult:
    ref = parse_reference(reference)
    if ref.transport == "dir":
        return _scan_rootfs(str(ref.path), options, progress)
    if ref.transport == "sbom":
        from ringfence.sbom.ingest import read_sbom

        inventory = read_sbom(str(ref.path))
        return ScanResult(Target("sbom", str(ref.path)), _visible(inventory, options))
    source = open_image(ref, options.open)
    results: list[LayerResult] = []
    cache: LayerCache | None = None
    try:
        info = source.info()
        cache = LayerCache(options.cache_dir) if options.cache_dir else None
        # whole-image results: only the registry's catalogers and no analyzers (whose
        # merge depends on more than the layers, e.g. a secret allow-list)
        key = image_cache.image_key(info, repr(options.limits),
                                    image_cache.versions(cache, image_versions)) \
            if (cache and options.catalogers is None and not options.analyzers) else None
        merged = _cached_image(cache, source, info, key)
        if merged is None:
            from ringfence.layers.streams import Budget

            budget = Budget(options.limits.max_image_bytes, info.reference)
            results = _catalog_layers(source, info.layers, options, progress, budget)
            results = _follow_symlinks(source, info.layers, results, options, budget)
            from ringfence.layers.merge import merge_layers

            merged = merge_layers(results)
            if cache and key:
                cache.put_image(key, image_cache.encode(merged))
        elif progress:
            progress("layers", len(info.layers), len(info.layers))
    finally:
        if cache:
            cache.close()
        source.close()
    return _image_result(info, merged, results, options)


def image_versions() -> str:
    """What a whole-image result depends on besides its layers: the name and version of
    every registry cataloger and the merge's version (cache/image_cache.py remembers it
    per state of the code, so a warm scan does not import the catalogers for it)."""
    from ringfence.catalog.registry import IMAGE_CATALOGERS, fingerprint
    from ringfence.layers.merge import VERSION

    return f"{fingerprint(IMAGE_CATALOGERS)};merge={VERSION}"


def merge_image(source: ImageSource, results: list[LayerResult], options: ScanOptions,
                budget: Budget | None = None) -> ScanResult:
    """The ScanResult of ``source`` from its layers' results (in layer order), as
    ``scan_image`` makes it: package databases behind symlinks followed, layers merged,
    analyzer facts merged. ``ringfence fleet`` gets the layers' results from its cluster."""
    from ringfence.layers.merge import merge_layers

    info = source.info()
    results = _follow_symlinks(source, info.layers, results, options, budget)
    return _image_result(info, merge_layers(results), results, options)


def _image_result(info: ImageInfo, merged: Inventory, results: list[LayerResult],
                  options: ScanOptions) -> ScanResult:
    inventory = _visible(merged, options)
    digest = info.manifest_digest or info.config_digest
    return ScanResult(Target("image", info.reference, digest), inventory, image=info,
                      unknowns=inventory.unknowns,
                      analyses=_merge_analyses(options.analyzers, results))


def layer_variant(options: ScanOptions) -> str:
    """The layer cache's variant of ``options`` (catalogers, analyzers, limits)."""
    from ringfence.catalog.registry import fingerprint

    return variant_key(fingerprint((*options.for_image(), *options.analyzers)),
                       repr(options.limits))


def catalog_layer(source: ImageSource, layer: LayerInfo, options: ScanOptions,
                  cache: LayerCache | None, budget: Budget | None = None,
                  verified: Callable[[VerifiedBlob], None] | None = None
                  ) -> tuple[LayerResult, bool]:
    """One layer's result as ``scan_image`` gets it: from ``cache`` when bytes verified
    in this run have one, else analysed (and stored). True when the analysis ran; then
    ``verified`` is told the blob its bytes were hashed to (fleet: the shared store)."""
    from ringfence.layers.analyze import analyze_layer

    variant = layer_variant(options)
    hit = _cached(cache, source, layer, variant, options.limits) if cache else None
    if hit is not None:
        return hit, False
    blobs: list[VerifiedBlob] = []
    result = analyze_layer(source, layer, options.for_image(), options.limits,
                           options.analyzers, budget=budget, verified=blobs.append)
    if cache and blobs:
        _store(cache, variant, blobs[0], result)
    if verified is not None and blobs:
        verified(blobs[0])
    return result, True


def _store(cache: LayerCache, variant: str, blob: VerifiedBlob, result: LayerResult) -> None:
    cache.put(variant, blob.digest, result)
    if blob.identity:
        cache.remember(blob.identity, blob.digest, blob.kind)


def _cached_image(cache: LayerCache | None, source: ImageSource, info: ImageInfo,
                  key: str | None) -> Inventory | None:
    """The whole-image result under ``key``, when every layer blob is proven (in this run,
    by its file identity) to be the bytes the verified manifest names."""
    if cache is None or key is None:
        return None
    value = cache.get_image(key)
    if value is None or not image_cache.layers_verified(cache, source, info):
        return None
    return image_cache.decode(value)


def _merge_analyses(analyzers: tuple[LayerAnalyzer, ...],
                    results: list[LayerResult]) -> tuple[tuple[str, Any], ...]:
    if not analyzers:
        return ()
    from ringfence.layers.analyzer import SquashView

    view = SquashView.of(results)
    out = []
    for analyzer in analyzers:
        per_layer = [(r.diff_id, dict(r.facts).get(analyzer.name)) for r in results]
        out.append((analyzer.name, analyzer.merge(per_layer, view)))
    return tuple(out)


def _visible(inv: Inventory, options: ScanOptions) -> Inventory:
    return inv if options.include_deleted else replace(inv, deleted=())


def _scan_rootfs(root: str, options: ScanOptions,
                 progress: Progress | None = None) -> ScanResult:
    from ringfence.layers.collect import LayerCatalog
    from ringfence.layers.merge import merge_layers
    from ringfence.layers.rootfs import excerpt_again, walk_rootfs

    lc = LayerCatalog("", options.for_directory(), options.analyzers, keep_paths=False)
    for entry in walk_rootfs(root, lc.wants, options.limits, lc):
        lc.add(entry)
        if progress and lc.entries % TICK == 0:
            progress("files", lc.entries, 0)
    if progress:
        progress("files", lc.entries, 0)
    lc.second_reads(lambda refill: {p: d for p in refill.wanted
                                    if (d := excerpt_again(root, p, refill)) is not None})
    _follow_rootfs_symlinks(root, lc, options.limits)
    result = replace(lc.result(), diff_id="")
    inv = merge_layers([result])
    inv = replace(inv, packages=tuple(p.with_layer(None) for p in inv.packages))
    return ScanResult(Target("rootfs", root), _visible(inv, options), unknowns=inv.unknowns,
                      analyses=_merge_analyses(options.analyzers, [result]))


def _follow_symlinks(source: ImageSource, layers: tuple[LayerInfo, ...],
                     results: list[LayerResult], options: ScanOptions,
                     budget: Budget | None = None) -> list[LayerResult]:
    """Catalog package databases and release files reached through symlinks inside the
    image (layers/symlinks.py), attributed to the layer that completes the path. A file
    already cataloged at its real path is not counted twice (release files excepted: the
    path decides their precedence). Files nobody wanted at their real path are read again
    from their layer (rare: only images with such links pay for it)."""
    from ringfence.catalog import distro as distro_mod
    from ringfence.layers.analyze import analyze_paths
    from ringfence.layers.collect import LayerCatalog
    from ringfence.layers.symlinks import find_aliases

    aliases = find_aliases(results)
    if not aliases:
        return results
    catalogers = options.for_image()
    probe = LayerCatalog("", catalogers)
    records: dict[int, list[FileRecord]] = {}
    distros: dict[int, list[tuple[str, Distro]]] = {}
    unknowns: dict[int, list[Unknown]] = {}
    reread: dict[int, dict[str, list[str]]] = {}
    place: dict[tuple[int, str], int] = {}
    for a in aliases:
        parsed = dict(results[a.layer].distros).get(a.real)
        if parsed is not None and distro_mod.wants(a.logical):
            distros.setdefault(a.place, []).append((a.logical, parsed))
        elif not probe.wants(a.real, 0):
            reread.setdefault(a.layer, {}).setdefault(a.real, []).append(a.logical)
            place[(a.layer, a.logical)] = a.place
    for j, paths in sorted(reread.items()):
        part = analyze_paths(source, layers[j], paths, catalogers, options.limits, budget)
        for rec in part.records:
            records.setdefault(place[(j, rec.path)], []).append(rec)
        for path, d in part.distros:
            distros.setdefault(place[(j, path)], []).append((path, d))
        for u in part.unknowns:
            unknowns.setdefault(place.get((j, u.location), j), []).append(u)
    return [replace(r, records=(*r.records, *records.get(i, ())),
                    distros=(*r.distros, *distros.get(i, ())),
                    unknowns=(*r.unknowns, *unknowns.get(i, ())))
            for i, r in enumerate(results)]


def _follow_rootfs_symlinks(root: str, lc: LayerCatalog, limits: Limits) -> None:
    """``dir:``: the same well-known paths, resolved through the tree's own symlinks
    (read with O_NOFOLLOW descriptors below ``root``), offered at their logical path."""
    from ringfence.catalog import distro as distro_mod
    from ringfence.layers.rootfs import open_beneath, read_at
    from ringfence.layers.symlinks import ALIAS_DIRS, ALIAS_FILES, resolve

    def readlink(path: str) -> tuple[str, int] | None:
        parent, _, name = path.rpartition("/")
        fd = open_beneath(root, parent)
        if fd is None:
            return None
        try:
            return os.readlink(name, dir_fd=fd), 0
        except OSError:
            return None
        finally:
            os.close(fd)

    def offer(logical: str, real: str) -> None:
        if lc.wants(real, 0) and not distro_mod.wants(logical):
            return  # cataloged at its real path already
        parent, _, name = real.rpartition("/")
        fd = open_beneath(root, parent)
        if fd is None:
            return
        try:
            data = read_at(fd, name, limits.max_file_bytes)
        finally:
            os.close(fd)
        if data is not None and len(data) <= limits.max_file_bytes:
            lc.offer(logical, len(data), data)

    for logical in ALIAS_FILES:
        hit = resolve(logical, readlink)
        if hit is not None and hit[0] != logical:
            offer(logical, hit[0])
    for logical_dir in ALIAS_DIRS:
        hit = resolve(logical_dir, readlink)
        if hit is None or hit[0] == logical_dir:
            continue
        fd = open_beneath(root, hit[0])
        if fd is None:
            continue
        try:
            names = sorted(os.listdir(fd))
        except OSError:
            names = []
        finally:
            os.close(fd)
        for name in names:
            if lc.wants(f"{logical_dir}/{name}", 0):
                offer(f"{logical_dir}/{name}", f"{hit[0].rstrip('/')}/{name}")


def _catalog_layers(source: ImageSource, layers: tuple[LayerInfo, ...], options: ScanOptions,
                    progress: Progress | None, budget: Budget | None = None
                    ) -> list[LayerResult]:
    from concurrent.futures import ThreadPoolExecutor

    from ringfence.layers.analyze import analyze_layer
    from ringfence.layers.streams import Budget

    cache = LayerCache(options.cache_dir) if options.cache_dir else None
    catalogers = options.for_image()
    variant = layer_variant(options)
    budget = budget or Budget(options.limits.max_image_bytes, source.info().reference)
    results: dict[int, LayerResult] = {}
    todo: list[int] = []
    try:
        for i, layer in enumerate(layers):
            hit = _cached(cache, source, layer, variant, options.limits) if cache else None
            if hit is not None:
                results[i] = hit
            else:
                todo.append(i)
        done = len(results)
        if progress:
            progress("layers", done, len(layers))
        workers = options.workers or min(len(todo), os.cpu_count() or 1) or 1
        verified: dict[int, VerifiedBlob] = {}
        with ThreadPoolExecutor(max_workers=workers) as pool:
            futures = {i: pool.submit(analyze_layer, source, layers[i], catalogers,
                                      options.limits, options.analyzers, budget=budget,
                                      verified=functools.partial(verified.__setitem__, i))
                       for i in todo}
            for i, fut in futures.items():
                results[i] = fut.result()
                blob = verified.get(i)
                if cache and blob is not None:
                    _store(cache, variant, blob, results[i])
                done += 1
                if progress:
                    progress("layers", done, len(layers))
    finally:
        if cache:
            cache.close()
    return [results[i] for i in range(len(layers))]


def _cached(cache: LayerCache, source: ImageSource, layer: LayerInfo, variant: str,
            limits: Limits) -> LayerResult | None:
    """A cached result for ``layer``, only for bytes verified to be the claimed blob.

    The digest of the blob as stored comes from this run: remembered for the identity of
    the local file now holding it (same inode, size, mtime and ctime as when it was
    hashed), else by hashing it now. A registry blob has no local identity, so it is
    downloaded and hashed on every scan that would use a cached result: the registry's
    content addressing is a claim like any other. The result found must have the diffID
    the image claims (it was verified when the result was computed), so a hit fails
    exactly where a cold scan fails."""
    from ringfence.layers.analyze import hash_blob

    subject = f"{source.info().reference} layer {layer.digest}"
    identity_of = getattr(source, "blob_identity", None)
    identity = identity_of(layer) if identity_of is not None else None
    known = cache.verified_digest(identity) if identity else None
    if known is None:
        if not cache.has_candidate(variant, layer.digest, layer.diff_id):
            return None  # nothing to reuse: the full analysis verifies as it streams
        blob = hash_blob(source, layer, limits)
        if blob.identity:
            cache.remember(blob.identity, blob.digest, blob.kind)
        known = (blob.digest, blob.kind)
    digest, kind = known
    if layer.digest.startswith("sha") and digest != layer.digest:
        raise DigestMismatchError(subject, layer.digest, digest)
    hit = cache.get(variant, digest, kind)
    if hit is not None and hit.diff_id != layer.diff_id:
        raise DigestMismatchError(f"{subject} (diffID {layer.diff_id})", layer.diff_id,
                                  hit.diff_id)
    return hit


def add_vulnerabilities(result: ScanResult, db_path: Path, filters: Filters,
                        max_age_days: float | None = None) -> ScanResult:
    """Match the inventory against the DB at ``db_path``, then apply the user's filters.
    ``max_age_days``: refuse a database whose newest record is older (or undated)."""
    from ringfence.report.processors import apply_filters
    from ringfence.vulndb.match import match_all  # loads the version schemes
    from ringfence.vulndb.store import VulnStore

    with VulnStore.open(db_path) as store:
        info = store.info()
        if max_age_days is not None and (info.age_days is None or info.age_days > max_age_days):
            age = "undated" if info.age_days is None else f"{info.age_days:.1f} days old"
            raise InputError(str(db_path), f"vulnerability database is {age}, over "
                             f"--max-db-age {max_age_days:g}",
                             hint="run `ringfence db update` (or raise --max-db-age)")
        outcome = match_all(result.inventory, store)
    matches, notes = apply_filters(outcome.matches, filters, result.inventory.distro)
    unknowns = tuple(sorted({*result.unknowns, *outcome.unknowns, *notes}))
    return replace(result, vulnerabilities=matches, db=info, unknowns=unknowns,
                   coverage=outcome.coverage)
