"""Bundler's ``Gemfile.lock``: the ``specs:`` of the GEM, GIT, PATH and PLUGIN SOURCE
sections, read as Syft does (a spec is a line indented by exactly four spaces)."""

from __future__ import annotations

import re

from ringfence.catalog.interface import Parsed
from ringfence.catalog.misc.common import basename, package, text

_SECTIONS = frozenset({"GEM", "GIT", "PATH", "PLUGIN SOURCE"})
_SPEC = re.compile(r"^    (?P<name>[^\s(]+) \((?P<version>[^)\s]+)\)$")


class GemfileLockCataloger:
    name = "ruby-gemfile-lock"
    version = "1"

    def wants(self, path: str, size: int) -> bool:
        return basename(path) == "Gemfile.lock"

    def parse(self, path: str, data: bytes) -> Parsed:
        packages = []
        section = ""
        for line in text(data).splitlines():
            if line and not line[0].isspace():
                section = line.strip()
                continue
            if section not in _SECTIONS:
                continue
            m = _SPEC.match(line)
            if m:
                packages.append(package(self.name, "gem", m["name"], m["version"], path))
        return Parsed(tuple(packages))
