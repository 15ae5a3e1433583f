"""Composer: ``vendor/composer/installed.json`` (installed; v1 list or v2
``{"packages": [...]}``) and ``composer.lock`` (``packages`` only: like Syft, the
``packages-dev`` of a lock file are not reported)."""

from __future__ import annotations

import json
from typing import Any

from ringfence.catalog.interface import CatalogError, Parsed
from ringfence.catalog.licenses import normalize_all
from ringfence.catalog.misc.common import basename, package
from ringfence.model.package import Package


class ComposerInstalledCataloger:
    name = "php-composer-installed"
    version = "2"  # 2: licences normalised to SPDX (catalog/licenses.py)
    path_suffixes = ("/vendor/composer/installed.json",)  # wants() is true only for these

    def wants(self, path: str, size: int) -> bool:
        return path.endswith("/vendor/composer/installed.json")

    def parse(self, path: str, data: bytes) -> Parsed:
        doc = _load(data)
        entries = doc.get("packages") if isinstance(doc, dict) else doc
        if not isinstance(entries, list):
            raise CatalogError("installed.json holds neither a list nor a packages list")
        return _parse_entries(self.name, path, entries)


class ComposerLockCataloger:
    name = "php-composer-lock"
    version = "2"  # 2: licences normalised to SPDX (catalog/licenses.py)

    def wants(self, path: str, size: int) -> bool:
        return basename(path) == "composer.lock"

    def parse(self, path: str, data: bytes) -> Parsed:
        doc = _load(data)
        entries = doc.get("packages") if isinstance(doc, dict) else None
        if entries is None:
            entries = []
        if not isinstance(entries, list):
            raise CatalogError("composer.lock 'packages' is not a list")
        return _parse_entries(self.name, path, entries)


def _load(data: bytes) -> Any:
    try:
        return json.loads(data.decode("utf-8-sig"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise CatalogError(f"not JSON: {exc}") from exc


def _parse_entries(cataloger: str, path: str, entries: list[Any]) -> Parsed:
    packages: list[Package] = []
    problems: list[str] = []
    for i, entry in enumerate(entries):
        pkg = _package(cataloger, path, entry)
        if pkg is None:
            problems.append(f"package #{i}: no name (vendor/name) or version")
        else:
            packages.append(pkg)
    return Parsed(tuple(packages), tuple(problems))


def _package(cataloger: str, path: str, entry: Any) -> Package | None:
    if not isinstance(entry, dict):
        return None
    name, version = entry.get("name"), entry.get("version")
    if not isinstance(name, str) or not isinstance(version, str) or not version:
        return None
    vendor, sep, short = name.partition("/")
    if not sep or not vendor or not short:
        return None
    return package(cataloger, "composer", name, version, path, namespace=vendor,
                   purl_name=short, licenses=_licenses(entry.get("license")))


def _licenses(value: Any) -> tuple[str, ...]:
    if isinstance(value, str):
        return normalize_all([value])
    if isinstance(value, list):
        return normalize_all([v for v in value if isinstance(v, str)])
    return ()
