"""Path normalisation inside an image root: nothing can climb above ``/``."""

from __future__ import annotations

import posixpath


def normalize(name: str) -> str:
    """Turn a tar member name into an absolute path inside the root.

    ``./a//b/../c`` -> ``/a/c``; ``../../etc/passwd`` -> ``/etc/passwd`` (clamped);
    ``/abs`` -> ``/abs``.
    """
    parts: list[str] = []
    for part in name.replace("\\", "/").split("/"):
        if part in ("", "."):
            continue
        if part == "..":
            if parts:
                parts.pop()
            continue
        parts.append(part)
    return "/" + "/".join(parts)


def resolve_link(link_path: str, target: str) -> str:
    """Resolve a symlink target relative to the link's directory, clamped to the root."""
    if target.startswith("/"):
        return normalize(target)
    return normalize(posixpath.join(posixpath.dirname(link_path), target))


def is_under(path: str, directory: str) -> bool:
    return directory == "/" or path == directory or path.startswith(directory + "/")
