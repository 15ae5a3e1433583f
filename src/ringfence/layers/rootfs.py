"""``dir:ROOTFS`` — an unpacked root filesystem (or ``/`` itself), walked without
following symlinks, so nothing outside the root is ever read.

The walk is iterative and descriptor-relative (``openat``-style ``dir_fd``, every
component opened with ``O_NOFOLLOW``): an attacker-made tree 1,800 levels deep has paths
longer than ``PATH_MAX`` and would overflow a recursive walk; here it costs one stack
entry per pending directory and a bounded number of open descriptors (a directory's
descriptor is closed once its subdirectories are opened, and at most ``FD_BUDGET`` stay
open; an evicted one is re-opened from its nearest open ancestor when needed).
"""

from __future__ import annotations

import contextlib
import os
import stat
from collections.abc import Generator, Iterator
from typing import BinaryIO

from ringfence.errors import InputError, LimitExceededError
from ringfence.layers.walk import (
    DIR,
    HEAD,
    REG,
    SYMLINK,
    TOO_LARGE,
    UNREADABLE,
    Entry,
    Limits,
    Sniff,
    Wants,
)

# Pseudo filesystems of a live host: never part of what is installed.
SKIP_TOP = frozenset({"proc", "sys", "dev", "run"})
MAX_DEPTH = 4096  # directory nesting; deeper is refused (paths grow with depth squared)
FD_BUDGET = 64  # directory descriptors held open at once by one walk

_DIR_FLAGS = os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC
_FILE_FLAGS = os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC


class _Dir:
    __slots__ = ("depth", "fd", "name", "parent", "path", "pending")

    def __init__(self, parent: _Dir | None, name: str, path: str, depth: int) -> None:
        self.parent, self.name, self.path, self.depth = parent, name, path, depth
        self.fd: int | None = None
        self.pending = 0  # subdirectories not opened yet (they need this descriptor)


class _Fds:
    """Open directory descriptors, oldest first, at most FD_BUDGET (plus the root)."""

    def __init__(self, root: _Dir) -> None:
        self.root = root
        self.open: dict[_Dir, None] = {}

    def fd(self, d: _Dir) -> int:
        chain = []
        node: _Dir | None = d
        while node is not None and node.fd is None:
            chain.append(node)
            node = node.parent
        assert node is not None and node.fd is not None  # the root stays open
        parent_fd = node.fd
        for child in reversed(chain):
            child.fd = os.open(child.name, _DIR_FLAGS, dir_fd=parent_fd)
            self.open[child] = None
            parent_fd = child.fd
        while len(self.open) > FD_BUDGET:
            oldest = next(iter(self.open))
            if oldest is d:
                break
            self.close(oldest)
        assert d.fd is not None
        return d.fd

    def close(self, d: _Dir) -> None:
        if d.fd is not None and d is not self.root:
            os.close(d.fd)
            d.fd = None
            self.open.pop(d, None)

    def close_all(self) -> None:
        for d in list(self.open):
            self.close(d)
        if self.root.fd is not None:
            os.close(self.root.fd)
            self.root.fd = None


