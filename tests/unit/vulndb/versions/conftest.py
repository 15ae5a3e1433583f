"""Fixtures of the version differential tests: the real version strings, node's semver."""

from __future__ import annotations

from pathlib import Path

import pytest

from .corpus import real_versions
from .oracles import install_node_semver


@pytest.fixture(scope="session")
def real(data_dir: Path) -> dict[str, frozenset[str]]:
    return real_versions(data_dir / "advisories")


@pytest.fixture(scope="session")
def node_semver_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return install_node_semver(tmp_path_factory.mktemp("node-semver"))
