"""Syft's package-coverage root (anchore/syft image-pkg-coverage), scanned as a directory and
as the image its Dockerfile builds, compared case by case with Syft's expected packages.

Oracle: golden/syft-image-pkg-coverage.expected.json (Syft's own test cases). Per case the
exact multiset of {name: version} of that ecosystem is compared (count = distinct packages +
Syft's ``duplicates``). Every departure from Syft's answer is listed in ``ADJUST`` below with
its reason; there are two kinds:

* inputs excluded from the shared data as code (gemspec, jar, hpi, setup.py, rockspec, php,
  brew .rb, Prolog pack.pl, GitHub workflow) or produced only by the Dockerfile's build
  stage (the downloaded DocuSign.eSign.dll): their packages are dropped from the expected
  set, and a case left with nothing to compare is skipped with that reason;
* "mode" deviations, for directories only. Like Syft, ringfence runs lock-file and
  manifest catalogers (declared: lock files, requirements, pom.xml) on directories only, and
  images get the installed-package catalogers alone (catalog/registry.py, INSTALLED and
  DECLARED). Directories get the installed-package catalogers too (as Syft's directory mode
  does for some of them), so where an installed-package file Syft reads only in images is
  present in the directory (package.json, installed.json), the directory case is extended
  with Syft's own answer for it (taken from the golden image case, never typed in here).
"""

from __future__ import annotations

import hashlib
import io
import json
import re
import tarfile
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from ringfence.model.package import Package
from ringfence.scan import ScanOptions, scan_image
from tests.conftest import DATA

GOLDEN = "golden/syft-image-pkg-coverage.expected.json"
ROOTFS = "pkgdb/rootfs/syft-image-pkg-coverage"

# Syft pkg.Type -> our Package.type (the purl type).
PURL_TYPE = {
    "GemPkg": "gem", "NpmPkg": "npm", "PythonPkg": "pypi", "PhpComposerPkg": "composer",
    "ApkPkg": "apk", "JavaPkg": "maven", "Rpkg": "cran", "DotnetPkg": "nuget",
    "GoModulePkg": "golang", "ConanPkg": "conan", "RustPkg": "cargo", "DartPubPkg": "pub",
    "CocoapodsPkg": "cocoapods", "HackagePkg": "hackage", "HexPkg": "hex",
    "ErlangOTPPkg": "otp", "SwiftPkg": "swift", "SwiplPackPkg": "swipl",
    "GithubActionPkg": "github", "GithubActionWorkflowPkg": "github", "OpamPkg": "opam",
    "TerraformPkg": "terraform", "AlpmPkg": "alpm", "RpmPkg": "rpm", "DebPkg": "deb",
    "PortagePkg": "ebuild", "JenkinsPluginPkg": "maven", "NixPkg": "nix",
    "WordpressPluginPkg": "wordpress", "HomebrewPkg": "brew", "PhpPearPkg": "pecl",
    "LuaRocksPkg": "luarocks",
}

IMAGE, DIR, COMMON = "imageOnlyTestCases", "dirOnlyTestCases", "commonTestCases"


@dataclass(frozen=True)
class Adjust:
    drop: tuple[str, ...] = ()      # expected names whose only input is absent here
    why: str = ""                   # reason for drop / skip
    add: tuple[tuple[str, str], ...] = ()  # (section, case name) whose packages also apply
    add_why: str = ""
    duplicates: int | None = None   # replaces Syft's duplicates when dropped inputs made them


