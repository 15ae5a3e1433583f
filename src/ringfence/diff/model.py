"""Values of the drift domain: one file's state, a filesystem view, changes and reports."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

FILE, DIR, SYMLINK, OTHER = "file", "dir", "symlink", "other"
ADDED, CHANGED, DELETED = "added", "changed", "deleted"
HIGH, MEDIUM, LOW = "high", "medium", "low"
SEVERITY_ORDER = {LOW: 1, MEDIUM: 2, HIGH: 3}
# Paths the container runtime creates or bind-mounts into every container: they differ
# from the image by design, so neither side's copy is compared (podman diff hides the same).
RUNTIME_OWNED = ("/proc", "/sys", "/dev", "/run", "/etc/hostname", "/etc/hosts",
                 "/etc/resolv.conf", "/.containerenv")


@dataclass(frozen=True, slots=True)
class FileState:
    """What drift compares of one path. ``sha256`` only for regular files (None when the
    content could not be hashed); ``mode`` holds permission bits incl. setuid/setgid/sticky."""

    kind: str
    mode: int
    uid: int
    gid: int
    size: int = 0
    sha256: str | None = None
    link: str | None = None

    def to_list(self) -> list[Any]:
        return [self.kind, self.sha256, self.mode, self.uid, self.gid, self.link, self.size]

    @classmethod
    def from_list(cls, v: list[Any]) -> FileState:
        kind, sha, mode, uid, gid, link, size = v
        return cls(str(kind), int(mode), int(uid), int(gid), int(size),
                   None if sha is None else str(sha), None if link is None else str(link))


@dataclass(frozen=True)
class FsView(Mapping[str, FileState]):
    """A squashed filesystem: absolute path -> state. Paths that could not be read are
    listed in ``problems`` (path, reason) rather than dropped silently."""

    files: Mapping[str, FileState]
    problems: tuple[tuple[str, str], ...] = ()

    def __getitem__(self, path: str) -> FileState:
        return self.files[path]

    def __iter__(self) -> Iterator[str]:
        return iter(self.files)

    def __len__(self) -> int:
        return len(self.files)


@dataclass(frozen=True, slots=True)
class Change:
    """One drifted path: what happened, which attributes differ, how much it matters."""

    path: str
    change: str  # added | changed | deleted
    attributes: tuple[str, ...]  # for changed: content, mode, owner, type, link, setuid...
    severity: str
    reason: str
    before: FileState | None = None
    after: FileState | None = None

    def to_dict(self) -> dict[str, Any]:
        return {"path": self.path, "change": self.change, "attributes": list(self.attributes),
                "severity": self.severity, "reason": self.reason,
                "before": None if self.before is None else self.before.to_list(),
                "after": None if self.after is None else self.after.to_list()}


@dataclass(frozen=True, slots=True)
class DriftReport:
    changes: tuple[Change, ...]
    ignored: tuple[str, ...] = ()  # runtime-owned path prefixes left out of the comparison
    problems: tuple[tuple[str, str], ...] = field(default=())

    def counts(self) -> dict[str, int]:
        out = {ADDED: 0, CHANGED: 0, DELETED: 0}
        for c in self.changes:
            out[c.change] += 1
        return out

    def worst(self) -> str | None:
        return max((c.severity for c in self.changes), key=SEVERITY_ORDER.__getitem__,
                   default=None)

    def to_dict(self) -> dict[str, Any]:
        return {"schema": "ringfence.drift/1", "counts": self.counts(),
                "changes": [c.to_dict() for c in self.changes],
                "ignored": list(self.ignored),
                "problems": [list(p) for p in self.problems]}
