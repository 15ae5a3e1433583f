"""Pick one manifest of an image index for a platform (``os/arch[/variant]``)."""

from __future__ import annotations

import platform as _platform
from typing import Any

from ringfence.errors import InputError, UsageError
from ringfence.image import jsonshape as js

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
    have = set()
    for i, desc in enumerate(js.objects(index, "manifests", subject, "index.")):
        p = js.opt_obj(desc, "platform", subject, f"index.manifests[{i}].")
        fields = tuple(js.opt_str(p, k, subject, f"index.manifests[{i}].platform.")
                       for k in ("os", "architecture", "variant"))
        have.add(f"{fields[0]}/{fields[1]}")
        if fields[:2] == (os_, arch) and (variant is None or fields[2] == variant):
            candidates.append(desc)
    if not candidates:
        raise InputError(subject, f"no manifest for platform {wanted or default_platform()}"
                         f" (index has: {', '.join(sorted(have)) or 'none'})")
    return dict(candidates[0])
