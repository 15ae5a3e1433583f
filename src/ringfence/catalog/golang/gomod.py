"""``go.mod``: ``require`` and ``replace`` directives (single lines and blocks)."""

from __future__ import annotations

import re
from dataclasses import dataclass

from ringfence.catalog.interface import CatalogError

_DIRECTIVES = ("module", "go", "toolchain", "require", "replace", "exclude", "retract",
               "godebug", "tool", "ignore")
_LOCAL = ("./", "../", "/")


@dataclass(frozen=True, slots=True)
class GoMod:
    requires: tuple[tuple[str, str], ...]
    go: str | None
    toolchain: str | None


def parse_gomod(data: bytes) -> GoMod:
    text = data.decode("utf-8", "replace")
    requires: list[tuple[str, str]] = []
    replaces: list[tuple[str, str | None, str, str]] = []
    go = toolchain = None
    for verb, args in _statements(text):
        if verb == "require" and len(args) >= 2:
            requires.append((args[0], args[1]))
        elif verb == "replace" and "=>" in args:
            i = args.index("=>")
            old, new = args[:i], args[i + 1:]
            if old and new:
                replaces.append((old[0], old[1] if len(old) > 1 else None, new[0],
                                 new[1] if len(new) > 1 else ""))
        elif verb == "go" and args:
            go = args[0]
        elif verb == "toolchain" and args:
            toolchain = args[0]
    return GoMod(tuple(_replace(requires, replaces)), go, toolchain)


def _statements(text: str) -> list[tuple[str, list[str]]]:
    out: list[tuple[str, list[str]]] = []
    block: str | None = None
    for lineno, raw in enumerate(text.splitlines(), 1):
        words = re.sub(r"//.*", "", raw).split()
        if not words:
            continue
        if block is not None:
            if words == [")"]:
                block = None
            else:
                out.append((block, words))
            continue
        if words[0] not in _DIRECTIVES:
            raise CatalogError(f"go.mod line {lineno}: unknown directive {words[0]!r}")
        if words[1:] == ["("]:
            block = words[0]
        else:
            out.append((words[0], words[1:]))
    return out


def _replace(requires: list[tuple[str, str]],
             replaces: list[tuple[str, str | None, str, str]]) -> list[tuple[str, str]]:
    """Apply replacements; a version-less ``old`` replaces every required version.

    A replacement by a local directory (``=> ./fork``) drops the module: a path on the
    build machine is not a package anyone can look up.
    """
    out: dict[tuple[str, str], None] = {}
    for path, version in requires:
        new = next(((n, nv) for o, ov, n, nv in replaces
                    if o == path and ov in (None, version)), None)
        if new is None:
            out[(path, version)] = None
        elif not new[0].startswith(_LOCAL):
            out[new] = None
    return list(out)
