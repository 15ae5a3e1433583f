"""Parse ``Cargo.lock`` (TOML, lock format v1-v4) into crates and their dependency ids."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from typing import Any

from ringfence.catalog.interface import CatalogError


@dataclass(frozen=True, slots=True)
class Crate:
    """One ``[[package]]`` entry; ``depends_on`` holds resolved ``name@version`` ids."""

    name: str
    version: str
    source: str | None
    depends_on: tuple[str, ...] = ()

    @property
    def id(self) -> str:
        return f"{self.name}@{self.version}"


def parse_lock(data: bytes) -> tuple[list[Crate], list[str]]:
    """Crates of a lock file and problems with single entries.

    A dependency is written ``"name"`` when only one version of ``name`` is locked and
    ``"name version"`` (optionally ``"name version (source)"``) otherwise.
    """
    try:
        doc = tomllib.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise CatalogError(f"not a TOML Cargo.lock: {exc}") from exc
    entries = doc.get("package", [])
    if not isinstance(entries, list):
        raise CatalogError("Cargo.lock: 'package' is not an array of tables")
    problems: list[str] = []
    raw: list[dict[str, Any]] = []
    for i, e in enumerate(entries):
        if isinstance(e, dict) and isinstance(e.get("name"), str) \
                and isinstance(e.get("version"), str):
            raw.append(e)
        else:
            problems.append(f"package #{i + 1}: missing name or version")
    versions: dict[str, list[str]] = {}
    for e in raw:
        versions.setdefault(e["name"], []).append(e["version"])
    crates = [Crate(e["name"], e["version"], e.get("source"),
                    tuple(_resolve(d, versions, problems) for d in e.get("dependencies", [])))
              for e in raw]
    return crates, problems


def _resolve(dep: str, versions: dict[str, list[str]], problems: list[str]) -> str:
    parts = dep.split(" ")
    name = parts[0]
    if len(parts) >= 2:
        return f"{name}@{parts[1]}"
    known = versions.get(name, [])
    if len(known) != 1:
        problems.append(f"dependency {dep!r} does not name a single locked version")
        return name
    return f"{name}@{known[0]}"
