"""The matcher interface: a package (and the image's distro) in, database lookups out."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from ringfence.model.inventory import Distro
from ringfence.model.package import Package


@dataclass(frozen=True, slots=True)
class Query:
    """Look up ``name`` in ``ecosystem`` and compare ``version`` with the advisories' ranges.

    ``name`` is already normalised (``vulndb/names.py``) the way the importers stored it.
    ``matched_by`` says why, for the report: e.g. ``deb source package glibc in Debian:12``.
    """

    package: Package
    ecosystem: str
    name: str
    version: str
    matched_by: str


class Matcher(Protocol):
    """One family of packages (distribution packages, language packages)."""

    name: str

    def queries(self, package: Package, distro: Distro | None) -> tuple[Query, ...]:
        """The lookups for ``package``; empty when this matcher does not handle it."""
        ...
