"""rpm: the installed-package database under ``/var/lib/rpm`` or ``/usr/lib/sysimage/rpm``.

The backend is chosen by the file's content (SQLite, NDB or Berkeley DB magic), not by
its name. ``gpg-pubkey`` records (public keys rpm stores as pseudo-packages) are kept,
as Syft and Trivy do (both list every go-rpmdb record); they have no arch or source.
"""

from __future__ import annotations

import struct
from collections.abc import Callable

from ringfence.catalog import ownership, purls
from ringfence.catalog.interface import CatalogError, Parsed
from ringfence.catalog.licenses import normalize_all
from ringfence.catalog.rpm import bdb, ndb, sqlite
from ringfence.catalog.rpm.header import Blobs, RpmHeader, parse_header
from ringfence.model.evidence import Evidence
from ringfence.model.package import Location, Package

_DIRS = ("/var/lib/rpm/", "/usr/lib/sysimage/rpm/")
_FILES = ("Packages", "Packages.db", "rpmdb.sqlite")
PATHS = frozenset(d + f for d in _DIRS for f in _FILES)
_SUFFIXES = tuple(PATHS)
NAMESPACE = "redhat"  # placeholder; merge re-qualifies it with the image's distro id
MAX_PROBLEMS = 100  # per database; the rest are counted in one last problem


class RpmCataloger:
    name = "rpm"
    version = "3"
    path_suffixes = _SUFFIXES  # wants() is true only for such paths

    def wants(self, path: str, size: int) -> bool:
        return path.endswith(_SUFFIXES)  # at any depth, as for dpkg

    def parse(self, path: str, data: bytes) -> Parsed:
        return to_parsed(path, _reader(data)(data))


def to_parsed(path: str, blobs: Blobs) -> Parsed:
    """Packages from the header blobs of one database; bad blobs become problems."""
    packages: list[Package] = []
    evidence: list[Evidence] = []
    problems = list(blobs.problems)
    root = ownership.root_of("rpm", path)
    for record, blob in blobs.records:
        try:
            header = parse_header(blob)
        except (CatalogError, struct.error) as exc:
            problems.append(f"record {record}: {exc}")
            continue
        packages.append(to_package(header, path))
        if header.files:  # the files it owns, for catalog/ownership.py
            evidence.append(Evidence("rpm", header.name, root,
                                     files=tuple(root + f for f in header.files)))
    if len(problems) > MAX_PROBLEMS:
        more = len(problems) - MAX_PROBLEMS
        problems = [*problems[:MAX_PROBLEMS], f"... and {more} more problems"]
    return Parsed(tuple(packages), tuple(problems), tuple(evidence))


def _reader(data: bytes) -> Callable[[bytes], Blobs]:
    if sqlite.is_sqlite(data):
        return sqlite.read_blobs
    if ndb.is_ndb(data):
        return ndb.read_blobs
    if bdb.byte_order(data) is not None:
        return bdb.read_blobs
    raise CatalogError("not an rpm database (no SQLite, NDB or Berkeley DB hash magic)")


def evr(h: RpmHeader) -> str:
    """``[EPOCH:]VERSION-RELEASE``, as Syft and Trivy print it (epoch only when set)."""
    vr = f"{h.version}-{h.release}"
    return f"{h.epoch}:{vr}" if h.epoch is not None else vr


def split_sourcerpm(srpm: str) -> tuple[str, str] | None:
    """``name-version-release.src.rpm`` -> ``(name, "version-release")``, from the right."""
    stem = srpm.removesuffix(".rpm")
    stem, dot, _arch = stem.rpartition(".")
    name, _, vr = stem.rpartition("-")
    name, _, version = name.rpartition("-")
    if not dot or not name or not version or not vr:
        return None
    return name, f"{version}-{vr}"


def to_package(h: RpmHeader, path: str) -> Package:
    source = split_sourcerpm(h.sourcerpm) if h.sourcerpm else None
    src_name, src_version = source if source else (None, None)
    if src_version and h.epoch is not None:  # SOURCERPM has no epoch; Trivy uses the binary's
        src_version = f"{h.epoch}:{src_version}"
    qualifiers = {"arch": h.arch or "", "epoch": "" if h.epoch is None else str(h.epoch),
                  "upstream": h.sourcerpm or ""}
    meta = {"release": h.release, "vendor": h.vendor, "sourcerpm": h.sourcerpm,
            "modularitylabel": h.modularitylabel, "sigmd5": h.sigmd5,
            "epoch": None if h.epoch is None else str(h.epoch)}
    return Package(
        name=h.name,
        version=evr(h),
        type="rpm",
        purl=purls.make("rpm", h.name, f"{h.version}-{h.release}", NAMESPACE, qualifiers),
        cataloger=RpmCataloger.name,
        source_name=src_name,
        source_version=src_version,
        arch=h.arch,
        licenses=normalize_all((h.license,)) if h.license else (),
        locations=(Location(path),),
        metadata=tuple(sorted((k, v) for k, v in meta.items() if v)),
    )
