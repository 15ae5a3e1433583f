"""Installed npm packages: ``package.json`` directly inside ``node_modules/<name>/`` or
``node_modules/@scope/<name>/``, and project ``package.json`` files outside ``node_modules``.

Image-mode behaviour of the peers (checked on the bookworm-py fixture image): Syft's
javascript-package-cataloger (glob ``**/package.json``) and Trivy's node-pkg analyzer
(every file named ``package.json``) both report the application's own ``/app/package.json``
as well as every installed package, and neither reads ``package-lock.json`` in images. We
match them for the application package.json and for node_modules/<name>/package.json; unlike
them we ignore package.json files nested deeper inside an installed package (test fixtures,
``lib/package.json`` markers), which are not installed packages.
"""

from __future__ import annotations

import json
from typing import Any

from ringfence.catalog import purls
from ringfence.catalog.interface import CatalogError, Parsed
from ringfence.catalog.licenses import normalize_all
from ringfence.model.package import Location, Package

_MANIFEST = "/package.json"
_NODE_MODULES = "/node_modules/"


class NpmCataloger:
    name = "npm"
    version = "2"  # 2: licences normalised to SPDX (catalog/licenses.py)
    path_suffixes = (_MANIFEST,)  # wants() is true only for such paths

    def wants(self, path: str, size: int) -> bool:
        if not path.endswith(_MANIFEST):
            return False
        return _NODE_MODULES not in path or installed_dir(path) is not None

    def parse(self, path: str, data: bytes) -> Parsed:
        doc = _object(data)
        name, version = doc.get("name"), doc.get("version")
        installed = _NODE_MODULES in path
        if not isinstance(name, str) or not name or not isinstance(version, str) or not version:
            if not installed:
                return Parsed()  # a project manifest without name/version is not a package
            raise CatalogError("installed package.json without a name and version")
        pkg = Package(
            name=name,
            version=version,
            type="npm",
            purl=npm_purl(name, version),
            cataloger=self.name,
            licenses=licenses(doc),
            locations=(Location(path),),
            metadata=(("role", "installed" if installed else "project"),),
        )
        return Parsed((pkg,))


def installed_dir(path: str) -> str | None:
    """``<name>`` or ``@scope/<name>`` when *path* is node_modules/<that>/package.json."""
    _, sep, rest = path[: -len(_MANIFEST)].rpartition(_NODE_MODULES)
    if not sep:
        return None
    parts = rest.split("/")
    if len(parts) == 1 and parts[0] and not parts[0].startswith((".", "@")):
        return rest
    if len(parts) == 2 and parts[0].startswith("@") and len(parts[0]) > 1 and parts[1]:
        return rest
    return None


def npm_purl(name: str, version: str) -> str:
    scope, _, bare = name.rpartition("/")
    return purls.make("npm", bare, version, scope or None)


def licenses(doc: dict[str, Any]) -> tuple[str, ...]:
    """``license`` as a string or ``{"type": …}`` object, or the legacy ``licenses`` array."""
    found: list[str] = []
    for value in (doc.get("license"), *_as_list(doc.get("licenses"))):
        if isinstance(value, dict):
            value = value.get("type")
        if isinstance(value, str) and value.strip():
            found.append(value.strip())
    return normalize_all(found)


def _as_list(value: object) -> list[object]:
    return value if isinstance(value, list) else [value] if value is not None else []


def _object(data: bytes) -> dict[str, Any]:
    try:
        doc = json.loads(data)
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise CatalogError(f"package.json is not JSON: {exc}") from exc
    if not isinstance(doc, dict):
        raise CatalogError(f"package.json holds a {type(doc).__name__}, not an object")
    return doc
