"""Paths into the containers/image and cosign fixtures (shared data, see its PROVENANCE)."""

from __future__ import annotations

from pathlib import Path

import pytest


@pytest.fixture(scope="session")
def fixtures(data_dir: Path) -> Path:
    return data_dir / "signatures" / "containers-image" / "signature" / "fixtures"
