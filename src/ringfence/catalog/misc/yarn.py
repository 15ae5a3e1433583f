"""``yarn.lock`` (classic v1 ``version "x"`` and berry ``version: x``): one package per
entry, named by the first descriptor of the entry's header."""

from __future__ import annotations

import re

from ringfence.catalog.interface import Parsed
from ringfence.catalog.misc.common import basename, package, text
from ringfence.model.package import Package

_VERSION = re.compile(r"^  version:?\s+\"?(?P<version>[^\"\s]+)\"?\s*$")


class YarnLockCataloger:
    name = "yarn-lock"
    version = "1"

    def wants(self, path: str, size: int) -> bool:
        return basename(path) == "yarn.lock" and "/node_modules/" not in path

    def parse(self, path: str, data: bytes) -> Parsed:
        packages: list[Package] = []
        seen: set[tuple[str, str]] = set()
        name: str | None = None
        for line in text(data).splitlines():
            if line and not line[0].isspace() and not line.startswith("#"):
                name = _header_name(line)
                continue
            m = _VERSION.match(line)
            if name is None or m is None or m["version"] == "0.0.0-use.local":
                continue
            if (name, m["version"]) not in seen:
                seen.add((name, m["version"]))
                packages.append(_npm(self.name, name, m["version"], path))
            name = None
        return Parsed(tuple(packages))


def _header_name(line: str) -> str | None:
    """``"@babel/code-frame@^7.0.0", ...:`` -> ``@babel/code-frame``."""
    first = line.rstrip(":").split(",", 1)[0].strip().strip("\"")
    if first == "__metadata":
        return None
    at = first.find("@", 1)
    return first[:at] if at > 0 else None


def _npm(cataloger: str, name: str, version: str, path: str) -> Package:
    scope, _, short = name.rpartition("/")
    return package(cataloger, "npm", name, version, path, namespace=scope or None,
                   purl_name=short)
