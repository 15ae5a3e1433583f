"""apk: ``/lib/apk/db/installed`` (one-letter keys, blank-line separated)."""

from __future__ import annotations

from ringfence.catalog import purls
from ringfence.catalog.interface import CatalogError, Parsed
from ringfence.model.package import Location, Package

DB_PATH = "/lib/apk/db/installed"


class ApkCataloger:
    name = "apk"
    version = "1"

    def wants(self, path: str, size: int) -> bool:
        return path.endswith(DB_PATH)  # at any depth, as for dpkg

    def parse(self, path: str, data: bytes) -> Parsed:
        text = data.decode("utf-8", "replace")
        packages: list[Package] = []
        problems: list[str] = []
        records = 0
        for lineno, rec in _records(text):
            records += 1
            name, version = rec.get("P"), rec.get("V")
            if not name or not version:
                problems.append(f"line {lineno}: record without P:/V:")
                continue
            arch = rec.get("A") or None
            origin = rec.get("o") or name
            lic = rec.get("L")
            packages.append(Package(
                name=name,
                version=version,
                type="apk",
                purl=purls.make("apk", name, version, "alpine", {"arch": arch or ""}),
                cataloger=self.name,
                source_name=origin,
                source_version=version,
                arch=arch,
                licenses=(lic,) if lic else (),
                locations=(Location(path),),
            ))
        if text.strip() and records == 0:
            raise CatalogError("no apk records")
        return Parsed(tuple(packages), tuple(problems))


def _records(text: str) -> list[tuple[int, dict[str, str]]]:
    out: list[tuple[int, dict[str, str]]] = []
    rec: dict[str, str] = {}
    start = 1
    for lineno, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            if rec:
                out.append((start, rec))
            rec, start = {}, lineno + 1
            continue
        if len(line) >= 2 and line[1] == ":":
            # first value wins for single-valued keys; F:/R: repeat and are not needed here
            rec.setdefault(line[0], line[2:].strip())
    if rec:
        out.append((start, rec))
    return out
