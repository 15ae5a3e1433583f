"""The path gate of LayerCatalog.wants (``path_suffixes`` / ``path_parts``, catalog/interface):
a cataloger is asked only about paths ending with one of its suffixes or containing one of
its parts, so each one's promise is checked here against its own ``wants`` on paths built
around every suffix and part any cataloger names (case changed, cut short, nested, doubled),
and the gated ``wants`` must answer exactly as asking every cataloger would."""

from __future__ import annotations

import itertools
from typing import Any

import pytest

from ringfence.catalog import distro
from ringfence.catalog.interface import Parsed
from ringfence.catalog.registry import DIRECTORY_CATALOGERS, IMAGE_CATALOGERS
from ringfence.layers.collect import LayerCatalog

ALL = tuple({c.name: c for c in (*IMAGE_CATALOGERS, *DIRECTORY_CATALOGERS)}.values())
GATED = [c for c in ALL if getattr(c, "path_suffixes", ()) or getattr(c, "path_parts", ())]

PREFIXES = ("", "/", "/a", "/var/lib/dpkg/info/libc6:amd64", "/usr/share/doc/libc6",
            "/usr/lib/python3/dist-packages/six-1.16.0.", "/app/node_modules/left-pad",
            "/app/node_modules/@scope/pkg", "/usr/lib/ruby/gems/3.1.0/specifications/rake-13.0",
            "/srv/app/vendor/composer", "/usr/share/php/.registry/.channel.pecl.php.net/x",
            "/var/lib/pacman/local/zlib-1.3-1", "/var/db/pkg/sys-libs/zlib-1.3",
            "/nix/store/" + "a" * 32 + "-hello-2.12.1/bin", "/usr/lib/R/site-library/jsonlite",
            "/chroot/var/lib/dpkg/status.d", "/opt/app/bin/App", "/var/lib/rpm")


def _words() -> list[str]:
    words = {"", "x", "status", "desc", "CONTENTS", "DESCRIPTION", "METADATA", "PKG-INFO",
             "package.json", "installed", "copyright", "libc6.list", "a.jar", "App.deps.json"}
    for cat in ALL:
        for s in (*getattr(cat, "path_suffixes", ()), *getattr(cat, "path_parts", ())):
            words.update({s, s.lower(), s.upper(), s[:-1], s[1:], s + "x", s + "/", s + s,
                          s.strip("/"), s.rsplit("/", 1)[-1]})
    return sorted(words)


def _corpus() -> list[str]:
    words = _words()
    paths = {p + w for p in PREFIXES for w in words}
    paths.update(p + "/" + w for p in PREFIXES for w in words)
    paths.update(a + b for a, b in itertools.product(words, repeat=2) if a.startswith("/"))
    paths.update(distro.RELEASE_FILES)
    return sorted(paths)


CORPUS = _corpus()
SIZES = (0, 100, 200 << 10, 8 << 20)


@pytest.mark.parametrize("cat", GATED, ids=lambda c: c.name)
def test_a_gated_cataloger_wants_only_paths_its_gate_lets_through(cat: Any) -> None:
    suffixes = tuple(getattr(cat, "path_suffixes", ()))
    parts = tuple(getattr(cat, "path_parts", ()))
    wanted = [p for p in CORPUS for s in SIZES if cat.wants(p, s)]
    assert wanted, f"{cat.name}: the corpus holds no path it wants (the test would be empty)"
    outside = [p for p in wanted if not p.endswith(suffixes) and not any(x in p for x in parts)]
    assert outside == []


def test_gated_wants_answers_as_asking_every_cataloger() -> None:
    for catalogers in (IMAGE_CATALOGERS, DIRECTORY_CATALOGERS):
        lc = LayerCatalog("sha256:x", catalogers)
        by_path = [c for c in catalogers if not getattr(c, "magic", ())]
        wanted = 0
        for path, size in itertools.product(CORPUS, SIZES):
            expected = distro.wants(path) or any(c.wants(path, size) for c in by_path)
            assert lc.wants(path, size) == expected, (path, size)
            wanted += expected
        assert wanted > len(GATED)


class _Counting:
    name, version = "counting", "1"
    path_suffixes = ("/db.pkg",)

    def __init__(self) -> None:
        self.asked: list[str] = []

    def wants(self, path: str, size: int) -> bool:
        self.asked.append(path)
        return path.endswith("/db.pkg")

    def parse(self, path: str, data: bytes) -> Parsed:
        return Parsed()


class _Ungated(_Counting):
    name = "ungated"
    path_suffixes = ()


def test_the_gate_keeps_a_cataloger_from_being_asked_about_other_paths() -> None:
    gated, ungated = _Counting(), _Ungated()
    lc = LayerCatalog("sha256:x", (gated, ungated))  # type: ignore[arg-type]
    answers = [lc.wants(p, 3) for p in ("/a/notes.txt", "/a/db.pkg", "/a/db.pkg.old")]
    assert answers == [False, True, False]
    assert gated.asked == ["/a/db.pkg"]  # never asked about the other two
    assert ungated.asked == ["/a/notes.txt", "/a/db.pkg.old"]  # no gate: asked about each
