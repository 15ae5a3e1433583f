"""Haskell: ``stack.yaml`` extra-deps, ``stack.yaml.lock`` completed hackage entries and
``cabal.project.freeze`` ``any.name ==version`` constraints (as Syft reads them)."""

from __future__ import annotations

import re

from ringfence.catalog.interface import Parsed
from ringfence.catalog.misc.common import basename, package, text
from ringfence.model.package import Package

_LOCK = re.compile(r"^\s+hackage:\s*(?P<spec>[^@\s]+)", re.MULTILINE)
_EXTRA = re.compile(r"^\s*-\s*(?P<spec>[A-Za-z0-9][\w.-]*-\d[\d.]*)(?:@\S*)?\s*$")
_FREEZE = re.compile(r"any\.(?P<name>[A-Za-z0-9][\w.-]*)\s*==\s*(?P<version>[\d.]+)")


def _split(cataloger: str, spec: str, path: str) -> Package | None:
    """``HTTP-4000.3.16`` -> HTTP 4000.3.16 (the version is the last dash component)."""
    name, sep, version = spec.rpartition("-")
    if not sep or not name or not version[:1].isdigit():
        return None
    return package(cataloger, "hackage", name, version, path)


class StackLockCataloger:
    name = "haskell-stack-lock"
    version = "1"

    def wants(self, path: str, size: int) -> bool:
        return basename(path) == "stack.yaml.lock"

    def parse(self, path: str, data: bytes) -> Parsed:
        source = text(data)
        completed = source.split("packages:", 1)[-1].split("\nsnapshots:", 1)[0]
        specs = dict.fromkeys(m["spec"] for m in _LOCK.finditer(completed))
        found = (_split(self.name, s, path) for s in specs)
        return Parsed(tuple(p for p in found if p is not None))


class StackYamlCataloger:
    name = "haskell-stack-yaml"
    version = "1"

    def wants(self, path: str, size: int) -> bool:
        return basename(path) == "stack.yaml"

    def parse(self, path: str, data: bytes) -> Parsed:
        packages: list[Package] = []
        in_extra = False
        for line in text(data).splitlines():
            if line and not line[0].isspace() and not line.startswith("-"):
                in_extra = line.startswith("extra-deps:")
                continue
            if in_extra and (m := _EXTRA.match(line)):
                pkg = _split(self.name, m["spec"], path)
                if pkg is not None:
                    packages.append(pkg)
        return Parsed(tuple(packages))


class CabalFreezeCataloger:
    name = "haskell-cabal-freeze"
    version = "1"

    def wants(self, path: str, size: int) -> bool:
        return basename(path) == "cabal.project.freeze"

    def parse(self, path: str, data: bytes) -> Parsed:
        found = _FREEZE.finditer(text(data))
        return Parsed(tuple(package(self.name, "hackage", m["name"], m["version"], path)
                            for m in found))
