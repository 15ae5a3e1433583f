"""npm catalogers against the real fixtures in pkgdb/npm (osv-scalibr, osv-scanner test data).

Expected package sets for package-lock.json v2 are those of scalibr's
packagelockjson-v2_test.go, compared as (name, version) sets; deviations are marked.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from ringfence.catalog.interface import CatalogError, Parsed
from ringfence.catalog.npm.cataloger import NpmCataloger, licenses
from ringfence.catalog.npm.lockfile import NpmLockfileCataloger

INSTALLED = NpmCataloger()
LOCKS = NpmLockfileCataloger()


def _nv(parsed: Parsed) -> set[tuple[str, str]]:
    return {(p.name, p.version) for p in parsed.packages}


def _read(data_dir: Path, rel: str) -> bytes:
    return (data_dir / "pkgdb" / "npm" / rel).read_bytes()


@pytest.mark.parametrize(("path", "wanted"), [
    ("/app/node_modules/express/package.json", True),
    ("/app/node_modules/@babel/code-frame/package.json", True),
    ("/app/node_modules/raw-body/node_modules/depd/package.json", True),
    ("/usr/lib/node_modules/npm/package.json", True),
    ("/app/package.json", True),  # the project itself, as Syft and Trivy report it
    ("/app/node_modules/express/lib/package.json", False),
    ("/app/node_modules/@babel/package.json", False),
    ("/app/node_modules/.bin/package.json", False),
    ("/app/node_modules/x/test/fixtures/package.json", False),
    ("/app/package-lock.json", False),
    ("/app/node_modules/express/index.js", False),
])
def test_wants(path: str, wanted: bool) -> None:
    assert INSTALLED.wants(path, 100) is wanted


@pytest.mark.parametrize(("rel", "name", "version", "lic"), [
    ("scalibr-packagejson/deps/accepts/package.json", "accepts", "1.3.8", ("MIT",)),
    ("scalibr-packagejson/deps/with/deps/acorn/package.json", "acorn", "1.2.2", ("MIT",)),
    ("scalibr-packagejson/undici-package.json", "undici", "5.28.3", ("MIT",)),
    ("scalibr-packagejson/duplicate-keys.json", "duplicate-keys", "1.0.0", ()),
])
def test_installed_package_json(data_dir: Path, rel: str, name: str, version: str,
                                lic: tuple[str, ...]) -> None:
    parsed = INSTALLED.parse(f"/app/node_modules/{name}/package.json", _read(data_dir, rel))
    assert _nv(parsed) == {(name, version)}
    pkg = parsed.packages[0]
    assert pkg.licenses == lic
    assert pkg.purl == f"pkg:npm/{name}@{version}"
    assert dict(pkg.metadata) == {"role": "installed"}


def test_scoped_purl() -> None:
    data = b'{"name": "@babel/code-frame", "version": "7.0.0", "license": {"type": "MIT"}}'
    pkg = INSTALLED.parse("/a/node_modules/@babel/code-frame/package.json", data).packages[0]
    assert pkg.purl == "pkg:npm/%40babel/code-frame@7.0.0"
    assert pkg.licenses == ("MIT",)


def test_legacy_licenses_array(data_dir: Path) -> None:
    doc = json.loads(_read(data_dir, "scalibr-packagejson/deps/window-size/package.json"))
    assert licenses(doc) == ("MIT",)


def test_project_package_json(data_dir: Path) -> None:
    data = _read(data_dir, "scalibr-packagejson/package.json")
    parsed = INSTALLED.parse("/app/package.json", data)
    assert _nv(parsed) == {("testdata", "10.46.8")}
    assert dict(parsed.packages[0].metadata) == {"role": "project"}
    # a project manifest without a version is an app, not a package: nothing, no error
    nameless = _read(data_dir, "scalibr-packagejson/deps/acorn-globals/package.json")
    assert INSTALLED.parse("/app/package.json", nameless) == Parsed()


@pytest.mark.parametrize(("rel", "reason"), [
    ("scalibr-packagejson/invalid", "not JSON"),
    ("scalibr-packagejson/deps/acorn/package.json", "without a name and version"),  # name ""
    ("scalibr-packagejson/deps/acorn-globals/package.json", "without a name and version"),
    ("scalibr-packagejson/deps/window-size/package.json", "without a name and version"),
])
def test_installed_unreadable(data_dir: Path, rel: str, reason: str) -> None:
    with pytest.raises(CatalogError, match=reason):
        INSTALLED.parse("/app/node_modules/x/package.json", _read(data_dir, rel))


def test_lockfile_wants() -> None:
    assert LOCKS.wants("/app/package-lock.json", 1)
    assert LOCKS.wants("/app/npm-shrinkwrap.json", 1)
    assert not LOCKS.wants("/app/node_modules/.package-lock.json", 1)
    assert not LOCKS.wants("/app/package.json", 1)


# scalibr packagelockjson-v2_test.go
V2 = {
    "one-package.v2.json": {("wrappy", "1.0.2")},
    "two-packages.v2.json": {("wrappy", "1.0.2"), ("supports-color", "5.5.0")},
    "scoped-packages.v2.json": {("wrappy", "1.0.2"), ("@babel/code-frame", "7.0.0")},
    "nested-dependencies.v2.json": {("postcss", "6.0.23"), ("postcss", "7.0.16"),
                                    ("postcss-calc", "7.0.1"), ("supports-color", "6.1.0"),
                                    ("supports-color", "5.5.0")},
    "nested-dependencies-dup.v2.json": {("supports-color", "6.1.0"), ("supports-color", "2.0.0")},
    # scalibr also lists raven-js with version "" (a git dependency without a version);
    # and is-number-1/-2 twice (two commits, same version): one (name, version) here
    "commits.v2.json": {("@segment/analytics.js-integration-facebook-pixel", "2.4.1"),
                        ("ansi-styles", "1.0.0"), ("babel-preset-php", "1.1.1"),
                        ("is-number-1", "3.0.0"), ("is-number-2", "2.0.0"),
                        ("is-number-3", "2.0.0"), ("is-number-3", "3.0.0"),
                        ("is-number-4", "3.0.0"), ("is-number-5", "3.0.0"),
                        ("postcss-calc", "7.0.1"), ("slick-carousel", "1.7.1")},
    "files.v2.json": {("etag", "1.8.0"), ("abbrev", "1.0.9"), ("abbrev", "2.3.4")},
    "alias.v2.json": {("@babel/code-frame", "7.0.0"), ("string-width", "4.2.0"),
                      ("string-width", "5.1.2")},
    "optional-package.v2.json": {("wrappy", "1.0.2"), ("supports-color", "5.5.0")},
    "empty.v2.json": set(),
}


@pytest.mark.parametrize("name", sorted(V2))
def test_lockfile_v2(data_dir: Path, name: str) -> None:
    data = _read(data_dir, f"scalibr-packagelockjson/{name}")
    parsed = LOCKS.parse("/app/package-lock.json", data)
    assert _nv(parsed) == V2[name]
    assert all(p.cataloger == "npm-lockfile" for p in parsed.packages)


@pytest.mark.parametrize("stem", ["one-package", "two-packages", "scoped-packages",
                                  "nested-dependencies", "alias", "one-package-dev",
                                  "same-package-different-groups"])
def test_lockfile_v1_matches_v2(data_dir: Path, stem: str) -> None:
    v1, v2 = (LOCKS.parse("/p/package-lock.json",
                          _read(data_dir, f"scalibr-packagelockjson/{stem}.{v}.json"))
              for v in ("v1", "v2"))
    assert _nv(v1) == _nv(v2) != set()


def test_lockfile_v1_skips_non_registry_versions(data_dir: Path) -> None:
    # "file:deps/other_package" and git URLs are sources, not versions
    data = _read(data_dir, "scalibr-packagelockjson/files.v1.json")
    files = LOCKS.parse("/p/package-lock.json", data)
    assert _nv(files) == {("lodash", "1.3.1")}


def test_lockfile_groups_and_v3(data_dir: Path) -> None:
    parsed = LOCKS.parse("/p/package-lock.json",
                         _read(data_dir, "scalibr-packagelockjson/optional-package.v2.json"))
    groups = {p.name: dict(p.metadata).get("groups", "") for p in parsed.packages}
    assert groups == {"wrappy": "optional", "supports-color": "dev"}
    v3 = LOCKS.parse("/p/package-lock.json",
                     _read(data_dir, "scalibr-packagelockjson/bundled-dependencies.v3.json"))
    assert _nv(v3) == {("ansi-regex", "6.2.2"), ("semver", "7.7.2"), ("strip-ansi", "7.1.2")}


def test_lockfile_osv_scanner_fixture(data_dir: Path) -> None:
    data = _read(data_dir, "osv-scanner-in-place-npm/package-lock.json")
    doc = json.loads(data)
    want = {(v.get("name") or k.rpartition("node_modules/")[2], v["version"])
            for k, v in doc["packages"].items() if k and "version" in v}
    parsed = LOCKS.parse("/p/package-lock.json", data)
    assert _nv(parsed) == want
    assert len(parsed.packages) == 106


@pytest.mark.parametrize(("rel", "reason"), [
    ("scalibr-packagelockjson/not-json.txt", "not JSON"),
    ("scalibr-packagelockjson/null.v2.jsontest", "expected a JSON object, found NoneType"),
])
def test_lockfile_unreadable(data_dir: Path, rel: str, reason: str) -> None:
    with pytest.raises(CatalogError, match=reason):
        LOCKS.parse("/p/package-lock.json", _read(data_dir, rel))
