"""Path normalisation inside an image root: nothing can climb above ``/``."""

from __future__ import annotations

import posixpath


def normalize(name: str) -> str:
    """Turn a tar member name into an absolute path inside the root.

    ``./a//b/../c`` -> ``/a/c``; ``../../etc/passwd`` -> ``/etc/passwd`` (clamped);
    ``/abs`` -> ``/abs``.
    """
    # fast path for the usual member name (``usr/bin/x``, ``./etc/``, ``/abs``): no empty,
    # ``.`` or ``..`` segment, no backslash; the same result as the loop below, which
    # every other name takes (tests compare both on generated names)
    body = name[2:] if name.startswith("./") else name.lstrip("/")
    if body.endswith("/"):
        body = body[:-1]
    if (body and "\\" not in body and "//" not in body and body not in (".", "..")
            and not body.startswith(("./", "../", "/")) and not body.endswith(("/.", "/..", "/"))
            and "/./" not in body and "/../" not in body):
        return "/" + body
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