def walk_rootfs(root: str, wants: Wants, limits: Limits,
                sniff: Sniff | None = None) -> Iterator[Entry]:
    subject = f"dir:{root}"
    if not os.path.isdir(root):
        raise InputError(subject, "not a directory")
    top = _Dir(None, "", "/", 0)
    try:
        top.fd = os.open(os.path.abspath(root), os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
    except OSError as exc:
        raise InputError(subject, f"cannot open: {exc.strerror or exc}") from exc
    fds = _Fds(top)
    stack = [top]
    try:
        while stack:
            d = stack.pop()
            try:
                fd = fds.fd(d)
            except OSError:
                fd = -1  # vanished or replaced meanwhile: skip it
            finally:
                if d.parent is not None:
                    d.parent.pending -= 1
                    if d.parent.pending <= 0:
                        fds.close(d.parent)
            if fd < 0:
                continue
            subdirs = yield from _list(d, fd, wants, limits, sniff)
            if subdirs and d.depth + 1 > MAX_DEPTH:
                raise LimitExceededError(subject, f"directories nested deeper than {MAX_DEPTH}"
                                         f" levels (at {d.path[:120]}...)")
            d.pending = len(subdirs)
            if not subdirs:
                fds.close(d)
            stack.extend(reversed(subdirs))
    finally:
        fds.close_all()


def _list(d: _Dir, fd: int, wants: Wants, limits: Limits,
          sniff: Sniff | None) -> Generator[Entry, None, list[_Dir]]:
    try:
        names = sorted(os.listdir(fd))
    except OSError:
        return []
    subdirs: list[_Dir] = []
    for name in names:
        if d.depth == 0 and name in SKIP_TOP:
            continue
        path = f"/{name}" if d.path == "/" else f"{d.path}/{name}"
        try:
            st = os.stat(name, dir_fd=fd, follow_symlinks=False)
        except OSError:
            continue
        mode = st.st_mode
        if stat.S_ISDIR(mode):
            yield Entry(path, DIR, 0, mode, st.st_uid, st.st_gid)
            subdirs.append(_Dir(d, name, path, d.depth + 1))
        elif stat.S_ISLNK(mode):
            yield Entry(path, SYMLINK, 0, mode, st.st_uid, st.st_gid,
                        link=_readlink(name, fd))
        elif stat.S_ISREG(mode):
            yield _file(path, name, fd, st, wants, limits, sniff)
    return subdirs


def _file(path: str, name: str, dir_fd: int, st: os.stat_result, wants: Wants,
          limits: Limits, sniff: Sniff | None = None) -> Entry:
    wanted = wants(path, st.st_size)
    sniffed = False
    if not wanted and sniff is not None and sniff.candidate(path, st.st_size):
        head = read_at(dir_fd, name, HEAD - 1)  # at most HEAD bytes
        wanted = sniffed = head is not None and sniff.matches(head[:HEAD])
    if not wanted:
        return Entry(path, REG, st.st_size, st.st_mode, st.st_uid, st.st_gid)
    if sniffed and sniff is not None:  # recognised by content: only the excerpt is kept
        with _open_at(dir_fd, name) as f:
            if f is None:
                return Entry(path, UNREADABLE, st.st_size, st.st_mode, st.st_uid, st.st_gid,
                             wanted=True)
            try:
                kept = sniff.excerpt(b"", iter(lambda: f.read(1 << 20), b""), st.st_size)
            except OSError:
                return Entry(path, UNREADABLE, st.st_size, st.st_mode, st.st_uid, st.st_gid,
                             wanted=True)
        return Entry(path, REG, st.st_size, st.st_mode, st.st_uid, st.st_gid, data=kept,
                     wanted=True)
    if st.st_size > limits.max_file_bytes:
        return Entry(path, TOO_LARGE, st.st_size, st.st_mode, st.st_uid, st.st_gid, wanted=True)
    data = read_at(dir_fd, name, limits.max_file_bytes)
    if data is None:
        return Entry(path, UNREADABLE, st.st_size, st.st_mode, st.st_uid, st.st_gid,
                     wanted=True)
    if len(data) > limits.max_file_bytes:  # grew since lstat
        return Entry(path, TOO_LARGE, len(data), st.st_mode, st.st_uid, st.st_gid, wanted=True)
    return Entry(path, REG, len(data), st.st_mode, st.st_uid, st.st_gid, data=data,
                 wanted=True)


def _readlink(name: str, dir_fd: int) -> str | None:
    try:
        return os.readlink(name, dir_fd=dir_fd)
    except OSError:
        return None


@contextlib.contextmanager
def _open_at(dir_fd: int, name: str) -> Iterator[BinaryIO | None]:
    """The regular file ``name`` opened as :func:`read_at` opens it; None when it cannot be."""
    try:
        fd = os.open(name, _FILE_FLAGS | getattr(os, "O_NOATIME", 0), dir_fd=dir_fd)
    except OSError:
        try:
            fd = os.open(name, _FILE_FLAGS, dir_fd=dir_fd)
        except OSError:
            yield None
            return
    with os.fdopen(fd, "rb") as f:
        yield f if stat.S_ISREG(os.fstat(fd).st_mode) else None


def read_at(dir_fd: int, name: str, limit: int) -> bytes | None:
    """A regular file's bytes (at most ``limit + 1``), never following a symlink and never
    blocking on a FIFO or device swapped in after the ``lstat``; None when unreadable."""
    with _open_at(dir_fd, name) as f:
        if f is None:
            return None
        try:
            return f.read(limit + 1)
        except OSError:
            return None


def excerpt_again(root: str, path: str, sniff: Sniff) -> bytes | None:
    """A second read of the regular file ``path`` below ``root`` (opened as the walk opens
    files), streamed through ``sniff`` when it still is the candidate it was (its size
    unchanged); None when it is not or cannot be read."""
    parent, _, name = path.rpartition("/")
    fd = open_beneath(root, parent)
    if fd is None:
        return None
    try:
        with _open_at(fd, name) as f:
            if f is None or not sniff.candidate(path, os.fstat(f.fileno()).st_size):
                return None
            head = f.read(HEAD)
            if not sniff.matches(head):
                return None
            size = os.fstat(f.fileno()).st_size
            return sniff.excerpt(head, iter(lambda: f.read(1 << 20), b""), size)
    except OSError:
        return None
    finally:
        os.close(fd)


def open_beneath(root: str, path: str) -> int | None:
    """A descriptor of directory ``path`` (absolute inside the image) below ``root``,
    every component opened with ``O_NOFOLLOW`` (nothing outside ``root`` is reached).
    The caller closes it. None when a component is missing, a symlink or not a directory."""
    try:
        fd = os.open(root, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
    except OSError:
        return None
    for part in [p for p in path.split("/") if p]:
        try:
            nfd = os.open(part, _DIR_FLAGS, dir_fd=fd)
        except OSError:
            os.close(fd)
            return None
        os.close(fd)
        fd = nfd
    return fd
