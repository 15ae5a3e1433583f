""".ci/apt_mirrors.py: the Debian mirrors .ci/build-images.sh uses are the machine's own, read
from deb822 ``*.sources`` and one-line ``sources.list`` files alike."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

SCRIPT = Path(__file__).resolve().parent.parent / ".ci" / "apt_mirrors.py"

DEB822 = """\
Types: deb
# a comment inside the stanza
URIs: http://mirror.example/debian
Suites: bookworm bookworm-updates
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg

Types: deb deb-src
URIs: http://security.example/debian-security
Suites: bookworm-security
Components: main
"""
NODESOURCE = """\
Types: deb
URIs: https://deb.nodesource.example/node_20.x
Suites: nodistro
Components: main
"""
ONE_LINE = """\
# deb http://commented.example/debian bookworm main
deb-src http://src.example/debian bookworm main
deb [arch=amd64 signed-by=/usr/share/keyrings/k.gpg] http://one.example/debian/ bullseye main
deb http://one.example/debian-security bullseye-security main
"""


def _mirrors(root: Path, files: dict[str, str]) -> subprocess.CompletedProcess[str]:
    for rel, text in files.items():
        path = root / "etc/apt" / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return subprocess.run([sys.executable, str(SCRIPT), "--root", str(root)],
                          capture_output=True, text=True, timeout=30, check=False)


def test_deb822_after_a_third_party_repository(tmp_path: Path) -> None:
    (tmp_path / "etc").mkdir()
    (tmp_path / "etc/os-release").write_text("VERSION_CODENAME=bookworm\n")
    done = _mirrors(tmp_path, {"sources.list.d/a-nodesource.sources": NODESOURCE,
                               "sources.list.d/debian.sources": DEB822})
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["http://mirror.example/debian",
                                   "http://security.example/debian-security"]


def test_one_line_with_options_comments_and_deb_src(tmp_path: Path) -> None:
    done = _mirrors(tmp_path, {"sources.list": ONE_LINE})
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["http://one.example/debian",
                                   "http://one.example/debian-security"]


@pytest.mark.parametrize("files", [
    {},
    {"sources.list.d/debian.sources": DEB822.replace("Types: deb\n#",
                                                     "Enabled: no\nTypes: deb\n#")},
    {"sources.list.d/debian.sources.disabled": DEB822},
    {"sources.list.d/nodesource.sources": NODESOURCE},
], ids=["nothing", "archive-disabled", "ignored-extension", "third-party-only"])
def test_no_mirror_is_a_loud_failure(tmp_path: Path, files: dict[str, str]) -> None:
    (tmp_path / "etc/apt").mkdir(parents=True)
    done = _mirrors(tmp_path, files)
    assert done.returncode == 1
    assert done.stdout == ""
    assert "set MIRROR and SECURITY_MIRROR" in done.stderr
