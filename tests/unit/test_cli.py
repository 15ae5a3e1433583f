"""The CLI: exit codes from the error root, usage errors, output files."""

from __future__ import annotations

import json
from pathlib import Path

from ringfence.cli.main import main
from tests.imagebuilder import DPKG_STATUS, OS_RELEASE, Layer, Member, build_oci


def test_missing_image_is_exit_3_with_the_path(tmp_path: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    code = main(["sbom", f"oci:{tmp_path}/nope", "--no-cache"])
    assert code == 3
    assert f"oci:{tmp_path}/nope" in capsys.readouterr().err


def test_bad_reference_is_exit_2(capsys) -> None:  # type: ignore[no-untyped-def]
    assert main(["sbom", "UPPER/Case", "--no-cache"]) == 2
    assert "invalid repository name" in capsys.readouterr().err


def test_unknown_option_is_exit_2() -> None:
    assert main(["sbom", "--no-such-option", "x"]) == 2


def test_table_and_json_outputs(tmp_path: Path) -> None:
    img = build_oci(tmp_path / "img", [Layer([Member("var/lib/dpkg/status", DPKG_STATUS),
                                              Member("etc/os-release", OS_RELEASE)])])
    out = tmp_path / "out.txt"
    assert main(["image", f"oci:{img}", "-f", "table", "-o", str(out), "--no-cache",
                 "--list-packages"]) == 0
    text = out.read_text()
    assert "libc6" in text and "glibc 2.36-9+deb12u4" in text and "2 packages" in text
    assert main(["sbom", f"oci:{img}", "-f", "json", "-o", str(out), "--no-cache"]) == 0
    assert [p["name"] for p in json.loads(out.read_text())["packages"]] == ["base-files", "libc6"]
    assert not list(tmp_path.glob(".*.tmp"))
