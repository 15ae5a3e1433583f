"""The cataloger interface: a cheap path predicate and a pure parser over bytes."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from ringfence.model.evidence import Evidence
from ringfence.model.package import Package


class CatalogError(Exception):
    """Raised by a parser for a file it cannot read; becomes an ``Unknown``."""


@dataclass(frozen=True, slots=True)
class Parsed:
    """What a parser found in one file: packages, problems with parts of it, and evidence
    about OS packages recorded elsewhere (files they own, licences: ``model/evidence.py``)."""

    packages: tuple[Package, ...] = ()
    problems: tuple[str, ...] = ()
    evidence: tuple[Evidence, ...] = ()


class Cataloger(Protocol):
    """Finds packages in files.

    ``wants`` is called for every regular file of every layer and must be cheap
    (string tests on the path only). ``parse`` gets the whole file and touches no
    filesystem; it raises :class:`CatalogError` when the file cannot be read at all.
    ``version`` changes whenever results could change: it is part of the cache key.
    A cataloger with a ``magic`` attribute (tuple of leading bytes) recognises files by
    content: its ``wants`` is then a broad path + size test, the walk reads only the
    first bytes of such a file and offers it only when they start with one of ``magic``.
    Optional ``path_suffixes`` / ``path_parts`` (tuples of str) promise that ``wants`` is
    false for every path that neither ends with one of the suffixes nor contains one of the
    parts: the walk then asks it only about such paths (``layers/collect.py``; tested in
    ``tests/unit/layers/test_wants_gate.py``).
    """

    name: str
    version: str

    def wants(self, path: str, size: int) -> bool: ...

    def parse(self, path: str, data: bytes) -> Parsed: ...
