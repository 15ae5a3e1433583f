"""Where a read-only container still needs to write: the tmpfs heuristic.

A tmpfs is planned, in this order, for
1. the scratch directories every program may use: ``/tmp``, ``/var/tmp``, ``/run``;
2. every declared ``VOLUME`` (a tmpfs loses its data when the container stops — mount a real
   volume for data that must survive; a tmpfs also hides what the image put there);
3. the directories known servers write (``SERVER_DIRS``: nginx's ``/var/cache/nginx``…) when
   the entrypoint runs that server or the image has the directory;
4. ``WorkingDir`` when it lies under a data root (``WRITABLE_ROOTS``: ``/var/lib``, ``/data``,
   ``/home``…) and the image put no files in it (a tmpfs would hide them); a code directory
   such as ``/app`` stays read-only;
5. every ``--writable PATH`` the user adds.
``/var/run`` and ``/var/lock`` are folded into ``/run`` (Debian-family images link them);
paths inside another planned tmpfs or already mounted writable by the spec are skipped.
"""

from __future__ import annotations

import posixpath
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from types import MappingProxyType
from typing import Final

from ringfence.harden.workload import Workload

SCRATCH: Final = ("/tmp", "/var/tmp", "/run")  # noqa: S108
WRITABLE_ROOTS: Final = ("/tmp", "/var/tmp", "/run", "/var/lib", "/var/cache", "/var/log",  # noqa: S108
                         "/var/spool", "/var/www", "/data", "/home", "/srv")
SERVER_DIRS: Final[Mapping[str, tuple[str, ...]]] = MappingProxyType({
    "nginx": ("/var/cache/nginx", "/var/lib/nginx", "/var/log/nginx"),
    "httpd": ("/usr/local/apache2/logs",),
    "httpd-foreground": ("/usr/local/apache2/logs",),
    "apache2": ("/var/log/apache2", "/var/cache/apache2"),
    "apache2-foreground": ("/var/log/apache2", "/var/cache/apache2"),
    "postgres": ("/var/lib/postgresql/data",),
    "mysqld": ("/var/lib/mysql",), "mariadbd": ("/var/lib/mysql",),
    "redis-server": ("/data",), "mongod": ("/data/db", "/data/configdb"),
    "php-fpm": ("/var/log/php-fpm",), "squid": ("/var/cache/squid", "/var/log/squid"),
})
_SHELLS: Final = frozenset({"sh", "bash", "dash", "ash"})


@dataclass(frozen=True, slots=True)
class Tmpfs:
    path: str
    reason: str


def programs(argv: Sequence[str]) -> frozenset[str]:
    """Base names of what the entrypoint runs: argv[0], the first word of ``sh -c SCRIPT``,
    and the command an entrypoint script is handed (``docker-entrypoint.sh nginx``)."""
    if not argv:
        return frozenset()
    names = {posixpath.basename(argv[0])}
    first = posixpath.basename(argv[0])
    if first in _SHELLS and len(argv) > 2 and argv[1] == "-c":
        words = [w for w in argv[2].split() if w != "exec"]
        names.update(posixpath.basename(w) for w in words[:1])
    elif (first.endswith(".sh") or "entrypoint" in first) and len(argv) > 1:
        names.add(posixpath.basename(argv[1]))
    return frozenset(names)


def normalise(path: str) -> str:
    clean = posixpath.normpath("/" + path.strip().lstrip("/"))
    for old, new in (("/var/run", "/run"), ("/var/lock", "/run/lock")):
        if clean == old or clean.startswith(old + "/"):
            return new + clean[len(old):]
    return clean


def _under(path: str, roots: Iterable[str]) -> bool:
    return any(path == r or path.startswith(r.rstrip("/") + "/") for r in roots)


def _candidates(w: Workload, extra: Sequence[str]) -> Iterator[Tmpfs]:
    for path in SCRATCH:
        yield Tmpfs(path, "scratch directory")
    for path in w.volumes:
        yield Tmpfs(path, "declared VOLUME (tmpfs: data is lost on exit; mount a volume to "
                          "keep it)")
    running = programs(w.argv)
    for prog, dirs in SERVER_DIRS.items():
        for d in dirs:
            if prog in running or (w.files is not None and d in w.files.dirs):
                yield Tmpfs(d, f"written by {prog}")
    yield from _workdir(w)
    for path in extra:
        yield Tmpfs(path, "--writable")


def _workdir(w: Workload) -> Iterator[Tmpfs]:
    wd = normalise(w.workdir) if w.workdir else ""
    if wd and wd != "/" and _under(wd, WRITABLE_ROOTS) \
            and (w.files is None or wd not in w.files.nonempty):
        yield Tmpfs(wd, "WorkingDir under a data directory")


def plan_tmpfs(w: Workload, extra: Sequence[str] = ()) -> tuple[tuple[Tmpfs, ...],
                                                                tuple[str, ...]]:
    """(tmpfs mounts, notes) for the workload; see the module docstring."""
    chosen: list[Tmpfs] = []
    notes: list[str] = []
    for cand in sorted(_candidates(w, extra), key=lambda t: normalise(t.path)):
        path = normalise(cand.path)
        if path == "/":
            notes.append(f"{cand.reason}: / cannot be a tmpfs of a read-only root")
        elif _under(path, w.mounted):
            notes.append(f"{path}: already mounted writable by the spec")
        elif not _under(path, [t.path for t in chosen]):
            chosen.append(Tmpfs(path, cand.reason))
    wd = normalise(w.workdir) if w.workdir else ""
    if wd and wd != "/" and not _under(wd, [t.path for t in chosen]):
        notes.append(f"WorkingDir {wd} stays read-only; pass --writable {wd} (or a "
                     "subdirectory) if the program writes there")
    return tuple(chosen), tuple(notes)
