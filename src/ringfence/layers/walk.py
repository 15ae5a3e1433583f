"""Stream one layer tar exactly once, safely, never extracting anything to disk."""

from __future__ import annotations

import hashlib
import zlib
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import Any, BinaryIO, Protocol

from ringfence.errors import InputError, LimitExceededError
from ringfence.image.paths import normalize
from ringfence.layers.limits import Limits as Limits  # re-exported: where callers found it
from ringfence.layers.streams import is_decompression_error
from ringfence.layers.tarstream import (
    GNU_SPARSE,
    REGTYPES,
    Member,
    TarFormatError,
    TarReader,
)

WHITEOUT_PREFIX = ".wh."
# The data of the most recently read wanted files, up to this many bytes in all, is kept
# for hardlinks later in the same layer (oldest dropped first); a link to a file no longer
# kept is resolved by a second pass (layers/analyze.py). Tar writers emit a link soon after
# its target (same directory), so a small window serves them: issue 12 measured peak memory
# driven by keeping every wanted file up to 4 MiB (55 MB of text on bullseye-big's layer 2).
RETAIN_BUDGET = 8 << 20
OPAQUE_MARKER = ".wh..wh..opq"

REG, DIR, SYMLINK, HARDLINK, WHITEOUT, OPAQUE, OTHER = (
    "file", "dir", "symlink", "hardlink", "whiteout", "opaque", "other")
TOO_LARGE, UNREADABLE = "too-large", "unreadable"


@dataclass(slots=True)
class Entry:
    """One tar member after normalisation. ``data`` is set only for wanted files.

    Treat it as read-only. Not ``frozen``: a frozen dataclass sets each field through
    ``object.__setattr__``, and one is made per tar member: 1.07 against 0.20 us, 0.09 s of
    a cold scan of 100,000 files (bench/cold_profile.py ``walk``)."""

    path: str
    kind: str
    size: int
    mode: int
    uid: int
    gid: int
    link: str | None = None
    data: bytes | None = None
    wanted: bool = False  # a cataloger asked for this path (decided once, in the walk)
    # (algorithm, hex) of a regular file's content when the walk was asked for digests
    digests: tuple[tuple[str, str], ...] = ()


Wants = Callable[[str, int], bool]


class Sniff(Protocol):
    """Files a cataloger recognises by content (compiled programs anywhere in the image).

    ``candidate`` is a cheap path + size test for a file nobody wants by path; for such a
    file the walk reads only its first ``HEAD`` bytes and reads the rest only when
    ``matches`` accepts them (the ELF magic), so deciding costs ``HEAD`` bytes per file.
    """

    def candidate(self, path: str, size: int) -> bool: ...

    def matches(self, head: bytes) -> bool: ...

    def excerpt(self, head: bytes, chunks: Iterable[bytes], size: int) -> bytes:
        """What the content catalogers need of a matched file of ``size`` bytes, from its
        ``head`` and the rest in ``chunks`` (bounded: ``catalog/elfread.py``)."""
        ...


HEAD = 16  # bytes read to decide by content (ELF e_ident)


# regular-file types (tarstream: REGTYPES and GNU sparse)
_FILE_TYPES = frozenset((*REGTYPES, GNU_SPARSE))


def _kind(member: Member, base: str) -> str:
    if base == OPAQUE_MARKER:
        return OPAQUE
    if base.startswith(WHITEOUT_PREFIX):
        return WHITEOUT
    if member.isreg():
        return REG
    if member.isdir():
        return DIR
    if member.issym():
        return SYMLINK
    if member.islnk():
        return HARDLINK
    return OTHER


