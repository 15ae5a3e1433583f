"""diff_filesystems: added, changed and deleted paths of a container against its image,
each scored by what it means (like ``podman diff``, with an explanation)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from ringfence.diff.model import (
    ADDED,
    CHANGED,
    DELETED,
    DIR,
    FILE,
    HIGH,
    LOW,
    MEDIUM,
    Change,
    DriftReport,
    FileState,
    FsView,
)
from ringfence.image.paths import is_under

SYSTEM_DIRS = ("/usr/bin", "/usr/sbin", "/bin", "/sbin", "/usr/lib", "/usr/lib64", "/lib",
               "/lib64", "/usr/libexec", "/usr/local/bin", "/usr/local/sbin", "/usr/local/lib")
# files an attacker edits to keep access or gain privileges (ATT&CK T1098, T1053, T1574.006)
PERSISTENCE = ("/etc/passwd", "/etc/shadow", "/etc/group", "/etc/gshadow", "/etc/sudoers",
               "/etc/sudoers.d", "/etc/ld.so.preload", "/etc/crontab", "/etc/cron.d",
               "/var/spool/cron", "/root/.ssh", "/etc/ssh", "/etc/pam.d", "/etc/profile.d",
               "/root/.bashrc", "/root/.profile")
# path prefixes compared against, never created: S108 is about creating temp files
SCRATCH = ("/tmp", "/var/tmp", "/var/log", "/var/cache",  # noqa: S108
           "/var/lib/apt/lists", "/root/.cache")
SPECIAL = 0o6000  # setuid | setgid


def diff_filesystems(image: FsView, rootfs: FsView, ignore: Iterable[str] = ()) -> DriftReport:
    ignored = tuple(ignore)

    def keep(path: str) -> bool:
        return path != "/" and not any(is_under(path, p) for p in ignored)

    changes: list[Change] = []
    for path in sorted(set(image) | set(rootfs)):
        if not keep(path):
            continue
        before, after = image.get(path), rootfs.get(path)
        change = _classify(path, before, after)
        if change is not None:
            changes.append(change)
    problems = tuple(p for p in (*image.problems, *rootfs.problems) if keep(p[0]))
    return DriftReport(tuple(changes), ignored, problems)


def _classify(path: str, before: FileState | None, after: FileState | None) -> Change | None:
    if before is None and after is not None:
        severity, reason = _score_added(path, after)
        return Change(path, ADDED, (), severity, reason, None, after)
    if after is None and before is not None:
        severity, reason = _score_deleted(path, before)
        return Change(path, DELETED, (), severity, reason, before, None)
    assert before is not None and after is not None
    attrs = differing(before, after)
    if not attrs:
        return None
    severity, reason = _score_changed(path, before, after, attrs)
    return Change(path, CHANGED, attrs, severity, reason, before, after)


def differing(before: FileState, after: FileState) -> tuple[str, ...]:
    """Which attributes differ; -1 (an implicit parent directory) is not compared."""
    if before.kind != after.kind:
        return ("type",)
    out = []
    if before.kind == FILE and before.sha256 and after.sha256 and before.sha256 != after.sha256:
        out.append("content")
    if before.link != after.link:
        out.append("link")
    if before.mode >= 0 and before.mode != after.mode:
        out.append("mode")
        gained = after.mode & SPECIAL & ~before.mode
        if gained & 0o4000:
            out.append("setuid-gained")
        if gained & 0o2000:
            out.append("setgid-gained")
    if before.uid >= 0 and (before.uid, before.gid) != (after.uid, after.gid):
        out.append("owner")
    return tuple(out)


def _under(path: str, dirs: Iterable[str]) -> bool:
    return any(is_under(path, d) for d in dirs)


def _executable(state: FileState) -> bool:
    return state.kind == FILE and bool(state.mode & 0o111)


def _score_added(path: str, after: FileState) -> tuple[str, str]:
    if after.kind == FILE and after.mode & SPECIAL:
        return HIGH, "new setuid/setgid file: a privilege-escalation foothold"
    if _under(path, PERSISTENCE):
        return HIGH, "new file in a login, privilege or scheduling configuration"
    if _under(path, SCRATCH):
        return LOW, "new file in a scratch, log or cache directory"
    if _executable(after):
        return HIGH, "new executable not shipped in the image (dropped tool or payload)"
    if _under(path, SYSTEM_DIRS):
        return HIGH, "new file among system binaries or libraries"
    if is_under(path, "/etc"):
        return MEDIUM, "new configuration file under /etc"
    return LOW, "new file"


def _score_deleted(path: str, before: FileState) -> tuple[str, str]:
    if _under(path, SYSTEM_DIRS) or _under(path, PERSISTENCE):
        return MEDIUM, "system file removed (defence or logging tool removed?)"
    if is_under(path, "/etc"):
        return MEDIUM, "configuration file removed"
    return LOW, "file removed"


def _score_changed(path: str, before: FileState, after: FileState,
                   attrs: tuple[str, ...]) -> tuple[str, str]:
    if "setuid-gained" in attrs or "setgid-gained" in attrs:
        return HIGH, "gained the setuid/setgid bit: runs with its owner's privileges"
    if _under(path, PERSISTENCE):
        return HIGH, "login, privilege or scheduling configuration modified"
    system = _under(path, SYSTEM_DIRS) and attrs != ("mode",)
    if system or (_executable(before) and ("content" in attrs or "type" in attrs)):
        return HIGH, "system binary or library modified (trojaned or replaced)"
    if "type" in attrs or "link" in attrs:
        return MEDIUM, "replaced by a different kind of file or link target"
    if is_under(path, "/etc"):
        return MEDIUM, "configuration under /etc modified"
    if after.kind == DIR or _under(path, SCRATCH):
        return LOW, "metadata or scratch data changed"
    if "mode" in attrs and after.mode & 0o002:
        return MEDIUM, "made world-writable"
    return LOW, "file modified"


def filter_at_or_over(report: DriftReport, severity: str, order: Mapping[str, int]) -> int:
    """How many changes are at or over ``severity``."""
    floor = order[severity]
    return sum(1 for c in report.changes if order[c.severity] >= floor)
