"""Ruby catalogers against Syft's coverage root, scalibr's Gemfile.lock fixtures and
synthetic gemspecs (real gemspecs are Ruby code, excluded from the shared data)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from ringfence.catalog.interface import CatalogError
from ringfence.catalog.ruby.gemfile_lock import GemfileLockCataloger
from ringfence.catalog.ruby.gemspec import GemspecCataloger

ROOT = "pkgdb/rootfs/syft-image-pkg-coverage"
SCALIBR = "pkgdb/ruby/scalibr-gemfilelock"


def _lock(data_dir: Path, rel: str) -> dict[str, str]:
    parsed = GemfileLockCataloger().parse("/app/Gemfile.lock", (data_dir / rel).read_bytes())
    assert not parsed.problems
    return {p.name: p.version for p in parsed.packages}


def test_gemfile_lock_matches_syft_golden(data_dir: Path) -> None:
    golden = json.loads((data_dir / "golden/syft-image-pkg-coverage.expected.json").read_text())
    case = next(c for c in golden["cases"]["dirOnlyTestCases"] if c["pkgType"] == "GemPkg")
    # bundler and unbundler come from the excluded gemspecs; the BAD-SECTION entry is ignored.
    want = {n: v for n, v in case["packages"].items() if n not in ("bundler", "unbundler")}
    assert _lock(data_dir, f"{ROOT}/pkgs/ruby/Gemfile.lock") == want


@pytest.mark.parametrize(("name", "want"), [
    ("one-gem.lock", {"ast": "2.4.2"}),
    ("source-section-at-end.lock", {"ast": "2.4.2"}),
    ("no-spec-section.lock", {}),
    ("invalid.lock", {}),
    ("has-git-gem.lock", {"hanami-controller": "2.0.0.alpha1", "hanami-utils": "2.0.0.alpha1",
                          "concurrent-ruby": "1.1.7", "rack": "2.2.3", "transproc": "1.1.1"}),
])
def test_gemfile_lock_scalibr_fixtures(data_dir: Path, name: str, want: dict[str, str]) -> None:
    assert _lock(data_dir, f"{SCALIBR}/{name}") == want


def test_gemfile_lock_path_section_and_purl(data_dir: Path) -> None:
    got = GemfileLockCataloger().parse("/x/Gemfile.lock",
                                       (data_dir / SCALIBR / "has-local-gem.lock").read_bytes())
    by_name = {p.name: p for p in got.packages}
    assert by_name["backbone-on-rails"].version == "1.2.0.0"
    assert by_name["actionpack"].purl == "pkg:gem/actionpack@7.0.2.2"
    # a dependency line (six spaces, a constraint) never overrides the spec version
    assert by_name["actionview"].version == "7.0.2.2"


GEMSPEC = b'''# -*- encoding: utf-8 -*-
# stub: bundler 2.1.4 ruby lib
Gem::Specification.new do |s|
  s.name = "bundler".freeze
  s.version = "2.1.4"
  s.required_rubygems_version = Gem::Requirement.new(">= 2.5.2".freeze) if s.respond_to? :x
  s.authors = ["Andr\\u00E9 Arko".freeze]
  s.licenses = ["MIT".freeze, "Ruby".freeze]
  s.rubygems_version = "3.1.2".freeze
  s.specification_version = 4
end
'''


def test_gemspec_literal_fields_only() -> None:
    cat = GemspecCataloger()
    assert cat.wants("/usr/lib/ruby/gems/2.7.0/specifications/bundler-2.1.4.gemspec", 100)
    assert cat.wants("/usr/lib/ruby/gems/2.7.0/specifications/default/json-2.3.0.gemspec", 1)
    assert not cat.wants("/src/app/app.gemspec", 100)
    (pkg,) = cat.parse("/g/specifications/bundler-2.1.4.gemspec", GEMSPEC).packages
    assert (pkg.name, pkg.version, pkg.licenses) == ("bundler", "2.1.4", ("MIT", "Ruby"))
    assert pkg.purl == "pkg:gem/bundler@2.1.4"


def test_gemspec_spec_variable_and_single_license() -> None:
    src = b"Gem::Specification.new do |spec|\n  spec.name    = 'unbundler'\n" \
          b"  spec.version = '3.1.4'\n  spec.license = 'MIT'\nend\n"
    (pkg,) = GemspecCataloger().parse("/specifications/default/u.gemspec", src).packages
    assert (pkg.name, pkg.version, pkg.licenses) == ("unbundler", "3.1.4", ("MIT",))


def test_gemspec_without_literal_version_is_an_error() -> None:
    src = b"Gem::Specification.new do |s|\n  s.name = 'x'\n  s.version = VERSION\nend\n"
    with pytest.raises(CatalogError):
        GemspecCataloger().parse("/specifications/x.gemspec", src)


def test_default_gemspec_with_nul_bytes_is_a_package() -> None:
    # Ruby's installer writes default gems' specs with the extension's binary file list
    # inline; a NUL there used to make the spec an Unknown ("binary data").
    src = b"# stub: bigdecimal 3.1.1 ruby lib\nGem::Specification.new do |s|\n" \
          b"  s.name = \"bigdecimal\".freeze\n  s.version = \"3.1.1\"\n" \
          b"  s.files = [\"bigdecimal.so\\x00\x00\x7fELF\x02\x01\"]\n" \
          b"  s.licenses = [\"Ruby\".freeze, \"BSD-2-Clause\".freeze]\nend\n"
    (pkg,) = GemspecCataloger().parse("/usr/lib/ruby/gems/3.1.0/specifications/default/"
                                      "bigdecimal-3.1.1.gemspec", src).packages
    assert (pkg.name, pkg.version, pkg.licenses) == ("bigdecimal", "3.1.1",
                                                     ("Ruby", "BSD-2-Clause"))


def test_binary_file_named_gemspec_without_assignments_stays_an_error() -> None:
    with pytest.raises(CatalogError):
        GemspecCataloger().parse("/specifications/x.gemspec", b"\x7fELF\x00\x00" * 100)
