"""CocoaPods ``Podfile.lock``: the ``PODS:`` entries ``- Name (version)``; a subspec
``Pod/Sub`` keeps its full name and becomes the purl subpath."""

from __future__ import annotations

import re

from ringfence.catalog.interface import Parsed
from ringfence.catalog.misc.common import basename, package, text
from ringfence.model.package import Package

_POD = re.compile(r"^  - \"?(?P<name>[^\s(\"]+) \((?P<version>[^)]+)\)\"?:?\s*$")


class PodfileLockCataloger:
    name = "cocoapods-podfile-lock"
    version = "1"

    def wants(self, path: str, size: int) -> bool:
        return basename(path) == "Podfile.lock"

    def parse(self, path: str, data: bytes) -> Parsed:
        packages: list[Package] = []
        section = ""
        for line in text(data).splitlines():
            if line and not line[0].isspace():
                section = line.strip()
                continue
            if section != "PODS:":
                continue
            if m := _POD.match(line):
                root, _, sub = m["name"].partition("/")
                packages.append(package(self.name, "cocoapods", m["name"], m["version"], path,
                                        purl_name=root, subpath=sub or None))
        return Parsed(tuple(packages))
