"""The container side of drift: a directory (a container's merged rootfs), a plain tar
export (``podman export``/``docker export``), or an image reference (``docker-archive:…``
of a committed container). Everything goes through the project's safe walkers: tar member
names are clamped inside the root, symlinks are recorded, never followed.

A directory is walked here, iteratively, through directory file descriptors: an attacker
who controls the container's filesystem can nest directories thousands deep (past the
interpreter's recursion limit and past PATH_MAX), and a tripwire must not crash there or
silently skip what lies below. Beyond ``MAX_DEPTH`` levels the subtree is listed as a
problem (an Unknown: exit 4 under ``--strict``), never dropped silently."""

from __future__ import annotations

import hashlib
import io
import os
import stat
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import BinaryIO, Final, cast

from ringfence.diff.hashes import FileHashAnalyzer, entry_state
from ringfence.diff.model import RUNTIME_OWNED, FileState, FsView
from ringfence.errors import InputError
from ringfence.inputs import open_regular
from ringfence.layers import walk
from ringfence.layers.rootfs import SKIP_TOP
from ringfence.layers.streams import CHUNK, decompressed
from ringfence.layers.walk import Entry, Limits, walk_tar

IMAGE_TRANSPORTS: Final = ("oci:", "oci-archive:", "docker-archive:", "docker://")
MAX_DEPTH: Final = 256  # directory levels walked below the root
_DIR_FLAGS = os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC
_FILE_FLAGS = os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC


__all__ = ("RUNTIME_OWNED", "container_view", "image_view")

# (what, done, total; 0: unknown), as ringfence.scan.Progress; called every TICK files
Progress = Callable[[str, int, int], None]
TICK: Final = 4096


def container_view(spec: str, limits: Limits | None = None,
                   progress: Progress | None = None) -> FsView:
    """Read the container filesystem named by ``spec``."""
    limits = limits or Limits()
    if spec.startswith(IMAGE_TRANSPORTS):
        return image_view(spec, progress)
    target = spec.removeprefix("dir:")
    if os.path.isdir(target):
        return directory_view(target, limits, progress)
    if os.path.isfile(target):
        return tar_view(Path(target), limits, progress)
    raise InputError(spec, "neither a directory, a tar file nor an image reference")


def image_view(reference: str, progress: Progress | None = None) -> FsView:
    """The squashed view of an image (``dir:ROOTFS`` walks the directory instead)."""
    if reference.startswith("dir:"):
        return directory_view(reference[4:], Limits(), progress)
    from ringfence.scan import ScanOptions, scan_image

    result = scan_image(reference, ScanOptions(catalogers=(), analyzers=(FileHashAnalyzer(),)),
                        progress)
    view = result.analysis(FileHashAnalyzer.name)
    if not isinstance(view, FsView):
        raise InputError(reference, "no file view was produced")
    return view


def _ticking(entries: Iterable[Entry], progress: Progress | None) -> Iterator[Entry]:
    n = 0
    for n, entry in enumerate(entries, 1):
        if progress and n % TICK == 0:
            progress("files", n, 0)
        yield entry
    if progress:
        progress("files", n, 0)


def directory_view(root: str, limits: Limits, progress: Progress | None = None) -> FsView:
    """Walk a rootfs directory (lstat only, symlinks recorded and never followed, every
    regular file hashed while it streams)."""
    files: dict[str, FileState] = {}
    problems: list[tuple[str, str]] = []
    for entry in _ticking(walk_directory(root, problems), progress):
        state = entry_state(entry)
        if state is None:
            continue
        if entry.kind in (walk.TOO_LARGE, walk.UNREADABLE):
            problems.append((entry.path, f"content not hashed ({entry.kind})"))
        files[entry.path] = state
    return FsView(dict(sorted(files.items())), tuple(problems))


