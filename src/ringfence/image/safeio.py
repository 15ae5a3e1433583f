"""Open inputs the way a gate must: regular files only, never blocking, with size caps.

A FIFO would block ``open`` or ``read`` forever, ``/dev/zero`` never ends and a directory
is not a document; every file an image reference names (layout JSON, blobs, archives,
``sbom:`` files) is opened here: ``O_NONBLOCK`` (a FIFO opens at once), then ``fstat`` on
the opened descriptor (no race with a rename), then a bounded read.
"""

from __future__ import annotations

import os
import stat
from typing import BinaryIO, Final

from ringfence.errors import InputError

MAX_JSON_BYTES: Final = 4 << 20  # index.json, manifests, manifest.json
MAX_CONFIG_BYTES: Final = 16 << 20  # image configs carry history; still small

_KINDS = ((stat.S_ISDIR, "a directory"), (stat.S_ISFIFO, "a FIFO"),
          (stat.S_ISCHR, "a character device"), (stat.S_ISBLK, "a block device"),
          (stat.S_ISSOCK, "a socket"))


def describe_mode(mode: int) -> str:
    return next((name for test, name in _KINDS if test(mode)), "not a regular file")


def open_regular(path: str, subject: str) -> BinaryIO:
    """Open ``path`` for reading when it is a regular file (symlinks followed)."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_CLOEXEC)
    except OSError as exc:
        raise InputError(subject, f"cannot read: {exc.strerror or exc}") from exc
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            raise InputError(subject, f"not a regular file ({describe_mode(st.st_mode)})")
        return os.fdopen(fd, "rb")
    except BaseException:
        os.close(fd)
        raise


def read_regular(path: str, limit: int, subject: str) -> bytes:
    """All of a regular file, refused past ``limit`` bytes (the file may grow: read
    ``limit + 1`` rather than trusting its size)."""
    with open_regular(path, subject) as f:
        try:
            data = f.read(limit + 1)
        except OSError as exc:
            raise InputError(subject, f"cannot read: {exc.strerror or exc}") from exc
    if len(data) > limit:
        raise InputError(subject, f"larger than {limit} bytes; refusing to read it")
    return data


def identity(fd: int, offset: int = 0, length: int | None = None) -> str | None:
    """Who a regular file is and which version of it: (device, inode, size, mtime, ctime)
    plus the byte range. Any write or ``utime`` changes mtime or ctime, so bytes hashed
    under one identity are the bytes of every later open with the same identity."""
    try:
        st = os.fstat(fd)
    except OSError:
        return None
    if not stat.S_ISREG(st.st_mode):
        return None
    size = st.st_size if length is None else length
    return (f"{st.st_dev}:{st.st_ino}:{st.st_size}:{st.st_mtime_ns}:{st.st_ctime_ns}"
            f"@{offset}+{size}")
