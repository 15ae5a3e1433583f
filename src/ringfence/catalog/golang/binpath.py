"""Which image files may hold a compiled program (Go, Rust): a cheap path + size test.

Programs are recognised by content wherever they are (CNI plugins under ``/usr/lib/cni``,
helpers under ``/usr/lib/<pkg>/``): catalogers using this predicate declare the ELF magic
(``magic``), so the layer walk reads only the first bytes of each candidate and the whole
file only when it is ELF (``layers/walk.py`` Sniff). The predicate skips names with a
data/source/shared-library extension and bounds the size, so most files cost nothing.
"""

from __future__ import annotations

from typing import Final

_NOT_PROGRAM: Final = (".so", ".a", ".o", ".py", ".pyc", ".sh", ".pl", ".rb", ".js", ".txt",
                       ".md", ".json", ".yaml", ".yml", ".xml", ".html", ".gz", ".xz", ".zip",
                       ".jar", ".h", ".c", ".go", ".rs", ".conf", ".png", ".svg", ".mo", ".ko",
                       ".ttf", ".jpg", ".gif", ".pem", ".crt", ".db", ".pak", ".dat", ".bin",
                       ".tar", ".bz2", ".zst", ".whl", ".war", ".ear", ".pdf", ".css")
MAX_SIZE: Final = 512 * 1024 * 1024
ELF_MAGIC: Final = b"\x7fELF"


def maybe_program(path: str, size: int, min_size: int) -> bool:
    if not min_size <= size <= MAX_SIZE:
        return False
    base = path.rpartition("/")[2]
    return bool(base) and not base.endswith(_NOT_PROGRAM) and ".so." not in base
