"""Hex packages of Elixir ``mix.lock`` and Erlang ``rebar.lock`` (git dependencies are
not Hex packages and are not reported, as in Syft)."""

from __future__ import annotations

import re

from ringfence.catalog.interface import Parsed
from ringfence.catalog.misc.common import basename, package, text

_MIX = re.compile(r"^\s*\"(?P<name>[^\"]+)\":\s*\{:hex,\s*:[^,]+,\s*\"(?P<version>[^\"]+)\"",
                  re.MULTILINE)
_REBAR = re.compile(r"\{<<\"(?P<name>[^\"]+)\">>,\s*\{pkg,\s*<<\"[^\"]+\">>,\s*"
                    r"<<\"(?P<version>[^\"]+)\">>")


class MixLockCataloger:
    name = "elixir-mix-lock"
    version = "1"

    def wants(self, path: str, size: int) -> bool:
        return basename(path) == "mix.lock"

    def parse(self, path: str, data: bytes) -> Parsed:
        found = _MIX.finditer(text(data))
        return Parsed(tuple(package(self.name, "hex", m["name"], m["version"], path)
                            for m in found))


class RebarLockCataloger:
    name = "erlang-rebar-lock"
    version = "1"

    def wants(self, path: str, size: int) -> bool:
        return basename(path) == "rebar.lock"

    def parse(self, path: str, data: bytes) -> Parsed:
        found = _REBAR.finditer(text(data))
        return Parsed(tuple(package(self.name, "hex", m["name"], m["version"], path)
                            for m in found))
