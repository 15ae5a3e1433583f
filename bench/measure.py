"""Wall time, CPU time and peak RSS of one command, measured from a small launcher.

Linux keeps a process's peak RSS across exec (the forked child starts with its parent's
pages), so a command forked from a bench that has grown (decompressed layers, rendered
documents, in-process scans) reports the bench's size, the same for every tool. The
command is therefore forked from a fresh ``python -S`` interpreter, which also times it:
the launcher's own start-up is not charged to the command.
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

LAUNCHER = """import os, sys, time
start = time.perf_counter()
pid = os.fork()
if pid == 0:
    os.execvp(sys.argv[2], sys.argv[2:])
_, status, ru = os.wait4(pid, 0)
wall = time.perf_counter() - start
with open(sys.argv[1], "w") as f:
    f.write(f"{os.waitstatus_to_exitcode(status)} {wall} {ru.ru_utime + ru.ru_stime} "
            f"{ru.ru_maxrss}")
"""


@dataclass(frozen=True)
class Measured:
    code: int
    wall: float  # seconds, fork to reaped
    cpu: float  # user + system seconds of the command and its reaped children
    peak_kib: int  # the command's peak RSS (its largest process)


def measured(cmd: list[str], stdout: IO[Any] | int | None = subprocess.DEVNULL,
             stderr: IO[Any] | int | None = None,
             env: dict[str, str] | None = None) -> Measured:
    """Run ``cmd`` to completion through the launcher and return what it measured."""
    with tempfile.TemporaryDirectory() as tmp:
        stats = Path(tmp) / "stats"
        subprocess.run([sys.executable, "-S", "-c", LAUNCHER, str(stats), *cmd],
                       stdout=stdout, stderr=stderr, env=env, check=False)
        code, wall, cpu, rss = stats.read_text().split()
    return Measured(int(code), float(wall), float(cpu), int(rss))
