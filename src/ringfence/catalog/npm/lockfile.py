"""npm lockfiles: ``package-lock.json`` (lockfileVersion 1, 2, 3) and ``npm-shrinkwrap.json``.

v2 and v3 list every installed path under ``packages``; v1 nests ``dependencies``. A v2
file carries both, and ``packages`` is authoritative. Lockfiles declare what a build
resolved; Syft and Trivy skip them in image mode, so the packages here carry the cataloger
name ``npm-lockfile`` to keep them apart from the installed packages found in node_modules.
npm's hidden ``node_modules/.package-lock.json`` is not read: it repeats node_modules.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

from ringfence.catalog.interface import CatalogError, Parsed
from ringfence.catalog.npm.cataloger import npm_purl
from ringfence.model.package import Location, Package

_NAMES = ("/package-lock.json", "/npm-shrinkwrap.json")
_GROUPS = (("dev", "dev"), ("optional", "optional"), ("devOptional", "dev"))

Entry = tuple[str, str, frozenset[str]]  # name, version, groups (dev, optional)


class NpmLockfileCataloger:
    name = "npm-lockfile"
    version = "1"

    def wants(self, path: str, size: int) -> bool:
        return path.endswith(_NAMES)

    def parse(self, path: str, data: bytes) -> Parsed:
        doc = _object(data)
        packages = doc.get("packages")
        if isinstance(packages, dict):
            entries: Iterator[Entry] = _v2(packages)
        elif isinstance(doc.get("dependencies", {}), dict):
            entries = _v1(doc.get("dependencies", {}))
        else:
            raise CatalogError("package-lock.json without 'packages' or 'dependencies' objects")
        return Parsed(tuple(_packages(path, entries)))


def _object(data: bytes) -> dict[str, Any]:
    try:
        doc = json.loads(data)
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise CatalogError(f"not JSON: {exc}") from exc
    if not isinstance(doc, dict):
        raise CatalogError(f"expected a JSON object, found {type(doc).__name__}")
    return doc


def _groups(entry: dict[str, Any]) -> frozenset[str]:
    return frozenset(group for key, group in _GROUPS if entry.get(key) is True)


def _v2(packages: dict[str, Any]) -> Iterator[Entry]:
    for key, entry in packages.items():
        if not key or not isinstance(entry, dict) or entry.get("link"):
            continue  # "" is the project itself; links point at another entry
        version = entry.get("version")
        if not isinstance(version, str) or not version:
            continue  # git or tarball dependency without a version: nothing to match
        name = entry.get("name")
        if not isinstance(name, str) or not name:
            name = key.rpartition("node_modules/")[2] if "node_modules/" in key \
                else key.rpartition("/")[2]
        yield name, version, _groups(entry)


def _v1(deps: dict[str, Any]) -> Iterator[Entry]:
    for key, entry in deps.items():
        if not isinstance(entry, dict):
            continue
        resolved = _v1_version(key, entry.get("version"))
        if resolved is not None:
            yield resolved[0], resolved[1], _groups(entry)
        nested = entry.get("dependencies")
        if isinstance(nested, dict):
            yield from _v1(nested)


def _v1_version(key: str, version: object) -> tuple[str, str] | None:
    """``1.2.3`` or an alias ``npm:@scope/name@1.2.3``; None for git/file/URL versions."""
    if not isinstance(version, str) or not version:
        return None
    if version.startswith("npm:"):
        name, _, aliased = version[4:].rpartition("@")
        return (name, aliased) if name and aliased else None
    return None if ":" in version else (key, version)


def _packages(path: str, entries: Iterator[Entry]) -> Iterator[Package]:
    merged: dict[tuple[str, str], set[str]] = {}
    for name, version, groups in entries:
        merged.setdefault((name, version), set()).update(groups)
    for (name, version), found in merged.items():
        meta = [("lockfile", "npm")] + ([("groups", ",".join(sorted(found)))] if found else [])
        yield Package(name=name, version=version, type="npm", purl=npm_purl(name, version),
                      cataloger=NpmLockfileCataloger.name, locations=(Location(path),),
                      metadata=tuple(meta))
