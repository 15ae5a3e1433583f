"""The container side of drift: a directory (a container's merged rootfs), a plain tar
export (``podman export``/``docker export``), or an image reference (``docker-archive:…``
of a committed container). Everything goes through the project's safe walkers: tar member
names are clamped inside the root, symlinks are recorded, never followed."""

from __future__ import annotations

import io
import os
from collections.abc import Iterable
from pathlib import Path
from typing import BinaryIO, Final, cast

from ringfence.diff.hashes import FileHashAnalyzer, entry_state
from ringfence.diff.model import RUNTIME_OWNED, SYMLINK, FileState, FsView
from ringfence.errors import InputError
from ringfence.image.rootfs import walk_rootfs
from ringfence.layers import walk
from ringfence.layers.streams import CHUNK, decompressed
from ringfence.layers.walk import Entry, Limits, walk_tar

IMAGE_TRANSPORTS: Final = ("oci:", "oci-archive:", "docker-archive:", "docker://")


__all__ = ("RUNTIME_OWNED", "container_view", "image_view")


def container_view(spec: str, limits: Limits | None = None) -> FsView:
    """Read the container filesystem named by ``spec``."""
    limits = limits or Limits()
    if spec.startswith(IMAGE_TRANSPORTS):
        return image_view(spec)
    target = spec.removeprefix("dir:")
    if os.path.isdir(target):
        return directory_view(target, limits)
    if os.path.isfile(target):
        return tar_view(Path(target), limits)
    raise InputError(spec, "neither a directory, a tar file nor an image reference")


def image_view(reference: str) -> FsView:
    """The squashed view of an image (``dir:ROOTFS`` walks the directory instead)."""
    if reference.startswith("dir:"):
        return directory_view(reference[4:], Limits())
    from ringfence.scan import ScanOptions, scan_image

    result = scan_image(reference, ScanOptions(catalogers=(), analyzers=(FileHashAnalyzer(),)))
    view = result.analysis(FileHashAnalyzer.name)
    if not isinstance(view, FsView):
        raise InputError(reference, "no file view was produced")
    return view


def directory_view(root: str, limits: Limits) -> FsView:
    """Walk a rootfs directory with :func:`walk_rootfs` (lstat only, O_NOFOLLOW reads)."""
    files: dict[str, FileState] = {}
    problems: list[tuple[str, str]] = []
    for entry in walk_rootfs(root, lambda _p, _s: True, limits):
        state = entry_state(entry)
        if state is None:
            continue
        if state.kind == SYMLINK and state.link is None:  # walk_rootfs omits dir links
            state = _with_link(state, os.path.join(root, entry.path.lstrip("/")))
        if entry.kind in (walk.TOO_LARGE, walk.UNREADABLE):
            problems.append((entry.path, f"content not hashed ({entry.kind})"))
        files[entry.path] = state
    return FsView(dict(sorted(files.items())), tuple(problems))


def tar_view(path: Path, limits: Limits) -> FsView:
    """A flat tar export: one layer, every file hashed while streaming."""
    with path.open("rb") as raw:
        stream = decompressed(cast(BinaryIO, io.BufferedReader(raw, CHUNK)), str(path))
        return entries_view(walk_tar(stream, str(path), lambda _p, _s: False, limits,
                                     ("sha256",)))


def entries_view(entries: Iterable[Entry]) -> FsView:
    analyzer = FileHashAnalyzer()
    state = analyzer.new_state()
    for entry in entries:
        state.observe(entry)
    from ringfence.layers.analyzer import SquashView

    facts = state.facts()
    view = SquashView([(frozenset(facts), frozenset(), frozenset(), frozenset())])
    return analyzer.merge([("", facts)], view)


def _with_link(state: FileState, full: str) -> FileState:
    try:
        link = os.readlink(full)
    except OSError:
        return state
    return FileState(state.kind, state.mode, state.uid, state.gid, state.size, None, link)
