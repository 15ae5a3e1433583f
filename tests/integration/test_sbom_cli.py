"""``ringfence sbom -f cyclonedx|spdx`` then ``ringfence sbom sbom:FILE`` on a real image."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from ringfence.cli.main import main


@pytest.mark.images
@pytest.mark.parametrize("fmt", ["cyclonedx", "spdx"])
def test_sbom_file_gives_back_the_same_packages(fmt: str, images_dir: Path,
                                                tmp_path: Path) -> None:
    ref = f"oci:{images_dir / 'bookworm-min.oci'}"
    bom, direct, back = (tmp_path / n for n in ("bom.json", "direct.json", "back.json"))
    assert main(["sbom", ref, "-f", "json", "-o", str(direct)]) == 0
    assert main(["sbom", ref, "-f", fmt, "-o", str(bom)]) == 0
    assert main(["sbom", f"sbom:{bom}", "-f", "json", "-o", str(back)]) == 0
    want, got = json.loads(direct.read_text()), json.loads(back.read_text())
    assert len(want["packages"]) == 88  # bookworm-min.contents.txt: 88 debs
    assert got["packages"] == want["packages"]
    assert got["distro"] == want["distro"]
    assert got["target"]["kind"] == "sbom"


def test_unreadable_sbom_exits_3_naming_the_file(tmp_path: Path,
                                                 capsys: pytest.CaptureFixture[str]) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text("{oops")
    assert main(["sbom", f"sbom:{bad}", "-f", "json"]) == 3
    assert f"{bad}: malformed JSON" in capsys.readouterr().err
