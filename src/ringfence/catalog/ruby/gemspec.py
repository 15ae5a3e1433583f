"""Installed gems: ``specifications/**/*.gemspec`` written by RubyGems.

A gemspec is Ruby code and is NEVER executed: like Syft and Trivy, only the literal
``x.name = "..."``, ``x.version = "..."`` and ``x.licenses = [...]`` assignments of a
``Gem::Specification.new do |x|`` block are read with regular expressions.
"""

from __future__ import annotations

import re

from ringfence.catalog.interface import CatalogError, Parsed
from ringfence.catalog.licenses import normalize_all
from ringfence.catalog.misc.common import package

# `s.name = "bundler".freeze` / `spec.version = '1.0'` (any block variable name).
_ASSIGN = r"^\s*\w+\.{field}\s*=\s*(?P<q>[\"'])(?P<value>[^\"'\n]*)(?P=q)"
_NAME = re.compile(_ASSIGN.format(field="name"), re.MULTILINE)
_VERSION = re.compile(_ASSIGN.format(field="version"), re.MULTILINE)
_LICENSE = re.compile(_ASSIGN.format(field="license"), re.MULTILINE)
_LICENSES = re.compile(r"^\s*\w+\.licenses\s*=\s*\[(?P<list>[^\]\n]*)\]", re.MULTILINE)
_QUOTED = re.compile(r"[\"']([^\"']+)[\"']")


class GemspecCataloger:
    name = "ruby-gemspec"
    version = "3"  # 2: NUL bytes tolerated (default gems); 3: licences normalised
    path_suffixes = (".gemspec",)  # wants() is true only for such paths

    def wants(self, path: str, size: int) -> bool:
        return path.endswith(".gemspec") and "/specifications/" in path

    def parse(self, path: str, data: bytes) -> Parsed:
        # Default gems' specs (``specifications/default``) written by Ruby's installer can
        # hold NUL bytes (binary file lists); the literal assignments are still there, so
        # NUL is not taken as "not a text file" here, as common.text does for other files.
        source = data.decode("utf-8-sig", "replace")
        name, version = _NAME.search(source), _VERSION.search(source)
        if name is None or version is None:
            raise CatalogError("gemspec without literal name and version assignments")
        if not name["value"] or not version["value"]:
            raise CatalogError("gemspec with an empty name or version")
        pkg = package(self.name, "gem", name["value"], version["value"], path,
                      licenses=_licenses(source))
        return Parsed((pkg,))


def _licenses(source: str) -> tuple[str, ...]:
    found: list[str] = []
    if m := _LICENSES.search(source):
        found.extend(_QUOTED.findall(m["list"]))
    if m := _LICENSE.search(source):
        found.append(m["value"])
    return normalize_all(found)
