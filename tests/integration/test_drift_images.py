"""The same real image through two transports has no drift; the CLI exits 0."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from ringfence.cli.main import main

pytestmark = [pytest.mark.images, pytest.mark.slow]


def test_oci_layout_against_its_docker_archive_has_no_drift(images_dir: Path,
                                                            tmp_path: Path) -> None:
    out = tmp_path / "d.json"
    code = main(["diff", f"oci:{images_dir}/bookworm-min.oci",
                 f"docker-archive:{images_dir}/bookworm-min.docker.tar", "-f", "json",
                 "-o", str(out)])
    doc = json.loads(out.read_text())
    assert (code, doc["changes"], doc["problems"]) == (0, [], [])