_GEMSPEC = "its input, a specifications/*.gemspec, is Ruby code excluded from the shared data"
_JAR = "example-java-app-maven-0.1.0.jar was excluded (jar with classes)"
ADJUST: dict[tuple[str, str], Adjust] = {
    (IMAGE, "find gemspec packages"): Adjust(("bundler", "unbundler"), _GEMSPEC),
    (DIR, "find gemfile packages"): Adjust(("bundler", "unbundler"), _GEMSPEC),
    (IMAGE, "find java packages excluding pom.xml"): Adjust(
        ("example-java-app-maven", "joda-time"), _JAR + " (joda-time is nested in it)"),
    (DIR, "find java packages including pom.xml"): Adjust(
        ("example-java-app-maven",), _JAR, duplicates=0),
    (IMAGE, "find .NET packages (deps.json + .dlls)"): Adjust(
        ("DocuSign.eSign",), "DocuSign.eSign.dll is downloaded by the Dockerfile's build "
        "stage (the Dockerfile is excluded as code); it is not in the fixture"),
    (DIR, "find python requirements.txt & setup.py package references"): Adjust(
        ("mypy",), "python/setup/setup.py (code) was excluded"),
    (DIR, "find swipl pack package manager packages"): Adjust(
        ("hdt",), "swipl/pack/hdt/pack.pl (Prolog code) was excluded"),
    (DIR, "find github action packages (from usage in workflow files and composite actions)"):
        Adjust(("actions/checkout",), "the GitHub workflow validations.yaml was excluded"),
    (DIR, "find github shared workflow calls (from usage in workflow files)"): Adjust(
        ("octo-org/this-repo/.github/workflows/workflow-1.yml",),
        "the GitHub workflow validations.yaml was excluded"),
    (COMMON, "find jenkins plugins"): Adjust(
        ("example-jenkins-plugin",), "example-jenkins-plugin.hpi (jar with classes) was excluded"),
    (COMMON, "find wordpress plugins"): Adjust(
        ("Akismet Anti-spam: Spam Protection",), "wp-content/plugins/akismet/akismet.php "
        "(PHP code) was excluded"),
    (COMMON, "find homebrew"): Adjust(
        ("afflib",), "Cellar/afflib/1.2.3/.brew/afflib.rb (Ruby code) was excluded"),
    (COMMON, "find lua rock package"): Adjust(
        ("kong",), "rockspec/kong-3.7.0-0.rockspec (Lua code) was excluded"),
    # Mode deviations (see module docstring): an installed-package file present in the
    # directory, read there because installed-package catalogers run on directories too.
    (DIR, "find javascript npm packages (yarn.lock & package-lock.json)"): Adjust(
        add=((IMAGE, "find npm package"),),
        add_why="javascript/package-json/package.json is in the directory too"),
    (DIR, "find php composer package"): Adjust(
        add=((IMAGE, "find PHP composer installed.json packages"),),
        add_why="php/vendor/composer/installed.json is in the directory too"),
}
# A mode deviation takes the other case's packages minus that case's own dropped names.


def _norm(type_: str, name: str) -> str:
    """PyPI names compare by their PEP 503 normal form (Syft lower-cases them too); Maven
    names by the artifactId, which is Syft's whole name (ours is ``group:artifact``, as the
    purl is; the group is not in the golden)."""
    if type_ == "pypi":
        return re.sub(r"[-_.]+", "-", name).lower()
    return name.rpartition(":")[2] if type_ == "maven" else name


@pytest.fixture(scope="module")
def golden(data_dir: Path) -> dict[str, Any]:
    cases: dict[str, Any] = json.loads((data_dir / GOLDEN).read_text())["cases"]
    return cases


def _case(golden: dict[str, Any], section: str, name: str) -> dict[str, Any]:
    found: dict[str, Any] = next(c for c in golden[section] if c["name"] == name)
    return found


