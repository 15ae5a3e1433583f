"""Parse ``strace -f -qq --pidns-translation -o LOG`` output into the syscalls a container
made after its runtime installed the seccomp filter: the runtime's own tail (filter → exec of
the workload) and the workload's (the exec onward, with every child it forks).
Pure: text in, sets out.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Final

_CALL: Final = re.compile(r"^(\d+)\s+(?:<\.\.\. (\w+) resumed>|(\w+)\()")
# with --pidns-translation a pid inside the container reads "= 7 /* 21379 in strace's PID NS */"
_RETURN: Final = re.compile(r"=\s+(\d+)(?: /\* (\d+) in strace's PID NS \*/)?(?:\s.*)?$")
_SUPERSEDED: Final = re.compile(r"^(\d+)\s+\+\+\+ superseded by execve in pid (\d+)")
# runc (Go) prctl(PR_SET_SECCOMP); libseccomp (crun) seccomp(SET_MODE_FILTER, flags, {prog})
_INSTALL: Final = re.compile(r"prctl\(PR_SET_SECCOMP, SECCOMP_MODE_FILTER|"
                             r"seccomp\(SECCOMP_SET_MODE_FILTER, [^,]*, \{")
_FORKS: Final = frozenset({"clone", "clone3", "fork", "vfork"})


@dataclass(frozen=True, slots=True)
class Observed:
    """Syscall names seen: the runtime's after its filter, and the workload's."""

    runtime: frozenset[str]
    workload: frozenset[str]
    filter_seen: bool

    @property
    def all(self) -> frozenset[str]:
        return self.runtime | self.workload


@dataclass(frozen=True, slots=True)
class _Line:
    index: int
    pid: int
    name: str
    text: str
    resumed: bool  # the end of a call already counted at its start


def _lines(text: str) -> Iterator[_Line]:
    for index, raw in enumerate(text.splitlines()):
        if m := _CALL.match(raw):
            yield _Line(index, int(m[1]), m[2] or m[3], raw, m[2] is not None)


def _children(lines: list[_Line], after: int) -> dict[int, set[int]]:
    """pid → pids it forked (or became by a non-leader execve) at or after line ``after``."""
    kids: dict[int, set[int]] = {}
    for line in lines:
        if line.index >= after and line.name in _FORKS and (m := _RETURN.search(line.text)):
            kids.setdefault(line.pid, set()).add(int(m[2] or m[1]))
    return kids


def _closure(root: int, kids: dict[int, set[int]], renames: dict[int, int]) -> set[int]:
    seen, todo = set(), [root]
    while todo:
        pid = todo.pop()
        if pid not in seen:
            seen.add(pid)
            todo.extend(kids.get(pid, ()))
            todo.extend(new for new, old in renames.items() if old == pid)
    return seen


def _renames(text: str) -> dict[int, int]:
    """leader pid → thread pid that took its place by execve."""
    return {int(m[1]): int(m[2]) for m in map(_SUPERSEDED.match, text.splitlines()) if m}


def parse_container_trace(text: str) -> Observed:
    """Split a traced ``runc run`` / ``crun run`` at the last filter install."""
    lines = list(_lines(text))
    installs = [ln for ln in lines if _INSTALL.search(ln.text)]
    if not installs:
        return Observed(frozenset(), frozenset(), False)
    start = installs[-1]
    pids = _closure(start.pid, _children(lines, start.index), _renames(text))
    runtime: set[str] = set()
    workload: set[str] = set()
    execd = False
    for line in lines:
        if line.index <= start.index or line.pid not in pids or line.resumed:
            continue
        if not execd and line.pid == start.pid and line.name == "execve":
            runtime.add("execve")
            execd = " = 0" in line.text or "<unfinished" in line.text
            continue
        (workload if execd else runtime).add(line.name)
    return Observed(frozenset(runtime), frozenset(workload), True)


def parse_command_trace(text: str) -> Observed:
    """Every syscall of a traced command and its children (strace starts at its execve)."""
    return Observed(frozenset(), frozenset(line.name for line in _lines(text)
                                               if not line.resumed), False)
