"""FileHashAnalyzer: the squashed view of an image as {path: FileState}, gathered in the
same single pass as the catalogers (content hashed while it streams past, never held)."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from typing import Any

from ringfence.diff.model import DIR, FILE, OTHER, SYMLINK, FileState, FsView
from ringfence.layers import walk
from ringfence.layers.analyzer import SquashView
from ringfence.layers.walk import Entry

NAME = "file-hashes"
_PENDING = "hardlink"  # a hardlink whose target is in a lower layer, resolved at merge
IMPLICIT_DIR = FileState(DIR, -1, -1, -1)


def entry_state(entry: Entry) -> FileState | None:
    """The state of one walked entry (None for whiteouts, opaque markers, hardlinks)."""
    mode = entry.mode & 0o7777
    if entry.kind == walk.DIR:
        return FileState(DIR, mode, entry.uid, entry.gid)
    if entry.kind == walk.SYMLINK:
        return FileState(SYMLINK, mode, entry.uid, entry.gid, link=entry.link)
    if entry.kind in (walk.REG, walk.TOO_LARGE, walk.UNREADABLE):
        sha = dict(entry.digests).get("sha256")
        if sha is None and entry.data is not None:
            sha = hashlib.sha256(entry.data).hexdigest()
        return FileState(FILE, mode, entry.uid, entry.gid, entry.size, sha)
    if entry.kind == walk.OTHER:
        return FileState(OTHER, mode, entry.uid, entry.gid)
    return None


class _State:
    def __init__(self) -> None:
        self.files: dict[str, list[Any]] = {}

    def observe(self, entry: Entry) -> None:
        if entry.kind == walk.HARDLINK:
            target = self.files.get(entry.link or "")
            if target is not None and target[0] == FILE:
                self.files[entry.path] = list(target)  # same inode: same content and owner
            else:
                self.files[entry.path] = [_PENDING, None, entry.mode & 0o7777, entry.uid,
                                          entry.gid, entry.link, 0]
            return
        state = entry_state(entry)
        if state is not None:
            self.files[entry.path] = state.to_list()

    def facts(self) -> Any:
        return self.files


class FileHashAnalyzer:
    """Every path of every layer with type, sha256, mode, owner, link target and size."""

    name = NAME
    version = "1"
    digests = ("sha256",)  # asks the walk to hash every regular file while streaming

    def wants(self, path: str, size: int) -> bool:
        return False  # content arrives as digests; nothing is read into memory

    def new_state(self) -> _State:
        return _State()

    def merge(self, layers: Sequence[tuple[str, Any]], view: SquashView) -> FsView:
        out: dict[str, FileState] = {}
        pending: list[tuple[str, str]] = []
        for i, (_diff_id, facts) in enumerate(layers):
            for path, value in (facts or {}).items():
                if not view.visible(path, i):
                    continue
                if value[0] == _PENDING:
                    pending.append((path, str(value[5])))
                    continue
                out[path] = FileState.from_list(value)
        problems = []
        for path, target in pending:
            state = out.get(target)
            if state is not None and state.kind == FILE:
                out[path] = state
            else:
                problems.append((path, f"hardlink to {target}, which is not a regular file"))
        _add_implicit_dirs(out)
        return FsView(dict(sorted(out.items())), tuple(problems))


def _add_implicit_dirs(out: dict[str, FileState]) -> None:
    """Parents no layer listed exist in any unpacked rootfs with whatever mode the
    unpacker chose: present, attributes unknown (-1, not compared)."""
    for path in list(out):
        parent = path.rsplit("/", 1)[0]
        while parent and parent not in out:
            out[parent] = IMPLICIT_DIR
            parent = parent.rsplit("/", 1)[0]