def walk_directory(root: str, problems: list[tuple[str, str]]) -> Iterator[Entry]:
    """Every entry under ``root`` (path order), depth first with an explicit stack of
    directory fds: no recursion, no path longer than one name is ever passed to the kernel.
    Directories that cannot be listed, or lie deeper than ``MAX_DEPTH``, go to
    ``problems``."""
    try:
        fd = os.open(root, _DIR_FLAGS & ~os.O_NOFOLLOW)
        names = sorted(os.listdir(fd))
    except OSError as exc:
        raise InputError(root, f"cannot list the directory: {exc.strerror or exc}") from exc
    names = [n for n in names if n not in SKIP_TOP]
    stack: list[tuple[int, str, Iterator[str]]] = [(fd, "", iter(names))]
    try:
        while stack:
            dir_fd, parent, it = stack[-1]
            for name in it:
                path = f"{parent}/{name}"
                try:
                    st = os.stat(name, dir_fd=dir_fd, follow_symlinks=False)
                except OSError:
                    continue  # removed while we walk
                mode, uid, gid = st.st_mode, st.st_uid, st.st_gid
                if stat.S_ISDIR(mode):
                    yield Entry(path, walk.DIR, 0, mode, uid, gid)
                    child = _open_dir(dir_fd, name, path, len(stack), problems)
                    if child is not None:
                        stack.append((child[0], path, iter(child[1])))
                        break
                elif stat.S_ISLNK(mode):
                    try:
                        link: str | None = os.readlink(name, dir_fd=dir_fd)
                    except OSError:
                        link = None
                    yield Entry(path, walk.SYMLINK, 0, mode, uid, gid, link=link)
                elif stat.S_ISREG(mode):
                    digest = _sha256(dir_fd, name)
                    kind = walk.REG if digest is not None else walk.UNREADABLE
                    yield Entry(path, kind, st.st_size, mode, uid, gid,
                                digests=(("sha256", digest),) if digest else ())
                else:
                    yield Entry(path, walk.OTHER, 0, mode, uid, gid)
            else:
                os.close(stack.pop()[0])
    finally:
        for dir_fd, _, _ in stack:
            os.close(dir_fd)


def _open_dir(parent_fd: int, name: str, path: str, depth: int,
              problems: list[tuple[str, str]]) -> tuple[int, list[str]] | None:
    if depth > MAX_DEPTH:
        problems.append((path, f"deeper than {MAX_DEPTH} directory levels: not compared"))
        return None
    try:
        fd = os.open(name, _DIR_FLAGS, dir_fd=parent_fd)
    except OSError as exc:
        problems.append((path, f"cannot list: {exc.strerror or exc}"))
        return None
    try:
        return fd, sorted(os.listdir(fd))
    except OSError as exc:
        os.close(fd)
        problems.append((path, f"cannot list: {exc.strerror or exc}"))
        return None


def _sha256(dir_fd: int, name: str) -> str | None:
    """The content digest of a regular file, streamed (never held); None when unreadable
    or no longer a regular file."""
    try:
        fd = os.open(name, _FILE_FLAGS, dir_fd=dir_fd)
    except OSError:
        return None
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            return None
        h = hashlib.sha256()
        while chunk := os.read(fd, CHUNK):
            h.update(chunk)
        return h.hexdigest()
    except OSError:
        return None
    finally:
        os.close(fd)


def tar_view(path: Path, limits: Limits, progress: Progress | None = None) -> FsView:
    """A flat tar export: one layer, every file hashed while streaming."""
    with open_regular(path, str(path)) as raw:  # a FIFO would block, /dev/zero never end
        stream = decompressed(cast(BinaryIO, io.BufferedReader(raw, CHUNK)), str(path))
        return entries_view(_ticking(walk_tar(stream, str(path), lambda _p, _s: False,
                                              limits, ("sha256",)), progress))


def entries_view(entries: Iterable[Entry]) -> FsView:
    analyzer = FileHashAnalyzer()
    state = analyzer.new_state()
    for entry in entries:
        state.observe(entry)
    from ringfence.layers.analyzer import SquashView

    facts = state.facts()
    view = SquashView([(frozenset(facts), frozenset(), frozenset(), frozenset())])
    return analyzer.merge([("", facts)], view)
