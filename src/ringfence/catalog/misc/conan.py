"""C/C++ Conan ``conanfile.txt``: the ``[requires]`` references ``name/version[@user/channel]``."""

from __future__ import annotations

import re

from ringfence.catalog.interface import Parsed
from ringfence.catalog.misc.common import basename, package, text
from ringfence.model.package import Package

_REF = re.compile(r"^(?P<name>[\w.+-]+)/(?P<version>[^@#\s]+)")


class ConanfileCataloger:
    name = "conan-conanfile"
    version = "1"

    def wants(self, path: str, size: int) -> bool:
        return basename(path) == "conanfile.txt"

    def parse(self, path: str, data: bytes) -> Parsed:
        packages: list[Package] = []
        section = ""
        for raw in text(data).splitlines():
            line = raw.split("#", 1)[0].strip()
            if line.startswith("[") and line.endswith("]"):
                section = line
                continue
            if section == "[requires]" and (m := _REF.match(line)):
                packages.append(package(self.name, "conan", m["name"], m["version"], path))
        return Parsed(tuple(packages))
