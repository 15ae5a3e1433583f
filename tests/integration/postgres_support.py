"""A real PostgreSQL (Debian's ``postgresql`` 15) for the store tests: ``initdb`` on a
temp dir (as the ``postgres`` user when run as root: initdb refuses root), a unix socket
in that dir and no TCP listener; ``pg_ctl stop`` in ``finally``."""

from __future__ import annotations

import glob
import os
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


def bindir() -> Path | None:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
    return Path(found[-1]).parent if found else None


def _run(argv: list[str]) -> None:
    if os.geteuid() == 0:
        import shlex

        argv = ["su", "-s", "/bin/sh", "postgres", "-c", shlex.join(argv)]
    subprocess.run(argv, check=True, capture_output=True, timeout=120)


@contextmanager
def postgres_server() -> Iterator[str]:
    """A running server; yields the socket directory (connect with ``host=DIR``)."""
    bins = bindir()
    if bins is None:
        raise RuntimeError("PostgreSQL is not installed (Debian package postgresql, .ci/deps)")
    root = Path(tempfile.mkdtemp(prefix="rf-pg-"))
    data, sock = root / "data", root / "sock"
    sock.mkdir()
    if os.geteuid() == 0:
        shutil.chown(root, "postgres")
        shutil.chown(sock, "postgres")
    started = False
    try:
        _run([str(bins / "initdb"), "-D", str(data), "-A", "trust", "-U", "rf",
              "--no-sync"])
        _run([str(bins / "pg_ctl"), "-D", str(data), "-l", str(root / "log"), "-w", "-o",
              f"-k {sock} -c listen_addresses= -c fsync=off", "start"])
        started = True
        yield str(sock)
    finally:
        if started:
            _run([str(bins / "pg_ctl"), "-D", str(data), "-m", "fast", "-w", "stop"])
        shutil.rmtree(root, ignore_errors=True)


def create_database(sock: str, name: str) -> str:
    """A new empty database; its libpq URL."""
    import psycopg

    with psycopg.connect(f"postgresql:///postgres?host={sock}&user=rf",
                         autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    return f"postgresql:///{name}?host={sock}&user=rf"
