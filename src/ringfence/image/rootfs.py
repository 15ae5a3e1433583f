"""``dir:ROOTFS`` — an unpacked root filesystem (or ``/`` itself), walked without
following symlinks, so nothing outside the root is ever read."""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator

from ringfence.errors import InputError
from ringfence.layers.walk import DIR, REG, SYMLINK, TOO_LARGE, UNREADABLE, Entry, Limits, Wants

# Pseudo filesystems of a live host: never part of what is installed.
SKIP_TOP = frozenset({"proc", "sys", "dev", "run"})


def walk_rootfs(root: str, wants: Wants, limits: Limits) -> Iterator[Entry]:
    if not os.path.isdir(root):
        raise InputError(f"dir:{root}", "not a directory")
    root = os.path.abspath(root)
    for dirpath, dirnames, filenames in os.walk(root, onerror=None):
        rel_dir = "/" + os.path.relpath(dirpath, root).replace(os.sep, "/").lstrip("./")
        rel_dir = "/" if rel_dir in ("/", "/.") else rel_dir
        if rel_dir == "/":
            dirnames[:] = [d for d in dirnames if d not in SKIP_TOP]
        keep = []
        for d in dirnames:
            full = os.path.join(dirpath, d)
            try:
                st = os.lstat(full)
            except OSError:
                continue
            if stat.S_ISDIR(st.st_mode):
                keep.append(d)
            yield Entry(_join(rel_dir, d), DIR if stat.S_ISDIR(st.st_mode) else SYMLINK,
                        0, st.st_mode, st.st_uid, st.st_gid)
        dirnames[:] = sorted(keep)
        for name in sorted(filenames):
            full = os.path.join(dirpath, name)
            path = _join(rel_dir, name)
            try:
                st = os.lstat(full)
            except OSError:
                continue
            if stat.S_ISLNK(st.st_mode):
                yield Entry(path, SYMLINK, 0, st.st_mode, st.st_uid, st.st_gid,
                            link=_readlink(full))
                continue
            if not stat.S_ISREG(st.st_mode):
                continue
            data = None
            wanted = wants(path, st.st_size)
            if wanted:
                if st.st_size > limits.max_file_bytes:
                    yield Entry(path, TOO_LARGE, st.st_size, st.st_mode, st.st_uid, st.st_gid,
                                wanted=True)
                    continue
                data = _read(full)
                if data is None:
                    yield Entry(path, UNREADABLE, st.st_size, st.st_mode, st.st_uid, st.st_gid,
                                wanted=True)
                    continue
            yield Entry(path, REG, st.st_size, st.st_mode, st.st_uid, st.st_gid, data=data,
                        wanted=wanted)


def _join(parent: str, name: str) -> str:
    return f"/{name}" if parent == "/" else f"{parent}/{name}"


def _readlink(path: str) -> str | None:
    try:
        return os.readlink(path)
    except OSError:
        return None


def _read(path: str) -> bytes | None:
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | getattr(os, "O_NOATIME", 0))
    except OSError:
        try:
            fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW)
        except OSError:
            return None
    with os.fdopen(fd, "rb") as f:
        return f.read()
