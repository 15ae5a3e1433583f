"""Java archives: one package per Maven artifact found, nested archives included."""

from __future__ import annotations

import io
import zipfile

from ringfence.catalog import purls
from ringfence.catalog.interface import CatalogError, Parsed
from ringfence.catalog.java.archive import (
    ARCHIVE_EXTENSIONS,
    MAX_TOTAL,
    MIN_ZIP,
    BudgetExceeded,
    Coordinates,
    Walk,
    walk_archive,
)
from ringfence.model.package import Location, Package


class JavaArchiveCataloger:
    name = "java-archive"
    # 2: MANIFEST without group, file names, Unknown when unidentified; 3: pom.xml licences
    version = "3"

    def __init__(self, max_total: int = MAX_TOTAL) -> None:
        self.max_total = max_total

    def wants(self, path: str, size: int) -> bool:
        return size >= MIN_ZIP and path.lower().endswith(ARCHIVE_EXTENSIONS)

    def parse(self, path: str, data: bytes) -> Parsed:
        try:
            z = zipfile.ZipFile(io.BytesIO(data))
        except (zipfile.BadZipFile, ValueError) as exc:
            raise CatalogError(f"not a readable Java archive: {exc}") from exc
        state = Walk(budget=self.max_total)
        with z:
            try:
                walk_archive(z, path, 0, state)
            except BudgetExceeded:
                state.problems.append(f"stopped after {self.max_total} uncompressed bytes "
                                      "(possible zip bomb); results are partial")
            except (zipfile.BadZipFile, OSError, EOFError, RuntimeError) as exc:
                state.problems.append(f"archive member unreadable: {exc}")
        return Parsed(tuple(_package(c) for c in state.found), tuple(state.problems))


def _package(c: Coordinates) -> Package:
    return Package(
        name=f"{c.group}:{c.artifact}" if c.group else c.artifact,
        version=c.version,
        type="maven",
        purl=purls.make("maven", c.artifact, c.version, c.group or None),
        cataloger="java-archive",
        licenses=c.licenses,
        locations=(Location(c.archive),),
        metadata=(("artifactId", c.artifact), ("groupId", c.group), ("source", c.source)),
    )
