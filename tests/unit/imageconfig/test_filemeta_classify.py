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


def _reference(entry: Entry) -> list[tuple[str, str]]:
    """classify as it was written before the prefix test (the globs alone)."""
    out: list[tuple[str, str]] = []
    path, mode = entry.path, entry.mode
    if entry.kind in (REG, HARDLINK):
        if mode & 0o6000:
            out.append(("setid", ""))
        if fnmatch.fnmatchcase(path, filemeta.SSH_HOST_KEY):
            out.append(("ssh_host_keys", ""))
        if entry.size > 0 and path not in filemeta._NOT_CACHE:
            out.extend(("package_caches", mgr) for mgr, glob in filemeta.CACHES
                       if fnmatch.fnmatchcase(path, glob))
    if entry.kind in (REG, HARDLINK, DIR) and mode & 0o002 and not filemeta._scratch(path):
        out.append(("world_writable", "directory" if entry.kind == DIR else "file"))
    return out


@pytest.mark.parametrize("kind", [REG, HARDLINK, DIR])
def test_prefix_test_marks_what_the_globs_mark(kind: str) -> None:
    marked = 0
    for stem, tail, size, mode in itertools.product(STEMS, TAILS, (0, 7), (0o644, 0o4757)):
        entry = Entry(stem + tail, kind, size, mode, 0, 0)
        expected = _reference(entry)
        assert filemeta.classify(entry) == expected, entry.path
        marked += any(k in ("ssh_host_keys", "package_caches") for k, _ in expected)
    # the comparison is not vacuous: regular files and links hit both kinds of glob
    assert (marked > 0) == (kind != DIR)


def test_every_glob_has_its_literal_start_among_the_prefixes() -> None:
    globs = (filemeta.SSH_HOST_KEY, *(g for _m, g in filemeta.CACHES))
    for glob in globs:
        literal = glob[:min(glob.index(c) if c in glob else len(glob) for c in "*?[")]
        assert literal in filemeta._PREFIXES
