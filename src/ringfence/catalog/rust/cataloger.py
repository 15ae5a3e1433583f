"""Rust crates from ``Cargo.lock`` files and from cargo-auditable binaries."""

from __future__ import annotations

from ringfence.catalog import purls
from ringfence.catalog.golang.binpath import ELF_MAGIC, maybe_program
from ringfence.catalog.interface import Parsed
from ringfence.catalog.rust.auditable import dep_section, parse_audit_data
from ringfence.catalog.rust.cargolock import parse_lock
from ringfence.model.package import Location, Package

# Small Rust programs are a few hundred KiB; below this no real binary is expected.
MIN_BINARY = 64 * 1024


class CargoAuditableCataloger:
    """Crates recorded in cargo-auditable binaries (what is installed)."""

    name = "cargo"
    version = "4"  # 4: second reads of what the excerpt lacked; 3: bounded ELF excerpt
    magic = (ELF_MAGIC,)

    def wants(self, path: str, size: int) -> bool:
        return maybe_program(path, size, MIN_BINARY)

    def parse(self, path: str, data: bytes) -> Parsed:
        return _from_binary(path, data)


class CargoLockCataloger:
    """Crates pinned in ``Cargo.lock`` (source trees; not run on images)."""

    name = "cargo-lock"
    version = "1"

    def wants(self, path: str, size: int) -> bool:
        return path.endswith("/Cargo.lock")

    def parse(self, path: str, data: bytes) -> Parsed:
        return _from_lock(path, data)


def _package(path: str, name: str, version: str, meta: dict[str, str]) -> Package:
    return Package(
        name=name,
        version=version,
        type="cargo",
        purl=purls.make("cargo", name, version),
        cataloger="cargo",
        locations=(Location(path),),
        metadata=tuple(sorted((k, v) for k, v in meta.items() if v)),
    )


def _from_lock(path: str, data: bytes) -> Parsed:
    crates, problems = parse_lock(data)
    pkgs = tuple(_package(path, c.name, c.version,
                          {"source": c.source or "", "depends_on": ",".join(c.depends_on)})
                 for c in crates)
    return Parsed(pkgs, tuple(problems))


def _from_binary(path: str, data: bytes) -> Parsed:
    """Runtime crates of a cargo-auditable binary; other files yield nothing.

    ``kind: build`` crates (build scripts, proc macros) are not linked into the
    program and are left out, as Trivy does; the root crate is kept, as Syft does.
    """
    if not data.startswith(ELF_MAGIC):
        return Parsed()
    blob = dep_section(data)
    if blob is None:
        return Parsed()
    crates = parse_audit_data(blob)
    pkgs = tuple(_package(path, c.name, c.version,
                          {"source": c.source, "depends_on": ",".join(c.depends_on),
                           "root": "true" if c.root else ""})
                 for c in crates if c.kind != "build")
    return Parsed(pkgs)
