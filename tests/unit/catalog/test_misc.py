"""The small catalogers, each on its real input from Syft's coverage root, compared with
Syft's expected packages (golden), plus synthetic edge cases built here."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from ringfence.catalog.interface import CatalogError, Parsed
from ringfence.catalog.misc.alpm import AlpmCataloger
from ringfence.catalog.misc.cocoapods import PodfileLockCataloger
from ringfence.catalog.misc.conan import ConanfileCataloger
from ringfence.catalog.misc.cran import RDescriptionCataloger
from ringfence.catalog.misc.dotnet import DotnetDepsCataloger
from ringfence.catalog.misc.hackage import (
    CabalFreezeCataloger,
    StackLockCataloger,
    StackYamlCataloger,
)
from ringfence.catalog.misc.hex import MixLockCataloger, RebarLockCataloger
from ringfence.catalog.misc.nix import NixStoreCataloger, split_store_name
from ringfence.catalog.misc.opam import OpamCataloger
from ringfence.catalog.misc.otp import ErlangOtpAppCataloger
from ringfence.catalog.misc.pecl import PeclRegistryCataloger
from ringfence.catalog.misc.portage import PortageCataloger
from ringfence.catalog.misc.pub import PubspecLockCataloger
from ringfence.catalog.misc.swift import SwiftResolvedCataloger
from ringfence.catalog.misc.terraform import TerraformLockCataloger
from ringfence.catalog.misc.yarn import YarnLockCataloger
from ringfence.model.license import SpdxLicense

ROOT = "pkgdb/rootfs/syft-image-pkg-coverage"
NIX = "pkgs/nix/store/h0cnbmfcn93xm5dg2x27ixhag1cwndga-glibc-2.34-210-bin/share/man/glibc.1"

# (cataloger, files under ROOT, golden section, golden case name, names the files do not hold)
CASES: list[tuple[Any, tuple[str, ...], str, str, tuple[str, ...]]] = [
    (AlpmCataloger(), ("pkgs/var/lib/pacman/local/pacman-6.0.1-5/desc",), "commonTestCases",
     "find alpm packages", ()),
    (PortageCataloger(), ("pkgs/var/db/pkg/app-containers/skopeo-1.5.1/CONTENTS",),
     "commonTestCases", "find portage packages", ()),
    (NixStoreCataloger(), (NIX,), "commonTestCases", "find nix store packages", ()),
    (PeclRegistryCataloger(), ("pkgs/php/.registry/.channel.pecl.php.net/memcached.reg",),
     "commonTestCases", "find php pear/pecl package", ()),
    (DotnetDepsCataloger(), ("pkgs/dotnet/TestLibrary.deps.json",), "dirOnlyTestCases",
     "find dotnet packages (.deps.json)", ()),
    (PubspecLockCataloger(), ("pkgs/dart/pubspec.lock",), "dirOnlyTestCases",
     "find pubspec lock packages", ()),
    (ErlangOtpAppCataloger(), ("pkgs/erlang/accept.app",), "dirOnlyTestCases",
     "find ErLang OTP applications", ()),
    (SwiftResolvedCataloger(), ("swift/Package.resolved",), "dirOnlyTestCases",
     "find swift package manager packages", ()),
    (PodfileLockCataloger(), ("cocoapods/Podfile.lock",), "dirOnlyTestCases",
     "find cocoapods packages", ()),
    (RDescriptionCataloger(), ("pkgs/r/base/DESCRIPTION",), "imageOnlyTestCases",
     "find R packages", ()),
    (TerraformLockCataloger(), ("terraform/.terraform.lock.hcl",), "dirOnlyTestCases",
     "find terraform packages", ()),
    (ConanfileCataloger(), ("conan/conanfile.txt",), "dirOnlyTestCases",
     "find conan packages", ()),
    (OpamCataloger(), ("pkgs/opam/ocaml-base-compiler.4.14.0/opam",), "dirOnlyTestCases",
     "find opam package", ()),
]


def _golden(data_dir: Path, section: str, name: str) -> dict[str, str]:
    golden = json.loads((data_dir / "golden/syft-image-pkg-coverage.expected.json").read_text())
    packages: dict[str, str] = next(
        c for c in golden["cases"][section] if c["name"] == name)["packages"]
    return packages


def _run(cat: Any, data_dir: Path, rel: str) -> Parsed:
    path = "/" + rel
    assert cat.wants(path, (data_dir / ROOT / rel).stat().st_size), path
    parsed: Parsed = cat.parse(path, (data_dir / ROOT / rel).read_bytes())
    assert not parsed.problems
    return parsed


@pytest.mark.parametrize(("cat", "files", "section", "case", "absent"), CASES,
                         ids=[c[0].name for c in CASES])
def test_matches_syft_golden(data_dir: Path, cat: Any, files: tuple[str, ...], section: str,
                             case: str, absent: tuple[str, ...]) -> None:
    got = {p.name: p.version for f in files for p in _run(cat, data_dir, f).packages}
    want = {n: v for n, v in _golden(data_dir, section, case).items() if n not in absent}
    assert got == want


def test_hex_from_mix_and_rebar(data_dir: Path) -> None:
    got = {p.name: p.version for p in _run(MixLockCataloger(), data_dir,
                                           "pkgs/elixir/mix.lock").packages}
    got |= {p.name: p.version for p in _run(RebarLockCataloger(), data_dir,
                                            "pkgs/erlang/rebar.lock").packages}
    assert got == _golden(data_dir, "dirOnlyTestCases", "find hex packages")


def test_hackage_from_three_files(data_dir: Path) -> None:
    got: dict[str, str] = {}
    for cat, rel in ((StackYamlCataloger(), "hackage/stack.yaml"),
                     (StackLockCataloger(), "hackage/stack.yaml.lock"),
                     (CabalFreezeCataloger(), "hackage/cabal.project.freeze")):
        got |= {p.name: p.version for p in _run(cat, data_dir, rel).packages}
    assert got == _golden(data_dir, "dirOnlyTestCases", "find hackage packages")


def test_yarn_lock_and_scoped_purl(data_dir: Path) -> None:
    (pkg,) = _run(YarnLockCataloger(), data_dir, "pkgs/javascript/yarn/yarn.lock").packages
    assert (pkg.name, pkg.version) == ("@babel/code-frame", "7.10.4")
    assert pkg.purl == "pkg:npm/%40babel/code-frame@7.10.4"


def test_yarn_berry_format() -> None:
    data = (b'__metadata:\n  version: 6\n\n"left-pad@npm:^1.3.0":\n  version: 1.3.0\n'
            b'  resolution: "left-pad@npm:1.3.0"\n\n"app@workspace:.":\n'
            b'  version: 0.0.0-use.local\n')
    got = YarnLockCataloger().parse("/app/yarn.lock", data).packages
    assert [(p.name, p.version) for p in got] == [("left-pad", "1.3.0")]


def test_purls_of_real_inputs(data_dir: Path) -> None:
    purls = {
        _run(AlpmCataloger(), data_dir, CASES[0][1][0]).packages[0].purl,
        _run(PortageCataloger(), data_dir, CASES[1][1][0]).packages[0].purl,
        _run(NixStoreCataloger(), data_dir, NIX).packages[0].purl,
        _run(PeclRegistryCataloger(), data_dir, CASES[3][1][0]).packages[0].purl,
        _run(TerraformLockCataloger(), data_dir, CASES[10][1][0]).packages[0].purl,
    }
    assert purls == {
        "pkg:alpm/archlinux/pacman@6.0.1-5?arch=x86_64",
        "pkg:ebuild/app-containers/skopeo@1.5.1",
        "pkg:nix/glibc@2.34-210?output=bin&outputhash=h0cnbmfcn93xm5dg2x27ixhag1cwndga",
        "pkg:pecl/memcached@3.2.0",
        "pkg:terraform/registry.terraform.io/hashicorp/aws@5.72.1",
    }
    pods = _run(PodfileLockCataloger(), data_dir, "cocoapods/Podfile.lock").packages
    core = next(p for p in pods if p.name == "PINCache/Core")
    assert core.purl == "pkg:cocoapods/PINCache@3.0.3#Core"


def test_licenses_of_real_inputs(data_dir: Path) -> None:
    (pacman,) = _run(AlpmCataloger(), data_dir, CASES[0][1][0]).packages
    (memcached,) = _run(PeclRegistryCataloger(), data_dir, CASES[3][1][0]).packages
    (accept,) = _run(ErlangOtpAppCataloger(), data_dir, "pkgs/erlang/accept.app").packages
    # Arch's "GPL" (no version: any version, as license-expression reads it); PEAR's
    # "PHP License" names no version, so it stays a name
    assert (pacman.licenses, memcached.licenses, accept.licenses) == (
        ("GPL-1.0-or-later",), ("PHP License",), ("MIT",))
    assert [type(v) for v in (*pacman.licenses, *memcached.licenses, *accept.licenses)] == [
        SpdxLicense, str, SpdxLicense]


def _php_str(value: str) -> str:
    return f's:{len(value.encode())}:"{value}";'


def _pecl(lic: str) -> bytes:
    return (f'a:4:{{{_php_str("name")}{_php_str("foo")}{_php_str("channel")}'
            f'{_php_str("pecl.php.net")}{_php_str("version")}a:1:{{{_php_str("release")}'
            f'{_php_str("1.0")}}}{_php_str("license")}a:1:{{{_php_str("_content")}'
            f'{_php_str(lic)}}}}}').encode()


# cataloger, path, file holding the licence values, the values as they are declared
MISC_LICENCES: dict[str, tuple[Any, str, Any]] = {
    "alpm": (AlpmCataloger(), "/var/lib/pacman/local/foo-1-1/desc",
             lambda lics: ("%NAME%\nfoo\n\n%VERSION%\n1-1\n\n%LICENSE%\n"
                           + "\n".join(lics) + "\n").encode()),
    "cran": (RDescriptionCataloger(), "/usr/lib/R/site-library/foo/DESCRIPTION",
             lambda lics: f"Package: foo\nVersion: 1.0\nLicense: {lics[0]}\n".encode()),
    "opam": (OpamCataloger(), "/root/.opam/default/lib/foo/opam",
             lambda lics: (f'opam-version: "2.0"\nname: "foo"\nversion: "1.0"\n'
                           f'license: "{lics[0]}"\n').encode()),
    "otp": (ErlangOtpAppCataloger(), "/usr/lib/erlang/lib/foo-1.0/ebin/foo.app",
            lambda lics: ('{application, foo, [{vsn, "1.0"}, {licenses, ['
                          + ", ".join(f'"{v}"' for v in lics) + "]}]}.\n").encode()),
    "pecl": (PeclRegistryCataloger(), "/usr/share/php/.registry/.channel.pecl.php.net/foo.reg",
             lambda lics: _pecl(lics[0])),
}
# declared -> normalised: the metadata's own spellings of SPDX licences
NORMALISED = {"alpm": (["gpl-3.0-or-later", "mit"], ("GPL-3.0-or-later", "MIT")),
              "cran": (["Apache License 2.0"], ("Apache-2.0",)),
              "opam": (["lgpl-2.1-only with OCaml-LGPL-linking-exception"],
                       ("LGPL-2.1-only WITH OCaml-LGPL-linking-exception",)),
              "otp": (["Apache 2.0", "MIT License"], ("Apache-2.0", "MIT")),
              "pecl": (["MIT License"], ("MIT",))}
# names no SPDX id stands for: kept as written
RAW = {"alpm": ["custom:Arch"], "cran": ["GPL (>= 2)"], "opam": ["Some (custom) licence"],
       "otp": ["Proprietary"], "pecl": ["PHP License"]}


@pytest.mark.parametrize("kind", sorted(MISC_LICENCES))
def test_misc_licences_are_normalised(kind: str) -> None:
    cat, path, build = MISC_LICENCES[kind]
    declared, want = NORMALISED[kind]
    (pkg,) = cat.parse(path, build(declared)).packages
    assert pkg.licenses == want
    assert all(isinstance(v, SpdxLicense) for v in pkg.licenses)


@pytest.mark.parametrize("kind", sorted(MISC_LICENCES))
def test_misc_licences_that_name_no_spdx_licence_stay_raw(kind: str) -> None:
    cat, path, build = MISC_LICENCES[kind]
    (pkg,) = cat.parse(path, build(RAW[kind])).packages
    assert pkg.licenses == tuple(RAW[kind])
    assert [type(v) for v in pkg.licenses] == [str]


def test_nix_store_names_and_one_package_per_entry() -> None:
    assert split_store_name("glibc-2.34-210-bin") == ("glibc", "2.34-210", "bin")
    assert split_store_name("python3.10-requests-2.28.1") == ("python3.10-requests",
                                                              "2.28.1", "")
    assert split_store_name("hello") is None
    cat = NixStoreCataloger()
    entry = "/nix/store/" + "a" * 32 + "-zlib-1.2.13"
    one = cat.parse(entry + "/lib/libz.so.1", b"").packages[0]
    two = cat.parse(entry + "/share/man/man3/zlib.3", b"").packages[0]
    assert one == two and one.locations[0].path == entry
    assert not cat.wants(entry + "/lib/big.a", 10 * 1024 * 1024)


def test_errors_and_foreign_files() -> None:
    with pytest.raises(CatalogError):
        AlpmCataloger().parse("/var/lib/pacman/local/x/desc", b"%DESC%\nno name\n")
    with pytest.raises(CatalogError):
        PeclRegistryCataloger().parse("/.registry/x.reg", b"a:1:{s:4:\"name\";O:3:\"Foo\"}")
    with pytest.raises(CatalogError):
        DotnetDepsCataloger().parse("/app/x.deps.json", b"{}")
    # files with the right name but another format are simply not packages
    assert ErlangOtpAppCataloger().parse("/x/Foo.app", b"not erlang") == Parsed()
    assert RDescriptionCataloger().parse("/lib/R/other/DESCRIPTION",
                                         b"Package: base\nVersion: 1\n") == Parsed()
    assert not PortageCataloger().wants("/var/db/pkg/cat/CONTENTS", 1)
