"""Arch Linux pacman: ``/var/lib/pacman/local/<name>-<version>/desc`` (``%KEY%`` blocks)."""

from __future__ import annotations

from ringfence.catalog.interface import CatalogError, Parsed
from ringfence.catalog.misc.common import package, text


class AlpmCataloger:
    name = "alpm"
    version = "2"  # 2: licences normalised (catalog/licenses.py)
    path_suffixes = ("/desc",)  # wants() is true only for such paths

    def wants(self, path: str, size: int) -> bool:
        return path.endswith("/desc") and "/var/lib/pacman/local/" in path

    def parse(self, path: str, data: bytes) -> Parsed:
        fields = desc_fields(text(data))
        name, version = _one(fields, "NAME"), _one(fields, "VERSION")
        if not name or not version:
            raise CatalogError("pacman desc without %NAME% and %VERSION%")
        arch = _one(fields, "ARCH") or None
        base = _one(fields, "BASE")
        qualifiers = {"arch": arch or "", "upstream": base if base != name else ""}
        pkg = package(self.name, "alpm", name, version, path, namespace="archlinux",
                      qualifiers=qualifiers, arch=arch, licenses=fields.get("LICENSE", ()),
                      metadata={"base": base} if base else None)
        return Parsed((pkg,))


def desc_fields(source: str) -> dict[str, tuple[str, ...]]:
    """``%KEY%`` header lines, each followed by value lines up to a blank line."""
    fields: dict[str, list[str]] = {}
    key: str | None = None
    for line in source.splitlines():
        stripped = line.strip()
        if len(stripped) > 2 and stripped.startswith("%") and stripped.endswith("%"):
            key = stripped[1:-1]
            fields.setdefault(key, [])
        elif not stripped:
            key = None
        elif key is not None:
            fields[key].append(stripped)
    return {k: tuple(v) for k, v in fields.items()}


def _one(fields: dict[str, tuple[str, ...]], key: str) -> str:
    values = fields.get(key, ())
    return values[0] if values else ""
