"""Where the inventory store lives: ``--store URL``, ``RINGFENCE_STORE`` or the default file."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Final

from ringfence.errors import UsageError

ENV: Final = "RINGFENCE_STORE"


@dataclass(frozen=True, slots=True)
class StoreUrl:
    """``dialect`` is ``sqlite`` (``target`` a file path) or ``postgresql`` (a libpq URI)."""

    dialect: str
    target: str

    def display(self) -> str:
        """The URL without a password (for messages)."""
        if self.dialect == "sqlite":
            return self.target
        from urllib.parse import urlsplit, urlunsplit

        parts = urlsplit(self.target)
        if parts.password is None:
            return self.target
        netloc = parts.netloc.replace(f":{parts.password}@", ":***@", 1)
        return urlunsplit(parts._replace(netloc=netloc))


def default_path() -> Path:
    base = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(base) / "ringfence" / "inventory.sqlite"


def resolve(url: str | None) -> StoreUrl:
    """The store named by ``url``, else ``$RINGFENCE_STORE``, else the default SQLite file.

    ``sqlite:///PATH`` follows SQLAlchemy's convention (three slashes then the path, so an
    absolute path has four); ``postgresql://…`` / ``postgres://…`` is handed to libpq as is
    (``postgresql:///db?host=/socket/dir`` for a unix socket)."""
    text = url or os.environ.get(ENV) or ""
    if not text:
        return StoreUrl("sqlite", str(default_path()))
    if text.startswith("sqlite:///"):
        path = text[len("sqlite:///"):]
        if not path:
            raise UsageError(text, "sqlite store URL without a path",
                             hint="sqlite:///relative/file or sqlite:////absolute/file")
        return StoreUrl("sqlite", path)
    if text.startswith(("postgresql://", "postgres://")):
        return StoreUrl("postgresql", text)
    raise UsageError(text, "unsupported store URL",
                     hint="sqlite:///PATH or postgresql://… (libpq URI)")
