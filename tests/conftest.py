"""Shared fixtures: the test data in tests/data and the fixture images built by .ci/fixtures;
the skip gate of tests/skips.py (every skip summarised; under CI=true an unlisted one fails)."""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.skips import ALLOWED, SkipGate

REPO = Path(__file__).resolve().parent.parent
DATA = REPO / "tests" / "data"  # in the repository; see its PROVENANCE.md
IMAGES = Path(os.environ.get("RINGFENCE_IMAGES",
                             Path.home() / ".cache" / "ringfence-fixtures"))
IMAGE_NAMES = ("bookworm-min", "bookworm-py", "bullseye-big")
# Under CI a missing input is a failure, never a skip: CI builds the images first.
IN_CI = os.environ.get("CI", "").strip().lower() in ("true", "1", "yes")


def pytest_configure(config: pytest.Config) -> None:
    # every skip and xfail is summarised at the end; under CI one not in tests/skips.py fails
    config.pluginmanager.register(SkipGate(ALLOWED, enforce=IN_CI), "ringfence-skip-gate")


@pytest.fixture(scope="session")
def data_dir() -> Path:
    if not (DATA / "PROVENANCE.md").is_file():
        pytest.fail(f"{DATA} is incomplete: it is part of the repository (a partial checkout?)",
                    pytrace=False)
    return DATA


@pytest.fixture(scope="session")
def images_dir() -> Path:
    missing = [n for n in IMAGE_NAMES if not (IMAGES / f"{n}.done").exists()]
    if missing:
        why = f"fixture images {missing} not built in {IMAGES} (run .ci/fixtures)"
        if IN_CI:
            pytest.fail(f"CI=true: {why}", pytrace=False)
        pytest.skip(why)
    return IMAGES


def _gnupg_homes(root: Path) -> list[Path]:
    """GnuPG home directories created under root (each holds a keyring or a key store)."""
    marks = {"pubring.kbx", "pubring.gpg", "trustdb.gpg", "private-keys-v1.d"}
    return [Path(top) for top, dirs, files in os.walk(root)  # never follows symlinks
            if not marks.isdisjoint(dirs) or not marks.isdisjoint(files)]


@pytest.fixture(scope="session", autouse=True)
def _stop_gpg_agents(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """Safety net: gpg starts a gpg-agent per home directory and leaves it running; stop
    those of every home directory the tests created in their temporary directories."""
    yield
    gpgconf = shutil.which("gpgconf")
    if gpgconf is None:
        return
    for home in _gnupg_homes(tmp_path_factory.getbasetemp()):
        subprocess.run([gpgconf, "--homedir", str(home), "--kill", "all"],
                       capture_output=True, check=False, timeout=30)
