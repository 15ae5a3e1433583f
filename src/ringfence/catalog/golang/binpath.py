"""Which image paths may hold a compiled program (Go, Rust): a cheap path + size test.

Trade-off: reading every file of an image to look for ELF magic would read gigabytes, so
the predicate looks only where programs are installed — a ``bin``, ``sbin`` or ``libexec``
directory anywhere, ``/opt``, ``/app``, ``/usr/local``, or a file directly under ``/``
(operator images put ``/manager`` there) — skips names with a data/source extension,
and bounds the size. A program elsewhere (say ``/usr/lib/foo/helper``) is missed; a
large script in ``/usr/bin`` is read and rejected by the ELF magic check in ``parse``.
"""

from __future__ import annotations

from typing import Final

_DIRS: Final = frozenset({"bin", "sbin", "libexec"})
_PREFIXES: Final = ("/opt/", "/app/", "/usr/local/", "/srv/", "/ko-app/")
_NOT_PROGRAM: Final = (".so", ".a", ".o", ".py", ".pyc", ".sh", ".pl", ".rb", ".js", ".txt",
                       ".md", ".json", ".yaml", ".yml", ".xml", ".html", ".gz", ".xz", ".zip",
                       ".jar", ".h", ".c", ".go", ".rs", ".conf", ".png", ".svg", ".mo")
MAX_SIZE: Final = 512 * 1024 * 1024
ELF_MAGIC: Final = b"\x7fELF"


def maybe_program(path: str, size: int, min_size: int) -> bool:
    if not min_size <= size <= MAX_SIZE:
        return False
    head, _, base = path.rpartition("/")
    if not base or base.endswith(_NOT_PROGRAM) or ".so." in base:
        return False
    if head == "" or path.startswith(_PREFIXES):
        return True
    return any(part in _DIRS for part in head.split("/"))
