"""Installed Python distributions: ``*.dist-info/METADATA``, ``*.egg-info/PKG-INFO``,
``EGG-INFO/PKG-INFO`` and single-file ``*.egg-info`` (core metadata, RFC 822 headers).

Debian's own distributions under ``/usr/lib/python3/dist-packages`` are reported too (as
Syft does; Trivy drops files owned by dpkg); ``metadata["site"]`` names the directory the
distribution is installed in, so they stay distinguishable from pip-installed ones under
``/usr/local/lib/python3.X/dist-packages``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ringfence.catalog import purls
from ringfence.catalog.interface import CatalogError, Parsed
from ringfence.catalog.licenses import normalize_all
from ringfence.model.package import Location, Package

if TYPE_CHECKING:
    from email.message import Message

# Syft's globs (python-installed-package-cataloger), as suffixes; ".egg-info" is the
# single-file form (wants() is only asked about regular files).
_SUFFIXES = ("dist-info/METADATA", "egg-info/PKG-INFO", "DIST-INFO/METADATA",
             "EGG-INFO/PKG-INFO", ".egg-info")
_NOT_A_LICENSE = {"", "UNKNOWN", "NONE"}
_CLASSIFIER = "License :: "


class PythonInstalledCataloger:
    name = "python"
    version = "2"  # 2: licences normalised to SPDX (catalog/licenses.py)
    path_suffixes = _SUFFIXES  # wants() is true only for such paths

    def wants(self, path: str, size: int) -> bool:
        return path.endswith(_SUFFIXES)

    def parse(self, path: str, data: bytes) -> Parsed:
        if not data.strip():
            raise CatalogError("empty core metadata file")
        # the email parser and packaging load on the first metadata file (a cold sbom of
        # an image without Python packages never needs them: 15 ms of imports)
        from email.parser import BytesHeaderParser
        from email.policy import compat32

        from packaging.utils import canonicalize_name

        msg = BytesHeaderParser(policy=compat32).parsebytes(data)
        name, version = _first(msg, "Name"), _first(msg, "Version")
        problems = _defects(msg)
        if not name or not version:
            missing = " and ".join(h for h, v in (("Name", name), ("Version", version)) if not v)
            raise CatalogError(f"core metadata without {missing} header")
        if len(msg.get_all("Version") or ()) > 1:
            problems.append(f"{len(msg.get_all('Version') or ())} Version headers; "
                            "the first was used")
        pkg = Package(
            name=name,
            version=version,
            type="pypi",
            purl=purls.make("pypi", str(canonicalize_name(name)), version),
            cataloger=self.name,
            licenses=licenses(msg),
            locations=(Location(path),),
            metadata=(("site", site_dir(path)),),
        )
        return Parsed((pkg,), tuple(problems))


def _first(msg: Message, header: str) -> str:
    value = msg.get(header)
    return str(value).strip() if value is not None else ""


def _defects(msg: Message) -> list[str]:
    """A line that is not a header ends the headers early: say so, with the line."""
    from email.errors import MissingHeaderBodySeparatorDefect

    if not any(isinstance(d, MissingHeaderBodySeparatorDefect) for d in msg.defects):
        return []
    body = msg.get_payload()
    line = body.split("\n", 1)[0] if isinstance(body, str) else ""
    return [f"malformed header line {line[:60]!r}; the headers after it were ignored"]


def licenses(msg: Message) -> tuple[str, ...]:
    """License-Expression (PEP 639), else a one-line License, else license classifiers."""
    expr = _first(msg, "License-Expression")
    if expr:
        return normalize_all([expr])
    text = _first(msg, "License")
    if text.upper() not in _NOT_A_LICENSE and "\n" not in text:
        return normalize_all([text])
    found = [str(c).rsplit(" :: ", 1)[-1].strip() for c in msg.get_all("Classifier") or ()
             if str(c).startswith(_CLASSIFIER) and str(c).count(" :: ") >= 2]
    return normalize_all(found)


def site_dir(path: str) -> str:
    """The directory holding the distribution's metadata directory (or single file)."""
    parent = path.rsplit("/", 1)[0]
    if path.endswith(".egg-info"):
        return parent or "/"
    return parent.rsplit("/", 1)[0] or "/"
