"""Nix store entries: ``/nix/store/<32-char hash>-<name>-<version>[-<output>]/...``.

The package is known from the store path alone (the file content is not used); every
small file inside an entry names the same package at the same location (the entry
directory), so the merge keeps one package per store entry. Only files up to
``_MAX_PROBE`` bytes are offered, to keep the store from being read into memory; an
entry made only of larger files is missed (documented limitation)."""

from __future__ import annotations

import re

from ringfence.catalog.interface import Parsed
from ringfence.catalog.misc.common import package

_MAX_PROBE = 64 * 1024
_ENTRY = re.compile(r"^(?P<entry>(?:.*)?/nix/store/(?P<hash>[0-9a-z]{32})-(?P<rest>[^/]+))/")
_OUTPUTS = frozenset({"bin", "dev", "out", "lib", "man", "doc", "info", "debug", "static",
                      "devdoc", "devman", "py", "python"})


class NixStoreCataloger:
    name = "nix-store"
    version = "1"
    path_parts = ("/nix/store/",)  # wants() is true only for such paths

    def wants(self, path: str, size: int) -> bool:
        return size <= _MAX_PROBE and "/nix/store/" in path and _ENTRY.match(path) is not None

    def parse(self, path: str, data: bytes) -> Parsed:
        m = _ENTRY.match(path)
        parsed = split_store_name(m["rest"]) if m else None
        if m is None or parsed is None:
            return Parsed()
        name, version, output = parsed
        qualifiers = {"outputhash": m["hash"], "output": output}
        return Parsed((package(self.name, "nix", name, version, m["entry"],
                               qualifiers=qualifiers),))


def split_store_name(rest: str) -> tuple[str, str, str] | None:
    """``glibc-2.34-210-bin`` -> (glibc, 2.34-210, bin): the version starts at the first
    dash-separated part beginning with a digit; a known output name ends it."""
    parts = rest.split("-")
    output = ""
    if len(parts) > 2 and parts[-1] in _OUTPUTS:
        output = parts.pop()
    for i, part in enumerate(parts[1:], 1):
        if part[:1].isdigit():
            return "-".join(parts[:i]), "-".join(parts[i:]), output
    return None