def walk_tar(stream: BinaryIO, subject: str, wants: Wants, limits: Limits,
             digests: tuple[str, ...] = (), sniff: Sniff | None = None,
             retain: Callable[[str], bool] | None = None) -> Iterator[Entry]:
    """Yield every member of the tar in ``stream`` as an :class:`Entry`.

    Whiteouts are reported with the path they hide (``/a/.wh.b`` -> ``/a/b``); opaque
    markers with their directory. Hardlinks whose target was read carry its data.
    ``digests`` (hashlib names): every regular file's content is hashed with each, streamed
    in chunks when the file is not wanted (or too large to read), so size does not matter.
    ``sniff``: a regular file nobody wants by path but that is a content candidate has its
    first :data:`HEAD` bytes read; it becomes wanted when they match.
    ``retain``: whether a later hardlink to this wanted file needs its data (default: yes);
    kept within :data:`RETAIN_BUDGET`.
    """
    read_total = 0
    retained: dict[str, bytes] = {}  # insertion order: oldest first
    retained_bytes = 0
    count = 0
    max_entries = limits.max_entries
    try:
        tar = TarReader(stream)
        for member in tar:
            count += 1
            if count > max_entries:
                raise LimitExceededError(subject, f"more than {max_entries} entries")
            path = normalize(member.name)
            if retained and path in retained:  # replaced: a later link names this member
                retained_bytes -= len(retained.pop(path))
            base = path.rpartition("/")[2]
            if member.type in _FILE_TYPES and not base.startswith(WHITEOUT_PREFIX):
                kind = REG  # what _kind says, decided first: most members are such files
                wanted = wants(path, member.size)
                candidate = (not wanted and sniff is not None
                             and sniff.candidate(path, member.size))
                if not (wanted or candidate or digests):  # nobody asked for this one
                    yield Entry(path, REG, member.size, member.mode, member.uid, member.gid)
                    continue
            else:
                kind = _kind(member, base)
                wanted = kind == HARDLINK and wants(path, member.size)
                candidate = False
            if kind == WHITEOUT:
                parent = path.rsplit("/", 1)[0]
                yield Entry(normalize(parent + "/" + base[len(WHITEOUT_PREFIX):]), kind, 0,
                            member.mode, member.uid, member.gid)
                continue
            if kind == OPAQUE:
                yield Entry(path.rsplit("/", 1)[0] or "/", kind, 0, member.mode,
                            member.uid, member.gid)
                continue
            data: bytes | None = None
            link: str | None = None
            head = b""
            if candidate and sniff is not None:
                head = tar.read_head(min(HEAD, member.size))
                wanted = sniff.matches(head)
            if kind == REG and wanted and head and sniff is not None:
                # recognised by content: streamed once, only the excerpt the content
                # catalogers need is kept, and only it counts against the read budget
                named = [(a, hashlib.new(a)) for a in digests]
                for _, h in named:
                    h.update(head)
                rest = _hashed(tar.iter_data(member.size - len(head)), [h for _, h in named])
                data = sniff.excerpt(head, rest, member.size)
                for _ in rest:  # whatever the excerpt did not look at is still hashed
                    pass
                read_total += len(data)
                if read_total > limits.max_read_bytes:
                    raise LimitExceededError(
                        subject, f"wanted files exceed {limits.max_read_bytes} bytes")
                yield Entry(path, REG, member.size, member.mode, member.uid, member.gid,
                            data=data, wanted=True,
                            digests=tuple((a, h.hexdigest()) for a, h in named))
                continue
            if kind == REG and digests and not (wanted and member.size
                                                <= limits.max_file_bytes):
                named = [(a, hashlib.new(a)) for a in digests]
                for _, h in named:
                    h.update(head)
                tar.digest_data(member.size - len(head), [h for _, h in named])
                sums = tuple((a, h.hexdigest()) for a, h in named)
                yield Entry(path, TOO_LARGE if wanted else REG, member.size, member.mode,
                            member.uid, member.gid, wanted=wanted, digests=sums)
                continue
            if kind == REG and wanted:
                if member.size > limits.max_file_bytes:
                    yield Entry(path, TOO_LARGE, member.size, member.mode, member.uid,
                                member.gid, wanted=True)
                    continue
                read_total += member.size
                if read_total > limits.max_read_bytes:
                    raise LimitExceededError(
                        subject, f"wanted files exceed {limits.max_read_bytes} bytes")
                data = head + tar.read_data(member.size - len(head))
                if len(data) <= RETAIN_BUDGET and (retain is None or retain(path)):
                    retained[path] = data
                    retained_bytes += len(data)
                    while retained_bytes > RETAIN_BUDGET:
                        retained_bytes -= len(retained.pop(next(iter(retained))))
            elif kind == SYMLINK:
                link = member.linkname
            elif kind == HARDLINK:
                link = normalize(member.linkname)
                if wanted and link in retained:
                    data = retained[link]
            sums = tuple((a, hashlib.new(a, data).hexdigest()) for a in digests) \
                if data is not None and kind == REG else ()
            yield Entry(path, kind, member.size, member.mode, member.uid, member.gid,
                        link, data, wanted, sums)
    except (TarFormatError, zlib.error, EOFError, OSError) as exc:
        raise InputError(subject, f"not a readable tar stream ({exc})") from exc
    except Exception as exc:
        if is_decompression_error(exc):
            raise InputError(subject, f"corrupt compressed stream ({exc})") from exc
        raise


def _hashed(chunks: Iterator[bytes], hashers: list[Any]) -> Iterator[bytes]:
    for chunk in chunks:
        for h in hashers:
            h.update(chunk)
        yield chunk
