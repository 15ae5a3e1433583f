"""Hostile inputs built at test time: directory trees deeper than PATH_MAX allows to name,
created and removed through directory file descriptors (never by path, never recursively)."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

CHUNK = 100  # levels per piece when cutting a deep tree for removal


def make_deep_tree(root: Path, depth: int, name: str = "d" * 40,
                   leaf: tuple[str, bytes] | None = None) -> None:
    """``root/name/name/…`` ``depth`` levels deep, optionally with a file at the bottom."""
    fd = os.open(root, os.O_RDONLY | os.O_DIRECTORY)
    try:
        for _ in range(depth):
            os.mkdir(name, dir_fd=fd)
            child = os.open(name, os.O_RDONLY | os.O_DIRECTORY, dir_fd=fd)
            os.close(fd)
            fd = child
        if leaf is not None:
            wfd = os.open(leaf[0], os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644, dir_fd=fd)
            try:
                os.write(wfd, leaf[1])
            finally:
                os.close(wfd)
    finally:
        os.close(fd)


def remove_deep_tree(top: Path) -> None:
    """Remove a deep tree: cut it into pieces of at most CHUNK levels, each moved up beside
    ``top`` by a rename through directory fds, then remove every piece with rmtree."""
    parent = top.parent
    pfd = os.open(parent, os.O_RDONLY | os.O_DIRECTORY)
    pieces: list[Path] = [top]
    try:
        cur = os.open(top, os.O_RDONLY | os.O_DIRECTORY)
        level = 0
        while True:
            with os.scandir(cur) as it:
                subdirs = [e.name for e in it if e.is_dir(follow_symlinks=False)]
            if not subdirs:
                os.close(cur)
                break
            child_name = subdirs[0]
            level += 1
            if level % CHUNK == 0:
                piece = f"{top.name}.piece{level}"
                os.rename(child_name, piece, src_dir_fd=cur, dst_dir_fd=pfd)
                pieces.append(parent / piece)
                nxt = os.open(piece, os.O_RDONLY | os.O_DIRECTORY, dir_fd=pfd)
            else:
                nxt = os.open(child_name, os.O_RDONLY | os.O_DIRECTORY, dir_fd=cur)
            os.close(cur)
            cur = nxt
    finally:
        os.close(pfd)
    for cut in pieces:
        shutil.rmtree(cut)