def expected(golden: dict[str, Any], section: str, name: str) -> tuple[Counter[tuple[str, str]],
                                                                        str]:
    """The expected multiset of (name, version) and the reason for a skip ("" = compare)."""
    case = _case(golden, section, name)
    adj = ADJUST.get((section, name), Adjust())
    type_ = PURL_TYPE[case["pkgType"]]
    pkgs = {n: v for n, v in case["packages"].items() if n not in adj.drop}
    if not pkgs:
        return Counter(), f"{name}: {adj.why}"
    for other in adj.add:
        other_adj = ADJUST.get(other, Adjust())
        pkgs.update({n: v for n, v in _case(golden, *other)["packages"].items()
                     if n not in other_adj.drop})
    want = Counter({(_norm(type_, n), v): 1 for n, v in pkgs.items()})
    dups = case["duplicates"] if adj.duplicates is None else adj.duplicates
    if dups:
        # Syft counts duplicates without naming them; every duplicated case of this fixture
        # that remains (apk: lib/ and pkgs/lib/ hold the same two packages) doubles them all.
        assert dups % len(want) == 0, f"{name}: cannot spread {dups} duplicates"
        want = Counter({k: 1 + dups // len(want) for k in want})
    return want, ""


def observed(packages: tuple[Package, ...], type_: str) -> Counter[tuple[str, str]]:
    return Counter((_norm(type_, p.name), p.version) for p in packages if p.type == type_)


def _params(sections: tuple[str, ...]) -> list[Any]:
    golden_path = DATA / GOLDEN  # parametrisation happens before fixtures exist
    if not golden_path.is_file():
        return [pytest.param("", "", marks=pytest.mark.skip(reason=f"{golden_path} absent"))]
    cases = json.loads(golden_path.read_text())["cases"]
    return [pytest.param(s, c["name"], id=f"{s[:-9]}:{c['name']}")
            for s in sections for c in cases[s]]


def _compare(golden: dict[str, Any], section: str, name: str,
             packages: tuple[Package, ...]) -> None:
    want, skip = expected(golden, section, name)
    if skip:
        pytest.skip(skip)
    type_ = PURL_TYPE[_case(golden, section, name)["pkgType"]]
    got = observed(packages, type_)
    assert got == want, (f"{name}: missing {sorted((want - got).elements())}, "
                         f"unexpected {sorted((got - want).elements())}")


# --- directory scan -------------------------------------------------------------------

@pytest.fixture(scope="module")
def dir_packages(data_dir: Path) -> tuple[Package, ...]:
    result = scan_image("dir:" + str(data_dir / ROOTFS), ScanOptions(cache_dir=None))
    return result.inventory.packages


@pytest.mark.parametrize(("section", "name"), _params((DIR, COMMON)))
def test_directory_case(golden: dict[str, Any], dir_packages: tuple[Package, ...],
                        section: str, name: str) -> None:
    _compare(golden, section, name, dir_packages)


# --- image built as the Dockerfile does -------------------------------------------------

def _layer(entries: list[tuple[Path, str]]) -> bytes:
    """An uncompressed layer tar holding each (source tree, path in the image)."""
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=tarfile.PAX_FORMAT) as tar:
        for src, dest in entries:
            tar.add(str(src), arcname=dest, recursive=True)
    return buf.getvalue()


def _blob(root: Path, data: bytes) -> str:
    digest = "sha256:" + hashlib.sha256(data).hexdigest()
    (root / "blobs" / "sha256" / digest[7:]).write_bytes(data)
    return digest


def build_oci(rootfs: Path, out: Path) -> Path:
    """The Dockerfile's final stage: ``COPY pkgs/ .``, ``COPY lib lib``, ``COPY etc/ .``
    (its first three COPYs take files built by the excluded first stage: absent here)."""
    (out / "blobs" / "sha256").mkdir(parents=True)
    layers = [
        _layer([(child, child.name) for child in sorted((rootfs / "pkgs").iterdir())]),
        _layer([(rootfs / "lib", "lib")]),
        _layer([(child, child.name) for child in sorted((rootfs / "etc").iterdir())]),
    ]
    descriptors = [{"mediaType": "application/vnd.oci.image.layer.v1.tar",
                    "digest": _blob(out, data), "size": len(data)} for data in layers]
    config = json.dumps({
        "architecture": "amd64", "os": "linux", "config": {},
        "rootfs": {"type": "layers", "diff_ids": [d["digest"] for d in descriptors]},
    }).encode()
    manifest = json.dumps({
        "schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
        "config": {"mediaType": "application/vnd.oci.image.config.v1+json",
                   "digest": _blob(out, config), "size": len(config)},
        "layers": descriptors,
    }).encode()
    index = {"schemaVersion": 2, "manifests": [{
        "mediaType": "application/vnd.oci.image.manifest.v1+json",
        "digest": _blob(out, manifest), "size": len(manifest),
        "annotations": {"org.opencontainers.image.ref.name": "latest"}}]}
    (out / "index.json").write_text(json.dumps(index))
    (out / "oci-layout").write_text(json.dumps({"imageLayoutVersion": "1.0.0"}))
    return out


@pytest.fixture(scope="module")
def image_packages(data_dir: Path, tmp_path_factory: pytest.TempPathFactory
                   ) -> tuple[Package, ...]:
    layout = build_oci(data_dir / ROOTFS, tmp_path_factory.mktemp("coverage") / "image.oci")
    result = scan_image(f"oci:{layout}", ScanOptions(cache_dir=None))
    assert result.image is not None and len(result.image.layers) == 3
    return result.inventory.packages


@pytest.mark.parametrize(("section", "name"), _params((IMAGE, COMMON)))
def test_image_case(golden: dict[str, Any], image_packages: tuple[Package, ...],
                    section: str, name: str) -> None:
    _compare(golden, section, name, image_packages)


def test_every_case_has_a_known_type(golden: dict[str, Any]) -> None:
    """The golden's types all map to a purl type, and every adjustment names a real case."""
    names = {(s, c["name"]) for s in (IMAGE, DIR, COMMON) for c in golden[s]}
    assert {c["pkgType"] for s in names for c in [_case(golden, *s)]} <= PURL_TYPE.keys()
    assert set(ADJUST) <= names
