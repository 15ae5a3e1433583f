"""Helpers shared by the small catalogers: decoding, path tests and one package builder."""

from __future__ import annotations

from collections.abc import Iterable

from ringfence.catalog import purls
from ringfence.catalog.interface import CatalogError
from ringfence.catalog.licenses import normalize_all
from ringfence.model.package import Location, Package


def text(data: bytes) -> str:
    """Decode a text file (UTF-8, with a BOM tolerated); binary junk is a CatalogError."""
    if b"\x00" in data[:4096]:
        raise CatalogError("binary data where a text file was expected")
    return data.decode("utf-8-sig", "replace")


def basename(path: str) -> str:
    return path.rsplit("/", 1)[-1]


def parent(path: str) -> str:
    """The name of the directory holding ``path``."""
    parts = path.rsplit("/", 2)
    return parts[-2] if len(parts) >= 2 else ""


def package(cataloger: str, type_: str, name: str, version: str, path: str, *,
            namespace: str | None = None, purl_name: str | None = None,
            qualifiers: dict[str, str] | None = None, subpath: str | None = None,
            licenses: Iterable[str] = (), arch: str | None = None,
            metadata: dict[str, str] | None = None) -> Package:
    """One package found at ``path``; ``purl_name`` overrides the name used in the purl.
    ``licenses`` as the metadata declares them: normalised like every cataloger's
    (catalog/licenses.py), a name kept as written."""
    return Package(
        name=name,
        version=version,
        type=type_,
        purl=purls.make(type_, purl_name or name, version, namespace, qualifiers, subpath),
        cataloger=cataloger,
        arch=arch,
        licenses=normalize_all(list(licenses)),
        locations=(Location(path),),
        metadata=tuple(sorted((metadata or {}).items())),
    )
