"""Cargo.lock against Trivy's golden report; cargo-auditable in a real ELF via objcopy."""

from __future__ import annotations

import json
import shutil
import subprocess
import tomllib
import zlib
from pathlib import Path

import pytest

from ringfence.catalog.interface import CatalogError, Parsed
from ringfence.catalog.rust.cataloger import CargoAuditableCataloger, CargoLockCataloger

CAT = CargoAuditableCataloger()
LOCK = CargoLockCataloger()


def _parse(path: Path, image_path: str = "/src/Cargo.lock") -> Parsed:
    return LOCK.parse(image_path, path.read_bytes())


def test_trivy_golden_package_list(data_dir: Path) -> None:
    golden = json.loads((data_dir / "golden/trivy-integration/cargo.lock.json.golden")
                        .read_text())
    want = {p["ID"]: (p["Identifier"]["PURL"], tuple(p.get("DependsOn", ())))
            for p in golden["Results"][0]["Packages"]}
    got = _parse(data_dir / "pkgdb/cargo/trivy/Cargo.lock")
    assert not got.problems
    ours = {f"{p.name}@{p.version}": (p.purl, tuple(dict(p.metadata).get("depends_on", "")
                                                  .split(",")) if "depends_on" in
                                      dict(p.metadata) else ())
            for p in got.packages}
    # Deviation: Trivy reads the Cargo.toml beside the lock (absent from the fixture and
    # unknowable per file) and drops the dev-dependency winapi with its two children.
    dev_only = {"winapi@0.3.9", "winapi-i686-pc-windows-gnu@0.4.0",
                "winapi-x86_64-pc-windows-gnu@0.4.0"}
    assert set(ours) - set(want) == dev_only
    # Trivy's DependsOn for the root omits the dropped dev dependency as well.
    ours["app@0.1.0"] = (ours["app@0.1.0"][0],
                         tuple(d for d in ours["app@0.1.0"][1] if d not in dev_only))
    assert {k: (v[0], tuple(sorted(v[1]))) for k, v in ours.items() if k in want} == \
        {k: (v[0], tuple(sorted(v[1]))) for k, v in want.items()}


def test_scalibr_lock_samples(data_dir: Path) -> None:
    base = data_dir / "pkgdb/cargo/scalibr-cargolock"
    assert _parse(base / "empty.lock").packages == ()
    with pytest.raises(CatalogError):
        _parse(base / "not-toml.txt")
    names = {(p.name, p.version) for p in _parse(base / "two-packages-with-local.lock")
             .packages}
    assert ("local-rust-pkg", "0.1.0") in names and ("addr2line", "0.15.2") in names
    build = _parse(base / "package-with-build-string.lock").packages
    assert [(p.name, p.version) for p in build] == [("wasi", "0.10.2+wasi-snapshot-preview1")]


def test_osv_scanner_lock_counts_every_package(data_dir: Path) -> None:
    path = data_dir / "pkgdb/cargo/osv-scanner/Cargo.lock"
    want = {(p["name"], p["version"]) for p in tomllib.loads(path.read_text())["package"]}
    got = _parse(path)
    assert {(p.name, p.version) for p in got.packages} == want
    assert not got.problems


def test_wants() -> None:
    assert LOCK.wants("/app/Cargo.lock", 100) and not CAT.wants("/app/Cargo.lock", 100)
    assert not LOCK.wants("/app/Cargo.toml", 100)
    assert CAT.wants("/usr/local/bin/rg", 4_000_000)
    # by content anywhere: any big enough file without a data extension is a candidate,
    # and the walk reads it only when it starts with the ELF magic (tests/unit/layers/
    # test_sniff.py)
    assert CAT.wants("/usr/lib/x/helper", 4_000_000) and CAT.magic == (b"\x7fELF",)
    assert not CAT.wants("/usr/share/doc/x/README.md", 4_000_000)
    assert not CAT.wants("/usr/bin/tiny", 1000)


def _auditable_json(lock: Path) -> bytes:
    """cargo-auditable's JSON for a real lock: root first, deps as indices."""
    pkgs = tomllib.loads(lock.read_text())["package"]
    ids = [f"{p['name']} {p['version']}" for p in pkgs]
    by_name: dict[str, list[int]] = {}
    for i, p in enumerate(pkgs):
        by_name.setdefault(p["name"], []).append(i)

    def index(dep: str) -> int:
        return ids.index(dep) if " " in dep else by_name[dep][0]

    out = [{"name": p["name"], "version": p["version"],
            "source": "crates.io" if "source" in p else "local",
            "kind": "build" if p["name"] == "libc" else "runtime",
            "dependencies": sorted(index(d) for d in p.get("dependencies", [])),
            **({"root": True} if "source" not in p else {})} for p in pkgs]
    return json.dumps({"packages": out}).encode()


@pytest.mark.skipif(shutil.which("objcopy") is None, reason="binutils objcopy is absent")
def test_auditable_binary(data_dir: Path, tmp_path: Path) -> None:
    blob = tmp_path / "dep-v0"
    blob.write_bytes(zlib.compress(_auditable_json(data_dir / "pkgdb/cargo/trivy/Cargo.lock")))
    exe = tmp_path / "true"
    shutil.copyfile("/bin/true", exe)
    subprocess.run(["objcopy", "--add-section", f".dep-v0={blob}", str(exe)], check=True)
    got = CAT.parse("/usr/local/bin/app", exe.read_bytes())
    names = {(p.name, p.version) for p in got.packages}
    assert ("app", "0.1.0") in names and ("memchr", "2.7.4") in names
    assert ("libc", "0.2.171") not in names  # marked kind=build above: not linked in
    assert len(names) == 9
    root = next(p for p in got.packages if p.name == "app")
    assert dict(root.metadata)["root"] == "true"
    assert set(dict(root.metadata)["depends_on"].split(",")) == {
        "memchr@1.0.2", "regex@1.7.3", "winapi@0.3.9"}
    # The same ELF without the section yields nothing, and no error.
    assert CAT.parse("/usr/bin/true", Path("/bin/true").read_bytes()).packages == ()


def test_auditable_rejects_bad_section(tmp_path: Path) -> None:
    blob = tmp_path / "dep-v0"
    blob.write_bytes(b"not zlib at all")
    exe = tmp_path / "true"
    shutil.copyfile("/bin/true", exe)
    if shutil.which("objcopy") is None:
        pytest.skip("binutils objcopy is absent")
    subprocess.run(["objcopy", "--add-section", f".dep-v0={blob}", str(exe)], check=True)
    with pytest.raises(CatalogError):
        CAT.parse("/usr/local/bin/app", exe.read_bytes())


def test_non_elf_program_path_is_ignored() -> None:
    assert CAT.parse("/usr/bin/script", b"#!/bin/sh\necho hi\n" * 10000).packages == ()
