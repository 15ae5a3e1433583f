"""catalog/licenses.py: raw licence strings from package metadata -> SPDX expressions
(license-expression), raw text kept when it is none."""

from __future__ import annotations

import pytest

from ringfence.catalog.licenses import MAX_LENGTH, normalize, normalize_all


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
    assert normalize(raw) == want


@pytest.mark.parametrize("raw", [
    "BSD License",  # a family, no version: not guessed
    "MIT AND (",  # malformed expression
    "Proprietary",
    "LicenseRef-acme",
    "GPL-3.0-with-acme-exception",  # the deprecated-id form with no such exception
])
def test_other_text_is_kept_as_written(raw: str) -> None:
    assert normalize(raw) == raw


def test_licence_text_is_never_parsed() -> None:
    text = "Permission is hereby granted " * (MAX_LENGTH // 10)
    assert normalize(text) == text.strip()


def test_normalize_all_drops_empty_and_duplicates() -> None:
    assert normalize_all(["MIT", "mit", "", "  ", "MIT License", "BSD License"]) == (
        "MIT", "BSD License")
