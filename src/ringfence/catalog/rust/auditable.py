"""cargo-auditable: the zlib-compressed JSON dependency list in the ELF section ``.dep-v0``.

Format (rust-secure-code/cargo-auditable, ``auditable-serde``): ``{"packages": [{"name",
"version", "source", "kind", "dependencies": [indices], "root"}]}``.
"""

from __future__ import annotations

import json
import zlib
from dataclasses import dataclass

from ringfence.catalog.elfread import view
from ringfence.catalog.elfsections import section
from ringfence.catalog.interface import CatalogError

SECTION = ".dep-v0"
# The JSON is small (a few hundred bytes per crate); cap inflation against zlib bombs.
MAX_JSON = 16 * 1024 * 1024
# The section, compressed: about 30 bytes per crate (a 1,000-crate program: 30 KiB).
MAX_SECTION = 4 * 1024 * 1024


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
    the whole file or the bounded excerpt the layer walk kept (``catalog/elfread.py``): a
    section the excerpt lacks is asked for by a second read (``Missing``)."""
    v = view(data)
    if not v.dep_seen:  # the section name sits in .shstrtab: cheap reject
        return None
    found = section(v, SECTION)
    if found is None:
        return None
    offset, size = found
    if size > MAX_SECTION:
        raise CatalogError(f"{SECTION}: {size} bytes (cap {MAX_SECTION})")
    if offset + size > v.size:
        raise CatalogError(f"{SECTION}: bytes {offset}-{offset + size} lie past the end of "
                           f"the file ({v.size} bytes)")
    v.need([(offset, offset + size)])
    return v.read(offset, size)


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
