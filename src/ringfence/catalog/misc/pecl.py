"""PHP PEAR/PECL registry: ``.registry/.channel.<channel>/<name>.reg`` files, which hold
PHP ``serialize()`` data. Read with a small unserializer for strings, numbers and arrays
(never ``unserialize`` objects). Packages of ``pecl.php.net`` are type pecl, others pear."""

from __future__ import annotations

from typing import Any

from ringfence.catalog.interface import CatalogError, Parsed
from ringfence.catalog.misc.common import package


class PeclRegistryCataloger:
    name = "php-pear-registry"
    version = "2"  # 2: licences normalised (catalog/licenses.py)
    path_suffixes = (".reg",)  # wants() is true only for such paths

    def wants(self, path: str, size: int) -> bool:
        return path.endswith(".reg") and "/.registry/" in path

    def parse(self, path: str, data: bytes) -> Parsed:
        try:
            doc, _ = unserialize(data, 0)
        except (ValueError, IndexError) as exc:
            raise CatalogError(f"not PHP serialized data: {exc}") from exc
        if not isinstance(doc, dict):
            raise CatalogError("registry entry is not an array")
        name = doc.get("name")
        version = doc.get("version")
        release = version.get("release") if isinstance(version, dict) else version
        if not isinstance(name, str) or not isinstance(release, str) or not release:
            raise CatalogError("registry entry without name and version")
        channel = doc.get("channel")
        kind = "pecl" if channel == "pecl.php.net" else "pear"
        lic = doc.get("license")
        license_ = lic.get("_content") if isinstance(lic, dict) else lic
        return Parsed((package(self.name, kind, name, release, path,
                               licenses=(license_,) if isinstance(license_, str) else (),
                               metadata={"channel": str(channel or "")}),))


def unserialize(data: bytes, pos: int) -> tuple[Any, int]:
    """Decode one value at ``pos``; returns it and the position after it."""
    kind = data[pos:pos + 1]
    if kind == b"N":
        return None, _expect(data, pos + 1, b";")
    if kind in (b"i", b"d", b"b"):
        end = data.index(b";", pos + 2)
        raw = data[pos + 2:end].decode("ascii")
        value: Any = float(raw) if kind == b"d" else int(raw)
        return (bool(value) if kind == b"b" else value), end + 1
    if kind == b"s":
        colon = data.index(b":", pos + 2)
        length = int(data[pos + 2:colon])
        start = _expect(data, colon + 1, b'"')
        text = data[start:start + length].decode("utf-8", "replace")
        return text, _expect(data, _expect(data, start + length, b'"'), b";")
    if kind == b"a":
        colon = data.index(b":", pos + 2)
        count = int(data[pos + 2:colon])
        cur = _expect(data, colon + 1, b"{")
        out: dict[Any, Any] = {}
        for _ in range(count):
            key, cur = unserialize(data, cur)
            out[key], cur = unserialize(data, cur)
        return out, _expect(data, cur, b"}")
    raise ValueError(f"unsupported type {kind!r} at offset {pos}")


def _expect(data: bytes, pos: int, token: bytes) -> int:
    if data[pos:pos + len(token)] != token:
        raise ValueError(f"expected {token!r} at offset {pos}")
    return pos + len(token)
