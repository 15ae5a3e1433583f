"""cargo-auditable: the zlib-compressed JSON dependency list in the ELF section ``.dep-v0``.

Format (rust-secure-code/cargo-auditable, ``auditable-serde``): ``{"packages": [{"name",
"version", "source", "kind", "dependencies": [indices], "root"}]}``.
"""

from __future__ import annotations

import json
import zlib
from dataclasses import dataclass

from ringfence.catalog.elfread import view
from ringfence.catalog.interface import CatalogError

SECTION = ".dep-v0"
# The JSON is small (a few hundred bytes per crate); cap inflation against zlib bombs.
MAX_JSON = 16 * 1024 * 1024
MAX_SECTION = MAX_JSON  # compressed: never larger than what it inflates to, bar headers


@dataclass(frozen=True, slots=True)
class AuditedCrate:
    name: str
    version: str
    source: str
    kind: str
    root: bool
    depends_on: tuple[str, ...]


def dep_section(data: bytes) -> bytes | None:
    """Raw bytes of ``.dep-v0`` or None when the ELF file has no such section. ``data`` is
    the whole file or the bounded excerpt the layer walk kept (``catalog/elfread.py``)."""
    v = view(data)
    if not v.dep_seen:  # the section name sits in .shstrtab: cheap reject
        return None
    try:
        from elftools.common.exceptions import ELFError  # pyelftools: loaded only here
        from elftools.elf.elffile import ELFFile

        elf = ELFFile(v.stream())
        section = elf.get_section_by_name(SECTION)
        if section is None:
            return None
        if section["sh_size"] > MAX_SECTION:
            raise CatalogError(f"{SECTION}: {section['sh_size']} bytes")
        return bytes(section.data())
    except (ELFError, ValueError, OSError) as exc:
        raise CatalogError(f"unreadable ELF file: {exc}") from exc


def parse_audit_data(blob: bytes) -> list[AuditedCrate]:
    z = zlib.decompressobj()
    try:
        raw = z.decompress(blob, MAX_JSON)
    except zlib.error as exc:
        raise CatalogError(f"{SECTION}: not zlib data: {exc}") from exc
    if z.unconsumed_tail:
        raise CatalogError(f"{SECTION}: JSON larger than {MAX_JSON} bytes")
    try:
        doc = json.loads(raw)
        packages = doc["packages"]
    except (ValueError, KeyError, TypeError) as exc:
        raise CatalogError(f"{SECTION}: not cargo-auditable JSON: {exc}") from exc
    if not isinstance(packages, list) or not all(
            isinstance(p, dict) and "name" in p and "version" in p for p in packages):
        raise CatalogError(f"{SECTION}: a package lacks name or version")
    ids = [f"{p['name']}@{p['version']}" for p in packages]
    out: list[AuditedCrate] = []
    for p in packages:
        deps = tuple(ids[i] for i in p.get("dependencies", [])
                     if isinstance(i, int) and 0 <= i < len(ids))
        out.append(AuditedCrate(str(p["name"]), str(p["version"]), str(p.get("source", "")),
                                str(p.get("kind", "runtime")), bool(p.get("root", False)),
                                deps))
    return out
