"""Composer catalogers against Syft's coverage root (with its golden), scalibr's and
Trivy's composer.lock fixtures, and synthetic v1 installed.json / broken inputs."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from ringfence.catalog.interface import CatalogError
from ringfence.catalog.php.composer import ComposerInstalledCataloger, ComposerLockCataloger

ROOT = "pkgdb/rootfs/syft-image-pkg-coverage"
SCALIBR = "pkgdb/php/scalibr-composerlock"


def _golden(data_dir: Path, section: str) -> dict[str, str]:
    golden = json.loads((data_dir / "golden/syft-image-pkg-coverage.expected.json").read_text())
    case = next(c for c in golden["cases"][section] if c["pkgType"] == "PhpComposerPkg")
    packages: dict[str, str] = case["packages"]
    return packages


def test_installed_json_v2_matches_syft(data_dir: Path) -> None:
    path = "/app/vendor/composer/installed.json"
    cat = ComposerInstalledCataloger()
    assert cat.wants(path, 10)
    real = data_dir / ROOT / "pkgs/php/vendor/composer/installed.json"
    got = cat.parse(path, real.read_bytes())
    assert {p.name: p.version for p in got.packages} == _golden(data_dir, "imageOnlyTestCases")
    fast_route = next(p for p in got.packages if p.name == "nikic/fast-route")
    assert fast_route.purl == "pkg:composer/nikic/fast-route@v1.3.0"
    assert fast_route.licenses == ("BSD-3-Clause",)


def test_composer_lock_matches_syft_without_dev(data_dir: Path) -> None:
    got = ComposerLockCataloger().parse("/composer.lock",
                                        (data_dir / ROOT / "composer/composer.lock").read_bytes())
    assert {p.name: p.version for p in got.packages} == _golden(data_dir, "dirOnlyTestCases")


@pytest.mark.parametrize(("name", "want"), [
    ("one-package.json", [("sentry/sdk", "2.0.4")]),
    ("one-package-dev.json", []),
    ("two-packages.json", [("sentry/sdk", "2.0.4")]),
    ("duplicate-packages.json", [("sentry/sdk", "2.0.4"), ("sentry/sdk", "2.0.5")]),
    ("drupal-packages.json", [("drupal/core", "10.4.5"), ("drupal/tfa", "2.0.0-alpha4"),
                              ("theseer/tokenizer", "1.1.3")]),
])
def test_scalibr_lock_fixtures(data_dir: Path, name: str, want: list[tuple[str, str]]) -> None:
    got = ComposerLockCataloger().parse("/composer.lock", (data_dir / SCALIBR / name).read_bytes())
    assert [(p.name, p.version) for p in got.packages] == want


def test_trivy_lock(data_dir: Path) -> None:
    data = (data_dir / "pkgdb/php/trivy/composer.lock").read_bytes()
    doc = json.loads(data)
    got = ComposerLockCataloger().parse("/composer.lock", data)
    assert [(p.name, p.version) for p in got.packages] == [
        (e["name"], e["version"]) for e in doc["packages"]]


def test_broken_inputs(data_dir: Path) -> None:
    with pytest.raises(CatalogError):
        ComposerLockCataloger().parse("/composer.lock", (data_dir / SCALIBR / "not-json.txt")
                                      .read_bytes())
    assert ComposerLockCataloger().parse("/composer.lock", b"{}").packages == ()


def test_installed_json_v1_list_and_bad_entries() -> None:
    data = json.dumps([{"name": "psr/log", "version": "1.1.4", "license": "MIT"},
                       {"name": "noslash", "version": "1"}, {"version": "2"}]).encode()
    got = ComposerInstalledCataloger().parse("/v/vendor/composer/installed.json", data)
    assert [(p.name, p.licenses) for p in got.packages] == [("psr/log", ("MIT",))]
    assert len(got.problems) == 2
