"""The one place that says which catalogers run, in order."""

from __future__ import annotations

import functools
from collections.abc import Sequence
from typing import Final, Protocol

from ringfence.catalog.apk.cataloger import ApkCataloger
from ringfence.catalog.dpkg.cataloger import DpkgCataloger
from ringfence.catalog.golang.cataloger import GoBinaryCataloger
from ringfence.catalog.interface import Cataloger
from ringfence.catalog.java.cataloger import JavaArchiveCataloger
from ringfence.catalog.misc.alpm import AlpmCataloger
from ringfence.catalog.misc.cran import RDescriptionCataloger
from ringfence.catalog.misc.dotnet import DotnetDepsCataloger
from ringfence.catalog.misc.nix import NixStoreCataloger
from ringfence.catalog.misc.pecl import PeclRegistryCataloger
from ringfence.catalog.misc.portage import PortageCataloger
from ringfence.catalog.npm.cataloger import NpmCataloger
from ringfence.catalog.php.composer import ComposerInstalledCataloger
from ringfence.catalog.python.cataloger import PythonInstalledCataloger
from ringfence.catalog.rpm.cataloger import RpmCataloger
from ringfence.catalog.ruby.gemspec import GemspecCataloger
from ringfence.catalog.rust.cataloger import CargoAuditableCataloger

# What is installed: package databases, installed metadata, binaries. Run on every source.
INSTALLED: Final[tuple[Cataloger, ...]] = (
    DpkgCataloger(),
    ApkCataloger(),
    RpmCataloger(),
    PythonInstalledCataloger(),
    NpmCataloger(),
    GemspecCataloger(),
    ComposerInstalledCataloger(),
    PeclRegistryCataloger(),
    AlpmCataloger(),
    PortageCataloger(),
    NixStoreCataloger(),
    DotnetDepsCataloger(),
    RDescriptionCataloger(),
    JavaArchiveCataloger(),
    GoBinaryCataloger(),
    CargoAuditableCataloger(),
)

# What a source tree declares: lock files and manifests. Like Syft's directory catalogers
# and Trivy's fs scanner, these run on ``dir:`` sources only: in an image, a lock file left
# next to an app describes what was meant to be installed, and the installed metadata
# above already says what is.
#
# Made on first use (``DECLARED`` and ``DIRECTORY_CATALOGERS``, module ``__getattr__``): an
# image scan runs INSTALLED alone and never loads these modules (tomllib and a dozen
# patterns: ~5 ms of a cold sbom's imports, issue 12).
@functools.cache
def _declared() -> tuple[Cataloger, ...]:
    from ringfence.catalog.golang.cataloger import GoModCataloger
    from ringfence.catalog.java.pomxml import PomXmlCataloger
    from ringfence.catalog.misc.cocoapods import PodfileLockCataloger
    from ringfence.catalog.misc.conan import ConanfileCataloger
    from ringfence.catalog.misc.hackage import (
        CabalFreezeCataloger,
        StackLockCataloger,
        StackYamlCataloger,
    )
    from ringfence.catalog.misc.hex import MixLockCataloger, RebarLockCataloger
    from ringfence.catalog.misc.opam import OpamCataloger
    from ringfence.catalog.misc.otp import ErlangOtpAppCataloger
    from ringfence.catalog.misc.pub import PubspecLockCataloger
    from ringfence.catalog.misc.swift import SwiftResolvedCataloger
    from ringfence.catalog.misc.terraform import TerraformLockCataloger
    from ringfence.catalog.misc.yarn import YarnLockCataloger
    from ringfence.catalog.npm.lockfile import NpmLockfileCataloger
    from ringfence.catalog.php.composer import ComposerLockCataloger
    from ringfence.catalog.python.lockfile import PythonLockfileCataloger
    from ringfence.catalog.ruby.gemfile_lock import GemfileLockCataloger
    from ringfence.catalog.rust.cataloger import CargoLockCataloger

    return (
        PythonLockfileCataloger(),
        NpmLockfileCataloger(),
        YarnLockCataloger(),
        GemfileLockCataloger(),
        ComposerLockCataloger(),
        PubspecLockCataloger(),
        MixLockCataloger(),
        RebarLockCataloger(),
        ErlangOtpAppCataloger(),
        SwiftResolvedCataloger(),
        PodfileLockCataloger(),
        StackYamlCataloger(),
        StackLockCataloger(),
        CabalFreezeCataloger(),
        TerraformLockCataloger(),
        ConanfileCataloger(),
        OpamCataloger(),
        GoModCataloger(),
        CargoLockCataloger(),
        PomXmlCataloger(),
    )


IMAGE_CATALOGERS: Final[tuple[Cataloger, ...]] = INSTALLED


@functools.cache
def _directory() -> tuple[Cataloger, ...]:
    return INSTALLED + _declared()


def __getattr__(name: str) -> tuple[Cataloger, ...]:
    if name == "DECLARED":
        return _declared()
    if name == "DIRECTORY_CATALOGERS":
        return _directory()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


class _Versioned(Protocol):
    name: str
    version: str


def fingerprint(plugins: Sequence[_Versioned]) -> str:
    """Names and versions of every cataloger and analyzer: part of the layer cache key."""
    return ",".join(f"{c.name}={c.version}" for c in plugins)
