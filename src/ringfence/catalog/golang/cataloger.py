"""Go modules from compiled binaries (embedded build info) and from ``go.mod`` files."""

from __future__ import annotations

import re

from ringfence.catalog import purls
from ringfence.catalog.golang.binpath import ELF_MAGIC, maybe_program
from ringfence.catalog.golang.buildinfo import BuildInfo, Module, read
from ringfence.catalog.golang.gomod import parse_gomod
from ringfence.catalog.interface import Parsed
from ringfence.model.package import Location, Package

# The smallest stripped Go "hello world" is over 1 MiB; 512 KiB leaves margin (TinyGo aside).
MIN_BINARY = 512 * 1024


class GoBinaryCataloger:
    """Modules compiled into Go binaries (what is installed)."""

    name = "golang"
    version = "4"  # 4: second reads of what the excerpt lacked; 3: bounded ELF excerpt
    magic = (ELF_MAGIC,)

    def wants(self, path: str, size: int) -> bool:
        return maybe_program(path, size, MIN_BINARY)

    def parse(self, path: str, data: bytes) -> Parsed:
        if not data.startswith(ELF_MAGIC):
            return Parsed()
        info = read(data)
        return Parsed() if info is None else Parsed(tuple(_from_buildinfo(path, info)))


class GoModCataloger:
    """Requirements declared in ``go.mod`` (source trees; not run on images)."""

    name = "golang-mod"
    version = "2"  # 2: no stdlib from the go/toolchain directives

    def wants(self, path: str, size: int) -> bool:
        return path.endswith("/go.mod")

    def parse(self, path: str, data: bytes) -> Parsed:
        return _from_gomod(path, data)


def _package(path: str, module: str, version: str, meta: dict[str, str]) -> Package:
    namespace, _, name = module.rpartition("/")
    return Package(
        name=module,
        version=version,
        type="golang",
        purl=purls.make("golang", name, version, namespace or None),
        cataloger="golang",
        locations=(Location(path),),
        metadata=tuple(sorted((k, v) for k, v in meta.items() if v)),
    )


def stdlib_version(go_version: str) -> str:
    """``go1.21.3 X:boringcrypto`` -> ``1.21.3`` (the form Go vulndb uses for stdlib)."""
    first = go_version.split(" ")[0]
    return first.removeprefix("go")


def _from_buildinfo(path: str, info: BuildInfo) -> list[Package]:
    """Main module, each dependency (its replacement when replaced), and ``stdlib``.

    The main module is kept even as ``(devel)`` (Syft does too); Go's version becomes
    a ``stdlib`` package, as Syft and Trivy report it.
    """
    common = {"go_version": info.go_version,
              "main_module": info.main.path if info.main else info.path}
    for key, value in info.settings:
        if key in ("GOOS", "GOARCH", "vcs.revision"):
            common[key] = value
    out: list[Package] = []
    if info.main is not None:
        out.append(_package(path, info.main.path, _main_version(info), common))
    elif info.path:  # GOPATH-mode build: only the package path is recorded
        out.append(_package(path, info.path, _main_version(info), common))
    for dep in info.deps:
        used: Module = dep.replace or dep
        meta = {**common, "h1": used.sum, "replaces": f"{dep.path}@{dep.version}"
                if dep.replace else ""}
        out.append(_package(path, used.path, used.version, meta))
    if info.go_version:
        out.append(_package(path, "stdlib", stdlib_version(info.go_version), common))
    return out


_LDFLAG_VERSION = re.compile(r"-X[ =]['\"]?[\w./-]*\.[vV]ersion=['\"]?v?([0-9][^\s'\"]*)")


def _main_version(info: BuildInfo) -> str:
    """The main module's version; for ``(devel)`` builds ``-X ...version=`` in -ldflags.

    Syft and Trivy both read a release version stamped by the linker flags.
    """
    if info.main is not None and info.main.version != "(devel)":
        return info.main.version
    ldflags = dict(info.settings).get("-ldflags", "")
    m = _LDFLAG_VERSION.search(ldflags)
    return f"v{m[1]}" if m else "(devel)"


def _from_gomod(path: str, data: bytes) -> Parsed:
    """The required modules; never ``stdlib``.

    Like Syft (stdlib only from binaries), and unlike scalibr: the ``go`` directive is the
    minimum language version and ``toolchain`` a preference, not a Go that built anything;
    a stdlib from them would match stdlib CVEs against a source tree that ships no binary.
    """
    mod = parse_gomod(data)
    return Parsed(tuple(_package(path, p, v, {}) for p, v in mod.requires))
