"""Loader of tests/cases/HOST-*/{good,bad}: each case is a small fake host root.

Git keeps neither sockets, file modes nor owners, so a case may hold a ``MODES`` file
(``PATH MODE [socket] [uid=N]`` per line): the case is copied to a temporary root, real
unix sockets are created and modes (and owners: the tests run as root) applied there, then
the facts are gathered with the root declared live (its /proc and /sys stand for the
running kernel's) unless it holds a ``MOUNTED`` file.
"""

from __future__ import annotations

import os
import shutil
import socket
import tempfile
from pathlib import Path

from ringfence.host.gather import gather_host_facts
from ringfence.host.model import HostFacts


def make_socket(path: Path, mode: int) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
        sock.bind(str(path))
    path.chmod(mode)


def apply_modes(root: Path, modes: str) -> None:
    for line in modes.splitlines():
        fields = line.split()
        if not fields:
            continue
        path, mode, extra = root / fields[0], int(fields[1], 8), fields[2:]
        if "socket" in extra:
            make_socket(path, mode)
        else:
            path.chmod(mode)
        for uid in (int(f[4:]) for f in extra if f.startswith("uid=")):
            os.chown(path, uid, -1, follow_symlinks=False)


# loader metadata in a case, not part of the host root: MODES (above) and MOUNTED, whose
# presence makes the case a mounted root (not live: configured sysctls, no /proc or /sys)
LOADER_FILES = ("MODES", "MOUNTED")


def load_host_case(case: Path) -> HostFacts:
    with tempfile.TemporaryDirectory(prefix="hostcase") as tmp:
        root = Path(tmp) / "root"
        shutil.copytree(case, root, ignore=shutil.ignore_patterns(*LOADER_FILES))
        modes = case / "MODES"
        if modes.exists():
            apply_modes(root, modes.read_text())
        return gather_host_facts(root, live=not (case / "MOUNTED").exists())
