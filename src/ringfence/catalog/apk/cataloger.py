"""apk: ``/lib/apk/db/installed`` (one-letter keys, blank-line separated).

Each record's ``F:`` lines name a directory (relative to the root) and the ``R:`` lines
after it the files in it that the package owns: evidence for ``catalog/ownership.py``.
"""

from __future__ import annotations

import re
from typing import Final

from ringfence.catalog import purls
from ringfence.catalog.interface import CatalogError, Parsed
from ringfence.catalog.licenses import MAX_LENGTH, normalize_all
from ringfence.model.evidence import Evidence
from ringfence.model.package import Location, Package

DB_PATH = "/lib/apk/db/installed"


class ApkCataloger:
    name = "apk"
    version = "4"
    path_suffixes = (DB_PATH,)  # wants() is true only for such paths

    def wants(self, path: str, size: int) -> bool:
        return path.endswith(DB_PATH)  # at any depth, as for dpkg

    def parse(self, path: str, data: bytes) -> Parsed:
        text = data.decode("utf-8", "replace")
        packages: list[Package] = []
        problems: list[str] = []
        evidence: list[Evidence] = []
        root = path[:-len(DB_PATH)]
        records = 0
        for lineno, rec, files in _records(text):
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
                licenses=_licenses(lic),
                locations=(Location(path),),
            ))
            if files:
                evidence.append(Evidence("apk", name, root,
                                         files=tuple(f"{root}/{f}" for f in files)))
        if text.strip() and records == 0:
            raise CatalogError("no apk records")
        return Parsed(tuple(packages), tuple(problems), tuple(evidence))


def _records(text: str) -> list[tuple[int, dict[str, str], list[str]]]:
    """``(line, first value of each key, owned files)`` per record."""
    out: list[tuple[int, dict[str, str], list[str]]] = []
    rec: dict[str, str] = {}
    files: list[str] = []
    directory = ""
    start = 1
    for lineno, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            if rec:
                out.append((start, rec, files))
            rec, files, directory, start = {}, [], "", lineno + 1
            continue
        if len(line) >= 2 and line[1] == ":":
            key, value = line[0], line[2:].strip()
            if key == "F":
                directory = value.strip("/")
            elif key == "R" and value and "/" not in value:
                files.append(f"{directory}/{value}" if directory else value)
            # first value wins for the single-valued keys
            rec.setdefault(key, value)
    if rec:
        out.append((start, rec, files))
    return out


_EXPRESSION: Final = re.compile(r"\b(?:and|or|with)\b|[()]", re.IGNORECASE)


def _licenses(raw: str | None) -> tuple[str, ...]:
    """``L:`` through the one normaliser. An SPDX expression is one value; the older
    space-separated list (``MIT BSD GPL2+``) is one value per name, as Syft reads it."""
    if not raw or not raw.strip():
        return ()
    one = len(raw) > MAX_LENGTH or _EXPRESSION.search(raw)  # a text, not a list of names
    return normalize_all([raw] if one else raw.split())
