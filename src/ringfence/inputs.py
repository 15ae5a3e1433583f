"""Reading inputs a user (or an attacker) named: regular files only, with a size cap, and
nested documents with a depth cap. Imports only ``ringfence.errors``.

A FIFO, a socket, ``/dev/zero`` or ``/dev/stdin`` given where a file belongs must never block
the gate or fill its memory: files are opened non-blocking, checked to be regular on the open
descriptor (no race between a check and the open), and read to at most ``limit`` bytes.
"""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path
from typing import Any, BinaryIO

from ringfence.errors import InputError

MAX_NESTING = 512  # containers nested in one JSON/YAML/TOML document; real files use < 40


def open_regular(path: str | os.PathLike[str], subject: str | None = None, *,
                 dir_fd: int | None = None) -> BinaryIO:
    """``path`` opened for reading when it is a regular file (symlinks followed; relative to
    ``dir_fd`` when given): ``O_NONBLOCK`` so a FIFO cannot block the open, then ``fstat``
    on the descriptor itself. InputError, naming ``subject`` (default: the path), when it
    is missing, unreadable or not a regular file."""
    name = subject or str(path)
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_CLOEXEC, dir_fd=dir_fd)
    except OSError as exc:
        raise InputError(name, f"cannot open: {exc.strerror or exc}") from exc
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            raise InputError(name, f"not a regular file ({describe_mode(st.st_mode)})")
        os.set_blocking(fd, True)
        return os.fdopen(fd, "rb")
    except BaseException:
        os.close(fd)
        raise


def read_regular(path: str | os.PathLike[str], limit: int, subject: str | None = None, *,
                 dir_fd: int | None = None) -> bytes:
    """The bytes of the regular file at ``path`` (see :func:`open_regular`), at most
    ``limit`` of them: larger is an InputError (read ``limit + 1``, never trusting the
    size, since the file may grow)."""
    name = subject or str(path)
    with open_regular(path, name, dir_fd=dir_fd) as f:
        size = os.fstat(f.fileno()).st_size
        if size > limit:
            raise InputError(name, f"larger than {_size(limit)} ({size} bytes)")
        try:
            # ask for the stated size + 1, not limit + 1: a read of n reserves n bytes
            # (4 GiB for feeds); a file that grew since fstat is read on in chunks
            want = size + 1
            data = f.read(want)
            if len(data) == want:
                parts = [data]
                total = len(data)
                while total <= limit:
                    chunk = f.read(min(1 << 20, limit + 1 - total))
                    if not chunk:
                        break
                    parts.append(chunk)
                    total += len(chunk)
                data = b"".join(parts)
        except OSError as exc:
            raise InputError(name, f"cannot read: {exc.strerror or exc}") from exc
    if len(data) > limit:
        raise InputError(name, f"larger than {_size(limit)}")
    return data


def _size(n: int) -> str:
    for unit, shift in (("GiB", 30), ("MiB", 20), ("KiB", 10)):
        if n >= 1 << shift and n % (1 << shift) == 0:
            return f"{n >> shift} {unit}"
    return f"{n} bytes"


def read_regular_text(path: str | os.PathLike[str], limit: int,
                      subject: str | None = None) -> str:
    """``read_regular`` decoded as UTF-8 (InputError when it is not)."""
    data = read_regular(path, limit, subject)
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise InputError(subject or str(path), f"not UTF-8 text: {exc.reason}") from exc


def describe_mode(mode: int) -> str:
    """What a file that is not regular is, for an error message."""
    for test, kind in ((stat.S_ISDIR, "a directory"), (stat.S_ISFIFO, "a FIFO"),
                       (stat.S_ISCHR, "a character device"), (stat.S_ISBLK, "a block device"),
                       (stat.S_ISSOCK, "a socket")):
        if test(mode):
            return kind
    return "not a regular file"


def loads_json(data: str | bytes, subject: str, limit: int = MAX_NESTING) -> Any:
    """``json.loads`` that turns malformed text and nesting deeper than ``limit`` into
    InputError (``json.loads`` itself raises RecursionError near the interpreter's limit,
    and deep values would make later recursive code fail)."""
    try:
        value = json.loads(data)
    except RecursionError as exc:
        raise InputError(subject, f"JSON nested deeper than {limit} levels") from exc
    except ValueError as exc:
        raise InputError(subject, f"not valid JSON: {exc}") from exc
    check_depth(value, subject, limit)
    return value


def check_depth(value: Any, subject: str, limit: int = MAX_NESTING) -> None:
    """InputError when dicts/lists in ``value`` nest deeper than ``limit`` (level by level,
    no recursion; shared nodes are walked once per level they appear at)."""
    level = [value] if isinstance(value, dict | list) else []
    for _ in range(limit):
        below: list[Any] = []
        for node in level:
            below.extend([c for c in (node.values() if isinstance(node, dict) else node)
                          if isinstance(c, dict | list)])
        if not below:
            return
        level = below
    raise InputError(subject, f"nested deeper than {limit} levels")


def load_json_file(path: str | Path, limit: int, subject: str | None = None) -> Any:
    """A JSON document from a regular file of at most ``limit`` bytes (InputError for
    anything else)."""
    name = subject or str(path)
    return loads_json(read_regular(path, limit, name), name)
