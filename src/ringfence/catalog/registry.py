"""The one place that says which catalogers run, in order."""

from __future__ import annotations

from typing import Final

from ringfence.catalog.apk.cataloger import ApkCataloger
from ringfence.catalog.dpkg.cataloger import DpkgCataloger
from ringfence.catalog.golang.cataloger import GoModuleCataloger
from ringfence.catalog.interface import Cataloger
from ringfence.catalog.java.cataloger import JavaArchiveCataloger
from ringfence.catalog.npm.cataloger import NpmCataloger
from ringfence.catalog.npm.lockfile import NpmLockfileCataloger
from ringfence.catalog.python.cataloger import PythonInstalledCataloger
from ringfence.catalog.python.lockfile import PythonLockfileCataloger
from ringfence.catalog.rpm.cataloger import RpmCataloger
from ringfence.catalog.rust.cataloger import CargoCataloger

CATALOGERS: Final[tuple[Cataloger, ...]] = (
    DpkgCataloger(),
    ApkCataloger(),
    PythonInstalledCataloger(),
    PythonLockfileCataloger(),
    NpmCataloger(),
    NpmLockfileCataloger(),
    RpmCataloger(),
    JavaArchiveCataloger(),
    GoModuleCataloger(),
    CargoCataloger(),
)


def fingerprint(catalogers: tuple[Cataloger, ...] = CATALOGERS) -> str:
    """Names and versions of every cataloger: part of the layer cache key."""
    return ",".join(f"{c.name}={c.version}" for c in catalogers)
