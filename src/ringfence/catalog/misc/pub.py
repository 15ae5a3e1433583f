"""Dart: ``pubspec.lock`` (YAML written by pub, read line by line: each package is a
two-space key under ``packages:`` with a four-space ``version:``)."""

from __future__ import annotations

import re

from ringfence.catalog.interface import Parsed
from ringfence.catalog.misc.common import basename, package, text
from ringfence.model.package import Package

_NAME = re.compile(r"^  (?P<name>[A-Za-z0-9_.-]+):\s*$")
_VERSION = re.compile(r"^    version:\s*[\"']?(?P<version>[^\"'\s]+)[\"']?\s*$")


class PubspecLockCataloger:
    name = "dart-pubspec-lock"
    version = "1"

    def wants(self, path: str, size: int) -> bool:
        return basename(path) == "pubspec.lock"

    def parse(self, path: str, data: bytes) -> Parsed:
        packages: list[Package] = []
        in_packages = False
        current: str | None = None
        for line in text(data).splitlines():
            if line and not line[0].isspace():
                in_packages, current = line.rstrip() == "packages:", None
                continue
            if not in_packages:
                continue
            if m := _NAME.match(line):
                current = m["name"]
            elif current and (m := _VERSION.match(line)):
                packages.append(package(self.name, "pub", current, m["version"], path))
                current = None
        return Parsed(tuple(packages))
