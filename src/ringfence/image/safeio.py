"""Open inputs the way a gate must: regular files only, never blocking, with size caps.

A FIFO would block ``open`` or ``read`` forever, ``/dev/zero`` never ends and a directory
is not a document; every file an image reference names (layout JSON, blobs, archives,
``sbom:`` files) is opened here: ``O_NONBLOCK`` (a FIFO opens at once), then ``fstat`` on
the opened descriptor (no race with a rename), then a bounded read.
"""

from __future__ import annotations

import os
import stat
from typing import Final

from ringfence.inputs import describe_mode, open_regular, read_regular

MAX_JSON_BYTES: Final = 4 << 20  # index.json, manifests, manifest.json
MAX_CONFIG_BYTES: Final = 16 << 20  # image configs carry history; still small

# opening and bounded reading are ringfence.inputs' (one implementation for every input)
__all__ = ["MAX_CONFIG_BYTES", "MAX_JSON_BYTES", "describe_mode", "identity", "open_regular",
           "read_regular"]


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
