"""Shared fixtures: where the shared data and the built fixture images are."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
SHARED = REPO.parent / "shared"
DATA = SHARED / "data"
IMAGES = Path(os.environ.get("RINGFENCE_IMAGES",
                             Path.home() / ".cache" / "ringfence-fixtures"))
IMAGE_NAMES = ("bookworm-min", "bookworm-py", "bullseye-big")


@pytest.fixture(scope="session")
def data_dir() -> Path:
    if not DATA.is_dir():
        pytest.skip(f"{DATA} is absent (shared data is handed out with the repository)")
    return DATA


@pytest.fixture(scope="session")
def images_dir() -> Path:
    missing = [n for n in IMAGE_NAMES if not (IMAGES / f"{n}.done").exists()]
    if missing:
        pytest.skip(f"fixture images {missing} not built in {IMAGES} (run .ci/fixtures)")
    return IMAGES
