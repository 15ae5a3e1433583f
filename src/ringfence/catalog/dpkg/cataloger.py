"""dpkg: ``/var/lib/dpkg/status`` and distroless ``/var/lib/dpkg/status.d/*``; the files each
package owns (``/var/lib/dpkg/info/<pkg>[:<arch>].list``) and its licences
(``/usr/share/doc/<pkg>/copyright``) as evidence joined after the squash (``model/evidence``).
"""

from __future__ import annotations

import re

from ringfence.catalog import purls
from ringfence.catalog.dpkg import copyright as copyright_file
from ringfence.catalog.interface import CatalogError, Parsed
from ringfence.catalog.licenses import normalize_all
from ringfence.catalog.rfc822 import paragraphs
from ringfence.model.evidence import Evidence
from ringfence.model.package import Location, Package

_SOURCE = re.compile(r"^(?P<name>\S+)(?:\s+\((?P<version>[^)]+)\))?$")
# dpkg states that mean the package's files are (at least partly) on disk.
_PRESENT = {"installed", "half-configured", "unpacked", "half-installed",
            "triggers-awaited", "triggers-pending"}
INFO_DIR = "/var/lib/dpkg/info/"
DOC_DIR = "/usr/share/doc/"
MAX_LIST_LINES = 1_000_000  # files of one package: texlive-latex-extra has ~60k


class DpkgCataloger:
    name = "dpkg"
    version = "8"
    # wants() is true only for such paths (layers/collect.py asks no other)
    path_suffixes = ("/var/lib/dpkg/status", ".list", "/copyright")
    path_parts = ("/var/lib/dpkg/status.d/",)

    def wants(self, path: str, size: int) -> bool:
        # at any depth, as Syft does: a root filesystem kept inside another (chroots,
        # multi-stage leftovers) has installed packages too
        if path.endswith("/var/lib/dpkg/status"):
            return True
        if path.endswith(".list"):
            return _evidence_name(path, INFO_DIR, ".list") is not None
        if path.endswith("/copyright"):
            return _evidence_name(path, DOC_DIR, "/copyright") is not None
        _, sep, base = path.rpartition("/var/lib/dpkg/status.d/")
        return bool(sep) and "/" not in base and not base.endswith((".md5sums", ".list"))

    def parse(self, path: str, data: bytes) -> Parsed:
        if path.endswith(".list") and (found := _evidence_name(path, INFO_DIR, ".list")):
            return _owned_files(found[0], found[1], data)
        if path.endswith("/copyright") and (found := _evidence_name(path, DOC_DIR,
                                                                     "/copyright")):
            text = data.decode("utf-8", "replace")
            return Parsed(evidence=(Evidence("deb", found[1], found[0],
                                             licenses=normalize_all(copyright_file.licenses(text))),))
        return self._status(path, data)

    def _status(self, path: str, data: bytes) -> Parsed:
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError:
            text = data.decode("latin-1")
        packages: list[Package] = []
        problems: list[str] = []
        seen_any = False
        for lineno, fields in paragraphs(text):
            seen_any = True
            pkg = _package(path, fields)
            if pkg is None:
                if "Package" not in fields or "Version" not in fields:
                    problems.append(f"line {lineno}: paragraph without Package/Version")
                continue
            packages.append(pkg)
        if data.strip() and not seen_any:
            raise CatalogError("no dpkg paragraphs")
        return Parsed(tuple(packages), tuple(problems))


def _evidence_name(path: str, directory: str, suffix: str) -> tuple[str, str] | None:
    """``(root, name)`` for ``<root><directory><name><suffix>``, a name without '/'."""
    root, sep, rest = path.rpartition(directory)
    if not sep or not rest.endswith(suffix):
        return None
    name = rest[:-len(suffix)]
    return (root, name) if name and "/" not in name else None


def _owned_files(root: str, name: str, data: bytes) -> Parsed:
    """The paths one ``info/<pkg>.list`` names (directories included, as dpkg lists them)."""
    text = data.decode("utf-8", "surrogateescape")
    files: list[str] = []
    for line in text.splitlines():
        if line.startswith("/") and line != "/.":
            files.append(root + line)
            if len(files) >= MAX_LIST_LINES:
                return Parsed(problems=(f"more than {MAX_LIST_LINES} paths: file ownership "
                                        "of this package not recorded",))
    return Parsed(evidence=(Evidence("deb", name, root, files=tuple(files)),))


def _installed(fields: dict[str, str], status_d: bool) -> bool:
    status = fields.get("Status")
    if status is None:  # distroless status.d entries omit it; dpkg's own file never does
        return status_d
    words = status.split()
    return len(words) == 3 and words[2] in _PRESENT


def _package(path: str, f: dict[str, str]) -> Package | None:
    name, version = f.get("Package", "").strip(), f.get("Version", "").strip()
    if not name or not version or not _installed(f, "/status.d/" in path):
        return None
    src_name, src_version = name, version
    if src := f.get("Source"):
        m = _SOURCE.match(src.strip())
        if m:
            src_name = m["name"]
            src_version = m["version"] or version
    arch = f.get("Architecture") or None
    return Package(
        name=name,
        version=version,
        type="deb",
        purl=purls.make("deb", name, version, "debian", {"arch": arch or ""}),
        cataloger="dpkg",
        source_name=src_name,
        source_version=src_version,
        arch=arch,
        locations=(Location(path),),
    )
