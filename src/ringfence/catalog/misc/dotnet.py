""".NET: ``*.deps.json`` — every ``libraries`` entry (``Name/Version``) of type package or
project, as Syft reports them."""

from __future__ import annotations

import json
from typing import Any

from ringfence.catalog.interface import CatalogError, Parsed
from ringfence.catalog.misc.common import package
from ringfence.model.package import Package

_TYPES = frozenset({"package", "project"})


class DotnetDepsCataloger:
    name = "dotnet-deps"
    version = "1"
    path_suffixes = (".deps.json",)  # wants() is true only for such paths

    def wants(self, path: str, size: int) -> bool:
        return path.endswith(".deps.json")

    def parse(self, path: str, data: bytes) -> Parsed:
        try:
            doc: Any = json.loads(data.decode("utf-8-sig"))
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise CatalogError(f"not JSON: {exc}") from exc
        libraries = doc.get("libraries") if isinstance(doc, dict) else None
        if not isinstance(libraries, dict):
            raise CatalogError("deps.json without a 'libraries' object")
        packages: list[Package] = []
        problems: list[str] = []
        for key, lib in libraries.items():
            kind = lib.get("type") if isinstance(lib, dict) else None
            if kind not in _TYPES:
                continue
            name, sep, version = key.partition("/")
            if not sep or not name or not version:
                problems.append(f"library {key!r}: not Name/Version")
                continue
            packages.append(package(self.name, "nuget", name, version, path,
                                    metadata={"kind": str(kind)}))
        return Parsed(tuple(packages), tuple(problems))
