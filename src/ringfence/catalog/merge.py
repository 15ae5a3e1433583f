"""Merge per-layer results into the squashed inventory, attributing each package to the
layer that introduced it and keeping the packages a later layer deleted."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

from ringfence.catalog import distro as distro_mod
from ringfence.catalog import purls
from ringfence.catalog.layer_result import FileRecord, LayerResult
from ringfence.model.inventory import Distro, Inventory
from ringfence.model.package import Package
from ringfence.model.unknown import Unknown

PkgKey = tuple[str, str, str, str, str]


def _key(pkg: Package) -> PkgKey:
    path = pkg.locations[0].path if pkg.locations else ""
    return (*pkg.key, path)


class _Shadow:
    """What one layer hides of the layers below it (O(depth) per lookup)."""

    def __init__(self, layer: LayerResult) -> None:
        self.touched = set(layer.touched)
        self.whiteouts = set(layer.whiteouts)
        self.opaque = set(layer.opaque_dirs)

    def hides(self, path: str) -> bool:
        if path in self.touched or path in self.whiteouts:
            return True
        parent = path
        while parent not in ("", "/"):
            parent = parent.rsplit("/", 1)[0] or "/"
            if parent in self.whiteouts or parent in self.opaque:
                return True
        return "/" in self.opaque


def _hide(visible: dict[str, tuple[str, FileRecord]], shadow: _Shadow) -> None:
    for key, (_, rec) in list(visible.items()):
        if shadow.hides(rec.path):
            del visible[key]


def merge_layers(layers: Sequence[LayerResult]) -> Inventory:
    visible: dict[str, tuple[str, FileRecord]] = {}  # "path\0cataloger" -> (layer, record)
    distros: dict[str, Distro] = {}
    intro: dict[PkgKey, str] = {}
    previous: dict[PkgKey, Package] = {}
    deleted: dict[PkgKey, Package] = {}
    unknowns: list[Unknown] = []
    for layer in layers:
        shadow = _Shadow(layer)
        _hide(visible, shadow)
        for p in [p for p in distros if shadow.hides(p)]:
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
            deleted[k] = previous[k].with_layer(intro.pop(k, None))
        previous = present
    chosen = distro_mod.choose(distros)
    packages = [_finish(p.with_layer(intro.get(_key(p))), chosen) for p in previous.values()]
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


