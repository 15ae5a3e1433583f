"""``filemeta.classify`` decides most files by a prefix test before any glob: it must mark
exactly what the seven ``fnmatchcase`` globs alone mark (fnmatch's ``*`` crosses ``/``),
for paths built to sit on every edge of the prefixes."""

from __future__ import annotations

import fnmatch
import itertools

import pytest

from ringfence.imageconfig import filemeta
from ringfence.layers.walk import DIR, HARDLINK, REG, Entry

STEMS = ("/etc/ssh/ssh_host_", "/etc/ssh/ssh_host", "/etc/ssh/", "/ETC/ssh/ssh_host_",
         "/var/cache/apt/archives/", "/var/cache/apt/archive", "/var/lib/apt/lists/",
         "/var/lib/apt/lists", "/var/cache/apk/", "/root/.cache/pip/", "/root/.cache/pipx/",
         "/var/cache/yum/", "/var/cache/dnf/", "/usr/share/", "/", "")
TAILS = ("rsa_key", "ed25519_key.pub", "x/y_key", "_key", "", "lock", "a.deb", "sub/b.deb",
         "deb", "http_x_Packages", "\udcff_key")


def _glob_marks(entry: Entry) -> list[tuple[str, str]]:
    """The marks the globs alone give (the rule before the prefix test): files and
    hardlinks only, caches only when not empty and not apt's lock."""
    if entry.kind == DIR:
        return []
    found = [("ssh_host_keys", "")] if fnmatch.fnmatchcase(entry.path,
                                                           filemeta.SSH_HOST_KEY) else []
    if entry.size and entry.path not in filemeta._NOT_CACHE:
        found += [("package_caches", manager) for manager, glob in filemeta.CACHES
                  if fnmatch.fnmatchcase(entry.path, glob)]
    return found


GLOB_KINDS = ("ssh_host_keys", "package_caches")


@pytest.mark.parametrize("kind", [REG, HARDLINK, DIR])
def test_prefix_test_marks_what_the_globs_mark(kind: str) -> None:
    marked = 0
    for stem, tail, size, mode in itertools.product(STEMS, TAILS, (0, 7), (0o644, 0o4757)):
        entry = Entry(stem + tail, kind, size, mode, 0, 0)
        expected = _glob_marks(entry)
        got = filemeta.classify(entry)
        assert [m for m in got if m[0] in GLOB_KINDS] == expected, entry.path
        assert ("setid", "") in got or not (mode & 0o6000 and kind != DIR)
        marked += bool(expected)
    # the comparison is not vacuous: regular files and links hit both kinds of glob
    assert (marked > 0) == (kind != DIR)


def test_every_glob_has_its_literal_start_among_the_prefixes() -> None:
    globs = (filemeta.SSH_HOST_KEY, *(g for _m, g in filemeta.CACHES))
    for glob in globs:
        literal = glob[:min(glob.index(c) if c in glob else len(glob) for c in "*?[")]
        assert literal in filemeta._PREFIXES
