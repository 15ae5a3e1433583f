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


def test_normalize_fast_path_agrees_with_the_segment_loop() -> None:
    import random

    def reference(name: str) -> str:
        parts: list[str] = []
        for part in name.replace("\\", "/").split("/"):
            if part in ("", "."):
                continue
            if part == "..":
                if parts:
                    parts.pop()
                continue
            parts.append(part)
        return "/" + "/".join(parts)

    rng = random.Random(9)  # noqa: S311 - test data
    segments = ["a", "b.c", ".", "..", "...", "", "\\", "x\\y", ".hidden", "d.."]
    names = [".", "..", "./", "/", "//", "", "./a", "././a", "a//", ".//a", "/../a"]
    for _ in range(20000):
        body = "/".join(rng.choice(segments) for _ in range(rng.randint(1, 5)))
        names.append(rng.choice(["", "./", "/", "//", "../"]) + body
                     + rng.choice(["", "/", "//"]))
    for name in names:
        assert normalize(name) == reference(name), name
