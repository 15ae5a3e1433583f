"""Merge per-layer results into the squashed inventory, attributing each package to the
layer that introduced it and keeping the packages a later layer deleted."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

from ringfence.catalog import distro as distro_mod
from ringfence.catalog import ownership, purls
from ringfence.layers.analyzer import SquashView
from ringfence.layers.result import FileRecord, LayerResult
from ringfence.model.inventory import Distro, Inventory
from ringfence.model.package import Package
from ringfence.model.unknown import Unknown

# Part of the whole-image cache's key (cache/image_cache.py), with the catalogers'
# versions: bump it whenever the merged inventory of the same layer results could change
# (here, in catalog/ownership or purls, or in scan.py's symlink following).
VERSION = "1"

PkgKey = tuple[str, str, str, str, str]


def _key(pkg: Package) -> PkgKey:
    path = pkg.locations[0].path if pkg.locations else ""
    return (*pkg.key, path)


def merge_layers(layers: Sequence[LayerResult]) -> Inventory:
    """Squash the layers in order. What a layer hides of the layers below comes from the
    one visibility engine (:class:`SquashView`: same path, whiteouts, opaque directories,
    and an ancestor directory replaced by a non-directory), as for the analyzers."""
    view = SquashView.of(layers)
    visible: dict[str, tuple[str, FileRecord]] = {}  # "path\0cataloger" -> (layer, record)
    index_of = {layer.diff_id: i for i, layer in enumerate(layers)}
    distros: dict[str, Distro] = {}
    intro: dict[PkgKey, str] = {}
    previous: dict[PkgKey, Package] = {}
    deleted: dict[PkgKey, Package] = {}
    unknowns: list[Unknown] = []
    for index, layer in enumerate(layers):
        for key in [k for k, (_, rec) in visible.items() if view.hidden_by(index, rec.path)]:
            del visible[key]
        for p in [p for p in distros if view.hidden_by(index, p)]:
            del distros[p]
        for rec in layer.records:
            visible[f"{rec.path}\0{rec.cataloger}"] = (layer.diff_id, rec)
        distros.update(dict(layer.distros))
        unknowns.extend(layer.unknowns)
        present = {_key(p): p for _, rec in visible.values() for p in rec.packages}
        for k in present.keys() - previous.keys():
            intro[k] = layer.diff_id
            deleted.pop(k, None)
        for k in previous.keys() - present.keys():
            deleted[k] = previous[k].with_layer(intro.pop(k))  # set when k entered present
        previous = present
    chosen = distro_mod.choose(distros)
    packages = [_finish(p.with_layer(intro.get(_key(p))), chosen) for p in previous.values()]
    # evidence of the files still visible: licences kept beside the database, file owners
    packages = ownership.apply(
        packages, ((index_of[lid], e) for lid, rec in visible.values() for e in rec.evidence),
        ownership.doc_links(x for layer in layers for x in layer.links),
        {rec.path: index_of[lid] for lid, rec in visible.values() if rec.packages})
    gone = [replace(_finish(p, chosen), deleted=True) for p in deleted.values()]
    return Inventory(
        packages=tuple(sorted(packages, key=Package.sort_key)),
        distro=chosen,
        unknowns=tuple(sorted(unknowns)),
        deleted=tuple(sorted(gone, key=Package.sort_key)),
    )


_OS_NAMESPACE = {"deb": "debian", "apk": "alpine", "rpm": "redhat"}


def _finish(pkg: Package, distro: Distro | None) -> Package:
    """Qualify OS package purls with the distro (namespace and ``distro=``), as Syft does."""
    if pkg.type not in _OS_NAMESPACE or distro is None:
        return pkg
    label = f"{distro.id}-{distro.version_id}" if distro.version_id else distro.id
    return replace(pkg, purl=purls.with_distro(pkg.purl, distro.id, label))


