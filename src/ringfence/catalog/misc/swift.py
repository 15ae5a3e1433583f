"""Swift Package Manager ``Package.resolved`` (version 1 ``object.pins`` and versions 2/3
``pins``); a pin without a version (branch or revision pin) reports its revision."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import urlsplit

from ringfence.catalog.interface import CatalogError, Parsed
from ringfence.catalog.misc.common import basename, package
from ringfence.model.package import Package


class SwiftResolvedCataloger:
    name = "swift-package-resolved"
    version = "1"

    def wants(self, path: str, size: int) -> bool:
        return basename(path) in ("Package.resolved", ".package.resolved")

    def parse(self, path: str, data: bytes) -> Parsed:
        try:
            doc: Any = json.loads(data.decode("utf-8-sig"))
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise CatalogError(f"not JSON: {exc}") from exc
        if not isinstance(doc, dict):
            raise CatalogError("Package.resolved is not a JSON object")
        pins = doc.get("pins")
        if pins is None and isinstance(doc.get("object"), dict):
            pins = doc["object"].get("pins")
        if not isinstance(pins, list):
            raise CatalogError("Package.resolved without pins")
        packages: list[Package] = []
        problems: list[str] = []
        for i, pin in enumerate(pins):
            pkg = self._pin(path, pin)
            if pkg is None:
                problems.append(f"pin #{i}: no identity or version")
            else:
                packages.append(pkg)
        return Parsed(tuple(packages), tuple(problems))

    def _pin(self, path: str, pin: Any) -> Package | None:
        if not isinstance(pin, dict):
            return None
        name = pin.get("identity") or pin.get("package")
        state = pin.get("state")
        if not isinstance(state, dict):
            state = {}
        version = state.get("version") or state.get("revision")
        if not isinstance(name, str) or not isinstance(version, str):
            return None
        location = pin.get("location") or pin.get("repositoryURL") or ""
        return package(self.name, "swift", name, version, path,
                       namespace=_namespace(str(location)) or None)


def _namespace(url: str) -> str:
    """``https://github.com/apple/swift-numerics.git`` -> ``github.com/apple``."""
    parts = urlsplit(url)
    segments = [s for s in parts.path.split("/") if s][:-1]
    return "/".join([parts.hostname or "", *segments]).strip("/")
