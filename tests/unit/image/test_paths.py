from __future__ import annotations

import pytest

from ringfence.image.paths import is_under, normalize, resolve_link


@pytest.mark.parametrize(("name", "expected"), [
    ("./a//b/../c", "/a/c"),
    ("../../etc/passwd", "/etc/passwd"),
    ("/abs/./x/", "/abs/x"),
    ("", "/"),
    ("a/../../..", "/"),
])
def test_normalize_clamps_to_root(name: str, expected: str) -> None:
    assert normalize(name) == expected


def test_resolve_link_relative_and_absolute() -> None:
    assert resolve_link("/etc/os-release", "../usr/lib/os-release") == "/usr/lib/os-release"
    assert resolve_link("/a/b", "../../../../../x") == "/x"
    assert resolve_link("/a/b", "/y/z") == "/y/z"


def test_is_under() -> None:
    assert is_under("/etc/x", "/etc") and is_under("/etc", "/etc") and is_under("/x", "/")
    assert not is_under("/etcetera", "/etc")
