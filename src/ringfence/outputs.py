"""Writing a report or an artefact to a path the user named (``-o FILE``).

A regular file (or a path that does not exist yet) is replaced atomically: the bytes go to
a temporary file in the same directory, which is renamed over the target, so a reader sees
the old content or the new, never half.  Anything else that already exists — a character
device such as ``/dev/null`` or ``/dev/stdout``, a FIFO, a socket — is opened and written in
place: renaming over it would replace ``/dev/null`` with a regular file.  A symbolic link is
followed, so the file it names is replaced and the link stays.  A missing directory, a
directory given as the file, or any write error is an :class:`InputError` (exit 3) naming
the path.
"""

from __future__ import annotations

import contextlib
import os
import stat
import tempfile
from pathlib import Path

from ringfence.errors import InputError


def write_output(path: Path, data: bytes, *, mode: int = 0o644) -> None:
    """Write ``data`` to ``path`` as described in the module docstring."""
    target = Path(os.path.realpath(path))
    try:
        st: os.stat_result | None = os.stat(target)
    except FileNotFoundError:
        st = None
    except OSError as exc:
        raise InputError(str(path), f"cannot write: {exc.strerror}") from exc
    if st is not None and stat.S_ISDIR(st.st_mode):
        raise InputError(str(path), "is a directory; give a file name")
    if st is not None and not stat.S_ISREG(st.st_mode):
        _write_in_place(path, target, data)
        return
    if not target.parent.is_dir():
        raise InputError(str(path), f"cannot write: directory {target.parent} does not exist",
                         hint="create the directory first")
    _replace_atomically(path, target, data, stat.S_IMODE(st.st_mode) if st else mode)


def _write_in_place(shown: Path, target: Path, data: bytes) -> None:
    try:
        with open(target, "wb", buffering=0) as out:
            view = memoryview(data)
            while view:
                view = view[out.write(view) or 0:]
    except OSError as exc:
        raise InputError(str(shown), f"cannot write: {exc.strerror}") from exc


def _replace_atomically(shown: Path, target: Path, data: bytes, mode: int) -> None:
    tmp = ""
    try:
        fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".tmp")
        with os.fdopen(fd, "wb") as out:
            out.write(data)
            out.flush()
            os.fsync(out.fileno())
        os.chmod(tmp, mode)
        os.replace(tmp, target)
    except OSError as exc:
        if tmp:
            with contextlib.suppress(OSError):
                os.unlink(tmp)
        raise InputError(str(shown), f"cannot write: {exc.strerror}") from exc
