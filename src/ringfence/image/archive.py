"""Random access to the members of an (uncompressed) outer image archive."""

from __future__ import annotations

import io
import tarfile
from typing import BinaryIO

from ringfence.errors import InputError
from ringfence.layers.paths import normalize, resolve_link

MAX_MEMBERS = 1_000_000


class _Section(io.RawIOBase):
    """A read-only window [offset, offset+size) of a file, with its own handle."""

    def __init__(self, path: str, offset: int, size: int) -> None:
        self._f = open(path, "rb")  # noqa: SIM115 - closed by close()
        self._f.seek(offset)
        self._left = size

    def readable(self) -> bool:
        return True

    def readinto(self, b: bytearray | memoryview) -> int:  # type: ignore[override]
        if self._left <= 0:
            return 0
        n = self._f.readinto(memoryview(b)[: min(len(b), self._left)])
        if not n:
            raise InputError(self._f.name, "archive truncated inside a member")
        self._left -= n
        return n

    def close(self) -> None:
        self._f.close()
        super().close()


class ArchiveIndex:
    """Names -> (offset, size) for regular members; links resolved inside the archive."""

    def __init__(self, path: str) -> None:
        self.path = path
        self._members: dict[str, tuple[int, int]] = {}
        links: dict[str, str] = {}
        try:
            with tarfile.open(path, mode="r:") as tar:
                for i, m in enumerate(tar):
                    if i > MAX_MEMBERS:
                        raise InputError(path, "too many members in archive")
                    name = normalize(m.name)
                    if m.isreg():
                        self._members[name] = (m.offset_data, m.size)
                    elif m.issym():
                        links[name] = resolve_link(name, m.linkname)
                    elif m.islnk():
                        links[name] = normalize(m.linkname)
        except (tarfile.TarError, OSError) as exc:
            raise InputError(path, f"not a readable tar archive ({exc})") from exc
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

    def open(self, name: str) -> BinaryIO:
        try:
            offset, size = self._members[normalize(name)]
        except KeyError:
            raise InputError(self.path, f"archive has no member {name!r}") from None
        return io.BufferedReader(_Section(self.path, offset, size), 1 << 20)

    def read(self, name: str, limit: int) -> bytes:
        _, size = self._members.get(normalize(name), (0, -1))
        if size < 0:
            raise InputError(self.path, f"archive has no member {name!r}")
        if size > limit:
            raise InputError(self.path, f"member {name!r} larger than {limit} bytes")
        with self.open(name) as f:
            return f.read()
