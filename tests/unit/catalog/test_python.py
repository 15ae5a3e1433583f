"""Python catalogers against the real fixtures in pkgdb/python (osv-scalibr and Syft test data).

Expected names/versions for the scalibr wheelegg and requirements fixtures are the ones
scalibr's own tests assert (wheelegg_test.go, requirements_test.go); deviations are marked.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from ringfence.catalog.interface import CatalogError, Parsed
from ringfence.catalog.python.cataloger import PythonInstalledCataloger
from ringfence.catalog.python.lockfile import PythonLockfileCataloger

INSTALLED = PythonInstalledCataloger()
LOCKS = PythonLockfileCataloger()


def _nv(parsed: Parsed) -> set[tuple[str, str]]:
    return {(p.name, p.version) for p in parsed.packages}


def _read(data_dir: Path, rel: str) -> bytes:
    return (data_dir / "pkgdb" / "python" / rel).read_bytes()


@pytest.mark.parametrize(("path", "wanted"), [
    ("/usr/lib/python3/dist-packages/pip-23.0.1.dist-info/METADATA", True),
    ("/usr/lib/python3/dist-packages/wheel-0.38.4.egg-info/PKG-INFO", True),
    ("/usr/lib/python3.11/site-packages/pycups-2.0.1.egg-info", True),
    ("/opt/x/setuptools-57.4.0-py3.9.egg/EGG-INFO/PKG-INFO", True),
    ("/site/dist-name/DIST-INFO/METADATA", True),
    ("/usr/lib/python3/dist-packages/pip-23.0.1.dist-info/RECORD", False),
    ("/usr/lib/python3/dist-packages/pip-23.0.1.dist-info/TEST", False),
    ("/app/requirements.txt", False),
    ("/usr/share/doc/METADATA", False),
])
def test_installed_wants(path: str, wanted: bool) -> None:
    assert INSTALLED.wants(path, 100) is wanted


@pytest.mark.parametrize(("rel", "name", "version"), [
    # scalibr wheelegg_test.go TestExtract
    ("scalibr-wheelegg/distinfo_meta", "pip", "22.2.2"),
    ("scalibr-wheelegg/egginfo_pkginfo", "setuptools", "57.4.0"),
    ("scalibr-wheelegg/egginfo", "pycups", "2.0.1"),
    ("scalibr-wheelegg/pkginfo", "httplib2", "0.20.4"),
    ("scalibr-wheelegg/malformed_pkginfo", "passlib", "1.7.4"),
    # header names are case-insensitive (RFC 822)
    ("scalibr-wheelegg/mixed_case", "httplib2", "1.0"),
    ("scalibr-wheelegg/special_chars", "backports.ssl_match_hostname", "3.5.0.1"),
    ("scalibr-wheelegg/pyopenssl-26.0.0.dist-info", "pyOpenSSL", "26.0.0"),
    # Syft's site-packages fixtures (cataloger_test.go expects Pygments 2.6.1 / requests 2.22.0)
    ("syft-site-packages/nested/dist-name/dist-info/METADATA", "Pygments", "2.6.1"),
    ("syft-site-packages/uppercase/dist-name/DIST-INFO/METADATA", "Pygments", "2.6.1"),
    ("syft-site-packages/nested/egg-name/egg-info/PKG-INFO", "requests", "2.22.0"),
    ("syft-site-packages/uppercase/egg-name/EGG-INFO/PKG-INFO", "requests", "2.22.0"),
    ("syft-site-packages/test/test.egg-info", "requests", "2.22.0"),
])
def test_installed_fixtures(data_dir: Path, rel: str, name: str, version: str) -> None:
    parsed = INSTALLED.parse("/x/" + rel, _read(data_dir, rel))
    assert _nv(parsed) == {(name, version)}
    assert parsed.packages[0].type == "pypi"
    assert parsed.packages[0].cataloger == "python"


def test_purl_uses_pep503_normalised_name(data_dir: Path) -> None:
    purls = {INSTALLED.parse("/x", _read(data_dir, rel)).packages[0].purl for rel in (
        "scalibr-wheelegg/pyopenssl-26.0.0.dist-info", "scalibr-wheelegg/special_chars")}
    assert purls == {"pkg:pypi/pyopenssl@26.0.0",
                     "pkg:pypi/backports-ssl-match-hostname@3.5.0.1"}


@pytest.mark.parametrize(("rel", "licenses"), [
    ("scalibr-wheelegg/distinfo_meta", ("MIT",)),  # License: header
    # raw names normalised to SPDX (catalog/licenses.py): "GPLv2+"
    ("scalibr-wheelegg/egginfo", ("GPL-2.0-or-later",)),
    # License: UNKNOWN -> the classifier's last segment ("MIT License")
    ("scalibr-wheelegg/egginfo_pkginfo", ("MIT",)),
    # no License: header at all -> classifier; a family without version stays as written
    ("syft-site-packages/license/without-license-file-declared.dist-info/METADATA",
     ("BSD License",)),
    ("syft-site-packages/nested/egg-name/egg-info/PKG-INFO", ("Apache-2.0",)),  # "Apache 2.0"
    ("scalibr-wheelegg/mixed_case", ()),
])
def test_installed_licenses(data_dir: Path, rel: str, licenses: tuple[str, ...]) -> None:
    assert INSTALLED.parse("/x", _read(data_dir, rel)).packages[0].licenses == licenses


def test_license_expression_wins() -> None:
    data = (b"Metadata-Version: 2.4\nName: demo\nVersion: 1.0\nLicense-Expression: MIT OR "
            b"Apache-2.0\nLicense: see file\nClassifier: License :: OSI Approved :: MIT License\n")
    assert INSTALLED.parse("/x", data).packages[0].licenses == ("MIT OR Apache-2.0",)


def test_malformed_header_is_reported(data_dir: Path) -> None:
    parsed = INSTALLED.parse("/x", _read(data_dir, "scalibr-wheelegg/malformed_pkginfo"))
    assert len(parsed.problems) == 1
    assert "crypt md5-crypt" in parsed.problems[0]


def test_repeated_version_uses_first_and_says_so(data_dir: Path) -> None:
    parsed = INSTALLED.parse("/x", _read(data_dir, "scalibr-wheelegg/repeated_pkginfo"))
    assert _nv(parsed) == {("root", "1.0.0")}
    assert parsed.problems == ("3 Version headers; the first was used",)


@pytest.mark.parametrize(("rel", "reason"), [
    ("scalibr-wheelegg/empty", "empty core metadata file"),
    ("syft-site-packages/no-version/no-version-py3.8.egg-info",
     "core metadata without Version header"),
])
def test_installed_unreadable(data_dir: Path, rel: str, reason: str) -> None:
    with pytest.raises(CatalogError, match=reason):
        INSTALLED.parse("/x", _read(data_dir, rel))


def test_site_metadata_keeps_debian_distributions_apart() -> None:
    data = b"Name: pip\nVersion: 23.0.1\n"
    deb = INSTALLED.parse("/usr/lib/python3/dist-packages/pip-23.0.1.dist-info/METADATA", data)
    egg = INSTALLED.parse("/usr/lib/python3/dist-packages/wheel-0.38.4.egg-info", data)
    assert dict(deb.packages[0].metadata) == {"site": "/usr/lib/python3/dist-packages"}
    assert dict(egg.packages[0].metadata) == {"site": "/usr/lib/python3/dist-packages"}


@pytest.mark.parametrize(("path", "wanted"), [
    ("/app/requirements.txt", True),
    ("/app/requirements-dev.txt", True),
    ("/app/test-requirements.txt", True),
    ("/app/poetry.lock", True),
    ("/app/Pipfile.lock", True),
    ("/app/uv.lock", True),
    ("/requirements-asdf/test.txt", False),
    ("/app/requirements.md", False),
    ("/app/yarn.lock", False),
])
def test_lockfile_wants(path: str, wanted: bool) -> None:
    assert LOCKS.wants(path, 100) is wanted


# scalibr requirements_test.go, restricted to exact pins (== and ===): scalibr also reports
# >= and ~= lower bounds (newspaper3k, keyring, Mopidy-Dirble), which are not versions in use.
REQUIREMENTS = {
    "comments.txt": {("PyCrypto", "1.2-alpha"), ("GMPY2", "1"), ("SymPy", "1.2"),
                     ("requests", "1.0"), ("six", "1.2")},
    # scalibr omits pkg.dot.name==5.0.0 (a valid PEP 508 name with an exact pin); we keep it
    "with_versions.txt": {("nltk", "3.2.2"), ("tabulate", "0.7.7"), ("qwerty", "0.1"),
                          ("hy-phen", "1.2"), ("under_score", "1.3"), ("yolo", "1.0"),
                          ("pkg.dot.name", "5.0.0")},
    # scalibr follows "-r other-requirements.txt"; a parser over one file's bytes cannot
    "example.txt": {("docopt", "0.6.1")},
    "extras.txt": {("pyjwt", "2.1.0"), ("celery", "4.4.7")},
    "env_var.txt": {("asdf", "1.2"), ("another", "1.0")},
    "no_version.txt": set(),
    "loop.txt": set(),
    "multiline_and_comments.txt": {("pkgA", "1.0"), ("pkgB", "2.0")},
    "trailing_backslash.txt": {("pkg1", "1.0")},
    # scalibr reports foo7 with version "1.0unexpected_text_before_options_stays_around";
    # that line is not a valid requirement, so it becomes a problem here instead
    "per_req_options.txt": {(f"foo{i}", "1.0") for i in (1, 2, 3, 4, 5, 6, 8, 9, 11, 12, 13, 14)}
    | {("foo16-Client", "1.0"), ("foo17--hash", "1.0"), ("foo18-Client", "1.0")},
}


@pytest.mark.parametrize("name", sorted(REQUIREMENTS))
def test_requirements(data_dir: Path, name: str) -> None:
    parsed = LOCKS.parse("/app/requirements.txt", _read(data_dir, f"scalibr-requirements/{name}"))
    assert _nv(parsed) == REQUIREMENTS[name]
    assert all(p.cataloger == "python-lockfile" for p in parsed.packages)


def test_requirements_invalid_lines_are_problems(data_dir: Path) -> None:
    parsed = LOCKS.parse("/r/requirements.txt", _read(data_dir, "scalibr-requirements/invalid.txt"))
    assert parsed.packages == ()
    assert [p.split(":")[0] for p in parsed.problems] == ["line 1", "line 2", "line 3"]
    per_req = LOCKS.parse("/r/requirements.txt",
                          _read(data_dir, "scalibr-requirements/per_req_options.txt"))
    assert [p.split(":")[0] for p in per_req.problems] == ["line 13", "line 20", "line 30"]


LOCKFILES = {
    "scalibr-poetrylock/one-package.lock": {("numpy", "1.23.3")},
    "scalibr-poetrylock/two-packages.lock": {("proto-plus", "1.22.0"), ("protobuf", "4.21.5")},
    "scalibr-poetrylock/source-git.lock": {("ike", "0.2.0")},
    "scalibr-poetrylock/source-legacy.lock": {("appdirs", "1.4.4")},
    "scalibr-poetrylock/names-outside-package-block.lock": {("first-pkg", "1.0.0"),
                                                            ("second-pkg", "2.0.0")},
    "scalibr-poetrylock/empty.lock": set(),
    "scalibr-poetrylock/empty-file.lock": set(),
    "scalibr-uvlock/one-package.lock": {("emoji", "2.14.0")},  # the virtual project is not
    "scalibr-uvlock/two-packages.lock": {("emoji", "2.14.0"), ("protobuf", "4.25.5")},
    "scalibr-uvlock/source-git.lock": {("ruff", "0.8.1")},
    "scalibr-uvlock/no-dependencies.lock": set(),
    "scalibr-uvlock/no-packages.lock": set(),
    "scalibr-uvlock/empty.lock": set(),
    "scalibr-pipfilelock/one-package.json": {("markupsafe", "2.1.1")},
    "scalibr-pipfilelock/minified.json": {("markupsafe", "2.1.1")},
    "scalibr-pipfilelock/multiple-packages.json": {
        ("itsdangerous", "2.1.2"), ("pluggy", "1.0.1"), ("pluggy", "1.0.0"),
        ("markupsafe", "2.1.1")},
    "scalibr-pipfilelock/no-version.json": set(),  # git checkouts: no version to report
    "scalibr-pipfilelock/empty.json": set(),
}
_BASENAME = {"scalibr-poetrylock": "poetry.lock", "scalibr-uvlock": "uv.lock",
             "scalibr-pipfilelock": "Pipfile.lock"}


@pytest.mark.parametrize("rel", sorted(LOCKFILES))
def test_lockfiles(data_dir: Path, rel: str) -> None:
    path = "/app/" + _BASENAME[rel.split("/")[0]]
    assert _nv(LOCKS.parse(path, _read(data_dir, rel))) == LOCKFILES[rel]


def test_lockfile_groups(data_dir: Path) -> None:
    def groups(rel: str, path: str) -> dict[str, str]:
        parsed = LOCKS.parse(path, _read(data_dir, rel))
        return {p.name: dict(p.metadata).get("groups", "") for p in parsed.packages}
    assert groups("scalibr-pipfilelock/two-packages.json", "/Pipfile.lock") == {
        "itsdangerous": "default", "markupsafe": "develop"}
    assert groups("scalibr-poetrylock/optional-package.lock", "/poetry.lock") == {
        "numpy": "optional"}


@pytest.mark.parametrize(("rel", "path", "reason"), [
    ("scalibr-poetrylock/not-toml.txt", "/poetry.lock", "not TOML"),
    ("scalibr-uvlock/not-toml.txt", "/uv.lock", "not TOML"),
    ("scalibr-pipfilelock/not-json.txt", "/Pipfile.lock", "not JSON"),
    ("scalibr-pipfilelock/empty-file", "/Pipfile.lock", "empty file"),
])
def test_lockfile_unreadable(data_dir: Path, rel: str, path: str, reason: str) -> None:
    with pytest.raises(CatalogError, match=reason):
        LOCKS.parse(path, _read(data_dir, rel))
