"""Symlinks resolved *within* the image root, as the container sees them.

A package database or release file is found by a fixed path (``/var/lib/dpkg/status``,
``/etc/os-release``). When that path goes through a symlink inside the image — Debian's
``/etc/os-release -> ../usr/lib/os-release``, a relocated ``/var/lib/dpkg``, Fedora's
``/var/lib/rpm -> ../../usr/lib/sysimage/rpm`` — the file it reaches is what the container
reads there. Resolution is lexical over the image's own symlinks (the squashed view of all
layers, or the ``dir:`` tree through ``O_NOFOLLOW`` descriptors): absolute targets and
``..`` are clamped to the image root, never the host's, and a chain longer than
``MAX_HOPS`` (Linux's MAXSYMLINKS) resolves to nothing, as ELOOP would.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Final

from ringfence.catalog.apk.cataloger import DB_PATH as APK_DB
from ringfence.catalog.distro import RELEASE_FILES
from ringfence.catalog.rpm.cataloger import PATHS as RPM_PATHS
from ringfence.layers.analyzer import SquashView
from ringfence.layers.result import LayerResult

MAX_HOPS: Final = 40
DPKG_STATUS: Final = "/var/lib/dpkg/status"
DPKG_STATUS_D: Final = "/var/lib/dpkg/status.d"

# Fixed paths read through symlinks; and directories whose files are (distroless dpkg).
ALIAS_FILES: Final = (*RELEASE_FILES, DPKG_STATUS, APK_DB,
                      *sorted(p if p.startswith("/") else f"/{p}" for p in RPM_PATHS))
ALIAS_DIRS: Final = (DPKG_STATUS_D,)

ReadLink = Callable[[str], "tuple[str, int] | None"]  # path -> (target, layer) if a symlink


def resolve(path: str, readlink: ReadLink) -> tuple[str, int] | None:
    """``path`` with every symlink resolved inside the root, and the highest layer index
    of the links followed (-1: none); None for a loop or a chain over MAX_HOPS."""
    todo = [p for p in path.split("/") if p][::-1]  # a stack: next component last
    done = ""
    hops, top = 0, -1
    while todo:
        part = todo.pop()
        if part == ".":
            continue
        if part == "..":
            done = done.rsplit("/", 1)[0]  # at the root, stays at the root
            continue
        candidate = f"{done}/{part}"
        link = readlink(candidate)
        if link is None:
            done = candidate
            continue
        hops += 1
        if hops > MAX_HOPS:
            return None
        target, layer = link
        top = max(top, layer)
        if target.startswith("/"):
            done = ""
        todo.extend(p for p in target.split("/")[::-1] if p)
    return done or "/", top


@dataclass(frozen=True, slots=True)
class Alias:
    logical: str  # the path a cataloger looks for
    real: str  # the file the container reads there
    layer: int  # the layer whose ``real`` is visible
    place: int  # the layer from which ``logical`` shows that file (links included)


def find_aliases(results: Sequence[LayerResult]) -> list[Alias]:
    """Well-known paths that, in the squashed image, reach another file through symlinks.

    Only the paths a resolution asks about are checked for visibility (an image has
    thousands of library symlinks; a resolution looks at a few dozen paths)."""
    by_path: dict[str, list[tuple[str, int]]] = {}
    for i, r in enumerate(results):
        for path, target in r.links:
            by_path.setdefault(path, []).append((target, i))
    if not by_path:
        return []
    views: list[SquashView] = []

    def view() -> SquashView:
        if not views:
            views.append(SquashView.of(results))
        return views[0]

    def readlink(path: str) -> tuple[str, int] | None:
        for target, i in reversed(by_path.get(path, ())):
            if view().visible(path, i):
                return target, i
        return None

    def top_layer(path: str) -> int | None:
        found = [i for i, r in enumerate(results) if path in r.files and view().visible(path, i)]
        return found[-1] if found else None

    out: list[Alias] = []
    for logical in ALIAS_FILES:
        hit = resolve(logical, readlink)
        if hit is None or hit[0] == logical:
            continue
        layer = top_layer(hit[0])
        if layer is not None:
            out.append(Alias(logical, hit[0], layer, max(layer, hit[1])))
    for logical_dir in ALIAS_DIRS:
        hit = resolve(logical_dir, readlink)
        if hit is None or hit[0] == logical_dir:
            continue
        prefix = hit[0].rstrip("/") + "/"
        for i, r in enumerate(results):
            for f in r.files:
                name = f[len(prefix):]
                if f.startswith(prefix) and "/" not in name and f not in by_path and \
                        view().visible(f, i):
                    out.append(Alias(f"{logical_dir}/{name}", f, i, max(i, hit[1])))
    return out
