"""Frozen values passed between stages. No I/O here.

The names below are loaded on first use (PEP 562 ``__getattr__``), not when the package
is: importing one model module (``ringfence.model.finding`` for a severity) runs this file
first, and loading every dataclass module here cost a warm ``sbom`` ~15 ms of start-up for
advisories and matches it never uses. Import from the defining module in new code.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ringfence.model.advisory import (
        Advisory,
        Affected,
        AffectedRange,
        Event,
        VulnerabilityMatch,
    )
    from ringfence.model.finding import Finding, Rule, Severity
    from ringfence.model.image import ImageInfo, ImageRef, LayerInfo
    from ringfence.model.inventory import Distro, Inventory
    from ringfence.model.package import Location, Package
    from ringfence.model.result import ScanResult, Target
    from ringfence.model.unknown import Unknown

# name -> the module that defines it (the names of __all__)
_HOME = {
    "Advisory": "advisory", "Affected": "advisory", "AffectedRange": "advisory",
    "Event": "advisory", "VulnerabilityMatch": "advisory",
    "Finding": "finding", "Rule": "finding", "Severity": "finding",
    "ImageInfo": "image", "ImageRef": "image", "LayerInfo": "image",
    "Distro": "inventory", "Inventory": "inventory",
    "Location": "package", "Package": "package",
    "ScanResult": "result", "Target": "result",
    "Unknown": "unknown",
}

__all__ = [
    "Advisory",
    "Affected",
    "AffectedRange",
    "Distro",
    "Event",
    "Finding",
    "ImageInfo",
    "ImageRef",
    "Inventory",
    "LayerInfo",
    "Location",
    "Package",
    "Rule",
    "ScanResult",
    "Severity",
    "Target",
    "Unknown",
    "VulnerabilityMatch",
]


def __getattr__(name: str) -> Any:
    home = _HOME.get(name)
    if home is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f"{__name__}.{home}"), name)
    globals()[name] = value  # once
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})
