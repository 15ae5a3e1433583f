"""Pick one manifest of an image index for a platform (``os/arch[/variant]``)."""

from __future__ import annotations

import platform as _platform
from typing import Any

from ringfence.errors import InputError, UsageError

_ARCH = {"x86_64": "amd64", "aarch64": "arm64", "armv7l": "arm", "i686": "386",
         "ppc64le": "ppc64le", "s390x": "s390x"}


def default_platform() -> str:
    machine = _platform.machine()
    return f"linux/{_ARCH.get(machine, machine)}"


def parse_platform(text: str) -> tuple[str, str, str | None]:
    parts = text.split("/")
    if len(parts) not in (2, 3) or not all(parts):
        raise UsageError(text, "platform must be OS/ARCH[/VARIANT], e.g. linux/amd64")
    return parts[0], parts[1], parts[2] if len(parts) == 3 else None


def choose(index: dict[str, Any], wanted: str | None, subject: str) -> dict[str, Any]:
    """Return the descriptor in ``index`` matching ``wanted`` (default: this machine)."""
    os_, arch, variant = parse_platform(wanted or default_platform())
    candidates = []
    for desc in index.get("manifests", []):
        p = desc.get("platform") or {}
        if p.get("os") == os_ and p.get("architecture") == arch and (
                variant is None or p.get("variant") == variant):
            candidates.append(desc)
    if not candidates:
        have = sorted({f"{(d.get('platform') or {}).get('os')}/"
                       f"{(d.get('platform') or {}).get('architecture')}"
                       for d in index.get("manifests", [])})
        raise InputError(subject, f"no manifest for platform {wanted or default_platform()}"
                         f" (index has: {', '.join(have) or 'none'})")
    return dict(candidates[0])
