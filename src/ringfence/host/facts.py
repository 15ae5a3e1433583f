"""All host I/O: a reader confined to one root directory.

Every file the host audit looks at is read through :class:`RootReader`. Paths are
resolved component by component the way a chroot would: an absolute symlink target
restarts at the root and ``..`` never climbs above it, so nothing outside ``root`` is
ever opened, and the final open uses ``O_NOFOLLOW``.
"""

from __future__ import annotations

import errno
import fnmatch
import os
import posixpath
import stat
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

T = TypeVar("T")

MAX_LINKS = 40
MAX_BYTES = 8 * 1024 * 1024


class FactError(Exception):
    """A path that exists under the root but could not be read (permission, loop, size)."""

    def __init__(self, path: str, reason: str) -> None:
        super().__init__(f"{path}: {reason}")
        self.path = path
        self.reason = reason


@dataclass(frozen=True, slots=True)
class FileStat:
    """Owner and mode of one path (as seen under the root; symlinks not followed at the end)."""

    path: str
    kind: str  # file | dir | socket | link | other
    mode: int  # permission bits only
    uid: int
    gid: int


def _kind(mode: int) -> str:
    for test, name in ((stat.S_ISREG, "file"), (stat.S_ISDIR, "dir"),
                       (stat.S_ISSOCK, "socket"), (stat.S_ISLNK, "link")):
        if test(mode):
            return name
    return "other"


class RootReader:
    """Read files, stats and directory listings under ``root`` and nowhere else."""

    def __init__(self, root: Path | str = "/", *, live: bool | None = None) -> None:
        self.root = str(Path(root).resolve())
        self._prefix = self.root.rstrip("/")
        self._live = self.root == "/" if live is None else live

    @property
    def is_live(self) -> bool:
        """True when /proc and /sys under the root describe the running kernel: the root is
        ``/``, or a captured tree (test fixtures) is declared live. A mounted host root is not:
        its /proc and /sys are not read and only configured values count."""
        return self._live

    def host_path(self, path: str) -> str:
        return self._prefix + path

    def resolve(self, path: str, *, follow_last: bool = True) -> str | None:
        """The in-root path ``path`` designates, or None when a component is missing."""
        parts = deque(p for p in path.split("/") if p)
        cur = ""
        hops = 0
        while parts:
            part = parts.popleft()
            if part == ".":
                continue
            if part == "..":
                cur = posixpath.dirname(cur) if cur else ""
                cur = "" if cur == "/" else cur
                continue
            nxt = f"{cur}/{part}"
            try:
                st = os.lstat(self.host_path(nxt))
            except (FileNotFoundError, NotADirectoryError):
                return None
            except OSError as exc:
                raise FactError(path, exc.strerror or str(exc)) from exc
            if stat.S_ISLNK(st.st_mode) and (parts or follow_last):
                hops += 1
                if hops > MAX_LINKS:
                    raise FactError(path, "too many levels of symbolic links")
                target = os.readlink(self.host_path(nxt))
                cur = "" if target.startswith("/") else cur
                parts.extendleft(reversed([p for p in target.split("/") if p]))
                continue
            cur = nxt
        return cur or "/"

    def read(self, path: str, limit: int = MAX_BYTES) -> bytes | None:
        """The bytes of a regular file, None when absent; FactError when unreadable."""
        real = self.resolve(path)
        if real is None:
            return None
        flags = os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC
        try:
            fd = os.open(self.host_path(real), flags)
        except FileNotFoundError:
            return None
        except OSError as exc:
            raise FactError(path, exc.strerror or str(exc)) from exc
        try:
            if not stat.S_ISREG(os.fstat(fd).st_mode):
                raise FactError(path, "not a regular file")
            return _read_fd(fd, path, limit)
        finally:
            os.close(fd)

    def text(self, path: str) -> str | None:
        data = self.read(path)
        return None if data is None else data.decode("utf-8", "replace")

    def stat(self, path: str) -> FileStat | None:
        """Owner and mode of ``path`` itself (a final symlink is reported, not followed)."""
        parent = self.resolve(posixpath.dirname(path) or "/")
        if parent is None:
            return None
        real = posixpath.join(parent, posixpath.basename(path))
        try:
            st = os.lstat(self.host_path(real))
        except (FileNotFoundError, NotADirectoryError):
            return None
        except OSError as exc:
            raise FactError(path, exc.strerror or str(exc)) from exc
        return FileStat(path, _kind(st.st_mode), stat.S_IMODE(st.st_mode), st.st_uid, st.st_gid)

    def listdir(self, path: str) -> list[str]:
        """Sorted names in a directory; empty when it is absent."""
        real = self.resolve(path)
        if real is None:
            return []
        try:
            return sorted(os.listdir(self.host_path(real)))
        except (FileNotFoundError, NotADirectoryError):
            return []
        except OSError as exc:
            raise FactError(path, exc.strerror or str(exc)) from exc

    def glob(self, directory: str, pattern: str) -> list[str]:
        """In-root paths of entries of ``directory`` whose names match ``pattern``."""
        return [posixpath.join(directory, name) for name in self.listdir(directory)
                if fnmatch.fnmatchcase(name, pattern)]


def _read_fd(fd: int, path: str, limit: int) -> bytes:
    chunks: list[bytes] = []
    total = 0
    while True:
        try:
            chunk = os.read(fd, 65536)
        except OSError as exc:
            if exc.errno == errno.EAGAIN:
                break
            raise FactError(path, exc.strerror or str(exc)) from exc
        if not chunk:
            break
        total += len(chunk)
        if total > limit:
            raise FactError(path, f"larger than {limit} bytes")
        chunks.append(chunk)
    return b"".join(chunks)


def attempt(errors: list[FactError], func: Callable[..., T], *args: Any) -> T | None:
    """Call ``func``; a read failure is recorded in ``errors`` (it becomes an Unknown)."""
    try:
        return func(*args)
    except FactError as exc:
        errors.append(exc)
    except (OSError, EOFError, UnicodeDecodeError) as exc:  # gzip, decoding of a read file
        errors.append(FactError(str(args[-1]) if args else func.__name__, str(exc)))
    return None
