"""Every file a command reads because the user named it — a runtime config, a harden
profile or manifest, a VEX or ignore file, a secret allow-list, an advisory feed, a
container export — is opened only when it is a regular file: a FIFO with no writer or
``/dev/zero`` is exit 3 naming it, never a hang or a full memory. Each runs in a child with
a timeout (a hang guard only) and an address-space cap."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.imagebuilder import Layer, Member, build_oci
from tests.unit.hostile_platform.cli import run_child


def _image(tmp: Path) -> str:
    return f"oci:{build_oci(tmp / 'img', [Layer([Member('etc/os-release', b'ID=debian')])])}"


# argv with the hostile file in it, for each reader
CASES: list[tuple[str, Callable[[Path, str], list[str]]]] = [
    ("runtime", lambda t, bad: ["runtime", bad, "-f", "json"]),
    ("harden-profile", lambda t, bad: ["harden", "-f", "docker", "--seccomp-profile", bad,
                                       _image(t)]),
    ("harden-manifest", lambda t, bad: ["harden", "-f", "k8s", bad]),
    ("vex", lambda t, bad: ["image", _image(t), "--no-cache", "--scanners", "config",
                            "--vex", bad]),
    ("ignore-file", lambda t, bad: ["image", _image(t), "--no-cache", "--scanners", "config",
                                    "--ignore-file", bad]),
    ("secret-allowlist", lambda t, bad: ["image", _image(t), "--no-cache", "--scanners",
                                         "secret", "--secret-allowlist", bad]),
    ("db-import", lambda t, bad: ["db", "import", bad, "--db", str(t / "db.sqlite")]),
    ("diff-export", lambda t, bad: ["diff", _image(t), bad]),
]


@pytest.mark.parametrize("kind", ["fifo", "dev-zero"])
@pytest.mark.parametrize(("name", "argv"), CASES, ids=[c[0] for c in CASES])
def test_named_file_that_is_not_regular_is_exit_3(
        name: str, argv: Callable[[Path, str], list[str]], kind: str, tmp_path: Path) -> None:
    if kind == "fifo":
        bad = str(tmp_path / ("policy.yaml" if name == "harden-manifest" else "input.json"))
        os.mkfifo(bad)  # nobody ever writes it
    else:
        bad = "/dev/zero"
        if name == "harden-manifest":
            link = tmp_path / "zero.yaml"  # harden -f k8s picks manifests by their suffix
            link.symlink_to("/dev/zero")
            bad = str(link)
    got = run_child(*argv(tmp_path, bad), timeout=120)
    got.assert_clean_error(3, bad)
