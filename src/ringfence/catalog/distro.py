"""Which distribution an image is: ``os-release`` and the older release files."""

from __future__ import annotations

import shlex

from ringfence.model.inventory import Distro

# Most specific first: os-release(5) says /etc wins over /usr/lib.
RELEASE_FILES: tuple[str, ...] = (
    "/etc/os-release",
    "/usr/lib/os-release",
    "/etc/alpine-release",
    "/etc/debian_version",
    "/etc/redhat-release",
)


def wants(path: str) -> bool:
    return path in RELEASE_FILES


def parse_os_release(text: str) -> dict[str, str]:
    out: dict[str, str] = {}
    for line in text.splitlines():
        line = line.strip()
        if not line or line.startswith("#") or "=" not in line:
            continue
        key, _, value = line.partition("=")
        try:
            parts = shlex.split(value, posix=True)
        except ValueError:
            parts = [value.strip("\"'")]
        out[key.strip()] = " ".join(parts)
    return out


def parse(path: str, data: bytes) -> Distro | None:
    text = data.decode("utf-8", "replace")
    if path.endswith("os-release"):
        f = parse_os_release(text)
        if not f.get("ID"):
            return None
        return Distro(
            id=f["ID"].lower(),
            version_id=f.get("VERSION_ID"),
            version_codename=f.get("VERSION_CODENAME") or None,
            id_like=tuple(f.get("ID_LIKE", "").split()),
            pretty_name=f.get("PRETTY_NAME"),
        )
    first = text.strip().splitlines()[0] if text.strip() else ""
    if path == "/etc/alpine-release" and first:
        return Distro("alpine", first, pretty_name=f"Alpine Linux v{first}")
    if path == "/etc/debian_version" and first:
        major = first.split(".")[0]
        return Distro("debian", major if major.isdigit() else None, pretty_name=f"Debian {first}")
    if path == "/etc/redhat-release" and first:
        return Distro("rhel", None, pretty_name=first)
    return None


def choose(found: dict[str, Distro]) -> Distro | None:
    for path in RELEASE_FILES:
        if path in found:
            return found[path]
    return None
