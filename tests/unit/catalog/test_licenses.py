"""catalog/licenses.py: raw licence strings from package metadata -> SPDX expressions
(license-expression), raw text kept when it is none."""

from __future__ import annotations

import pytest

from ringfence.catalog.licenses import MAX_LENGTH, normalize, normalize_all
from ringfence.model.license import SpdxLicense


@pytest.mark.parametrize(("raw", "want"), [
    ("MIT", "MIT"),
    ("mit", "MIT"),  # ids are case-insensitive in SPDX
    (" (MIT or apache-2.0) ", "MIT OR Apache-2.0"),
    ("GPL-2.0+", "GPL-2.0-or-later"),  # deprecated id -> its current form
    ("Apache-2.0 WITH LLVM-exception", "Apache-2.0 WITH LLVM-exception"),
    ("MIT License", "MIT"),  # Trove classifier leaf
    ("Apache 2.0", "Apache-2.0"),
    # deprecated licence-with-exception ids (Trivy emits them, "+" for or-later)
    ("GPL-3.0-with-autoconf-exception+", "GPL-3.0-or-later WITH Autoconf-exception-3.0"),
    ("GPL-2.0-with-classpath-exception", "GPL-2.0-only WITH Classpath-exception-2.0"),
    ("GPL-2.0-with-GCC-exception", "GPL-2.0-only WITH GCC-exception-2.0"),
    ("Eclipse Distribution License - v 1.0", "BSD-3-Clause"),  # SPDX: no id of its own
])
def test_known_licences_become_spdx(raw: str, want: str) -> None:
    got = normalize(raw)
    assert got == want
    assert isinstance(got, SpdxLicense)  # what the SBOM writers read, without the list
    assert got.is_id == (" " not in want)


@pytest.mark.parametrize("raw", [
    "BSD License",  # a family, no version: not guessed
    "MIT AND (",  # malformed expression
    "Proprietary",
    "LicenseRef-acme",
    "GPL-3.0-with-acme-exception",  # the deprecated-id form with no such exception
])
def test_other_text_is_kept_as_written(raw: str) -> None:
    got = normalize(raw)
    assert got == raw
    assert type(got) is str  # a name: never written as an id or an expression


def test_licence_text_is_never_parsed() -> None:
    text = "Permission is hereby granted " * (MAX_LENGTH // 10)
    assert normalize(text) == text.strip()


def test_normalize_all_drops_empty_and_duplicates() -> None:
    assert normalize_all(["MIT", "mit", "", "  ", "MIT License", "BSD License"]) == (
        "MIT", "BSD License")


def test_a_lone_exception_parses_but_is_no_licence() -> None:
    """license-expression parses ``Classpath-exception-2.0`` alone, but its validation (and
    spdx-tools') refuses it as a licence: a name, kept as written."""
    got = normalize("Classpath-exception-2.0")
    assert got == "Classpath-exception-2.0" and type(got) is str
    assert isinstance(normalize("GPL-2.0-only WITH Classpath-exception-2.0"), SpdxLicense)


def test_hostile_text_is_a_name_not_an_error() -> None:
    for raw in ("[\x01(", "MIT AND \x00", "(((((MIT", "MIT WITH", "WITH MIT", ")"):
        got = normalize(raw)
        assert got == raw.strip() and type(got) is str


def test_every_spdx_id_is_one_the_cyclonedx_schema_knows() -> None:
    """A value ``is_id`` is written as CycloneDX ``license.id``, whose schema is an enum:
    every id license-expression knows (LicenseRefs aside, which are not ids) must be in it,
    or a library update would make ringfence write invalid documents."""
    from cyclonedx.spdx import fixup_id, is_supported_id
    from license_expression import get_spdx_licensing  # type: ignore[import-untyped]

    keys = {sym.key for sym in get_spdx_licensing().known_symbols.values()}
    ids = [k for k in keys if SpdxLicense(k).is_id]
    assert len(ids) > 500
    assert [k for k in ids if not is_supported_id(k)] == []
    assert [k for k in keys if k.startswith("LicenseRef-") and SpdxLicense(k).is_id] == []
    for raw in ("mit", "GPL-2.0+", "apache-2.0"):
        got = normalize(raw)
        assert isinstance(got, SpdxLicense) and got.is_id and fixup_id(got) == got
