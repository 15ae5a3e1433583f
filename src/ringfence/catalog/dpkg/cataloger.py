"""dpkg: ``/var/lib/dpkg/status`` and distroless ``/var/lib/dpkg/status.d/*``."""

from __future__ import annotations

import re

from ringfence.catalog import purls
from ringfence.catalog.interface import CatalogError, Parsed
from ringfence.catalog.rfc822 import paragraphs
from ringfence.model.package import Location, Package

_SOURCE = re.compile(r"^(?P<name>\S+)(?:\s+\((?P<version>[^)]+)\))?$")
# dpkg states that mean the package's files are (at least partly) on disk.
_PRESENT = {"installed", "half-configured", "unpacked", "half-installed",
            "triggers-awaited", "triggers-pending"}


class DpkgCataloger:
    name = "dpkg"
    version = "1"

    def wants(self, path: str, size: int) -> bool:
        # at any depth, as Syft does: a root filesystem kept inside another (chroots,
        # multi-stage leftovers) has installed packages too
        if path.endswith("/var/lib/dpkg/status"):
            return True
        _, sep, base = path.rpartition("/var/lib/dpkg/status.d/")
        return bool(sep) and "/" not in base and not base.endswith((".md5sums", ".list"))

    def parse(self, path: str, data: bytes) -> Parsed:
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
