"""Random access to the members of an (uncompressed) outer image archive."""

from __future__ import annotations

import io
import tarfile
from typing import BinaryIO

from ringfence.errors import InputError, LimitExceededError
from ringfence.image.paths import normalize, resolve_link
from ringfence.image.safeio import identity, open_regular

# An image archive holds a manifest, a config and one file per layer (the old docker save
# format three per layer, plus directories); tarfile keeps every member it has read in
# memory, so a cap on members is a cap on memory.
MAX_MEMBERS = 100_000


class _Section(io.RawIOBase):
    """A read-only window [offset, offset+size) of a file, with its own handle."""

    def __init__(self, path: str, offset: int, size: int, subject: str) -> None:
        self._f = open_regular(path, subject)
        self._f.seek(offset)
        self._offset = offset
        self._size = size
        self._left = size
        self._subject = subject

    def readable(self) -> bool:
        return True

    def identity(self) -> str | None:
        return identity(self._f.fileno(), self._offset, self._size)

    def readinto(self, b: bytearray | memoryview) -> int:  # type: ignore[override]
        if self._left <= 0:
            return 0
        n: int = self._f.readinto(memoryview(b)[: min(len(b), self._left)])  # type: ignore[attr-defined]
        if not n:
            raise InputError(self._subject, "archive truncated inside a member")
        self._left -= n
        return n

    def close(self) -> None:
        self._f.close()
        super().close()


class ArchiveIndex:
    """Names -> (offset, size) for regular members; links resolved inside the archive."""

    def __init__(self, path: str, subject: str | None = None) -> None:
        self.path = path
        self.subject = subject or path
        self._members: dict[str, tuple[int, int]] = {}
        links: dict[str, str] = {}
        with open_regular(path, self.subject) as f:
            try:
                with tarfile.open(fileobj=f, mode="r:") as tar:
                    for i, m in enumerate(tar):
                        if i >= MAX_MEMBERS:
                            raise LimitExceededError(self.subject, "more than "
                                                     f"{MAX_MEMBERS} members in archive")
                        name = normalize(m.name)
                        if m.isreg():
                            if m.size < 0:
                                raise InputError(self.subject, f"member {name!r} declares "
                                                 f"size {m.size}")
                            self._members[name] = (m.offset_data, m.size)
                        elif m.issym():
                            links[name] = resolve_link(name, m.linkname)
                        elif m.islnk():
                            links[name] = normalize(m.linkname)
            except (tarfile.TarError, OSError, ValueError, EOFError) as exc:
                raise InputError(self.subject, f"not a readable tar archive ({exc})") from exc
        for name, target in links.items():
            for _ in range(16):
                if target in self._members:
                    self._members[name] = self._members[target]
                    break
                if target not in links:
                    break
                target = links[target]

    def has(self, name: str) -> bool:
        return normalize(name) in self._members

    def _section(self, name: str) -> _Section:
        try:
            offset, size = self._members[normalize(name)]
        except KeyError:
            raise InputError(self.subject, f"archive has no member {name!r}") from None
        return _Section(self.path, offset, size, f"{self.subject} member {name}")

    def open(self, name: str) -> BinaryIO:
        return io.BufferedReader(self._section(name), 1 << 20)

    def identity(self, name: str) -> str | None:
        with self._section(name) as section:
            return section.identity()

    def read(self, name: str, limit: int) -> bytes:
        _, size = self._members.get(normalize(name), (0, -1))
        if size < 0:
            raise InputError(self.subject, f"archive has no member {name!r}")
        if size > limit:
            raise InputError(self.subject, f"member {name!r} larger than {limit} bytes")
        with self.open(name) as f:
            return f.read()
