"""``ringfence fleet`` options and the errors raised before any cluster starts."""

from __future__ import annotations

import os
from pathlib import Path

import click
import pytest

from ringfence.cli.main import cli, main

CONTRACT = {"-f", "-o", "--fail-on", "--strict", "--quiet"}


def test_fleet_has_the_contract_options() -> None:
    cmd = cli.get_command(click.Context(cli), "fleet")
    assert cmd is not None
    names = {o for p in cmd.params for o in (*p.opts, *p.secondary_opts)}
    assert names >= CONTRACT
    assert {"--from-file", "--registry", "--repo-filter", "--scheduler", "--workers",
            "--store", "--keep-going", "--db", "--scanners"} <= names


@pytest.mark.parametrize("argv", [
    [],  # nothing to scan
    ["oci:/a", "--registry", "127.0.0.1:5000"],  # two ways at once
    ["oci:/a", "--repo-filter", "x/*"],  # a filter without a registry
    ["oci:/a", "--workers", "0"],
])
def test_usage_errors_are_exit_2(argv: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["fleet", *argv]) == 2
    assert "Traceback" not in capsys.readouterr().err


@pytest.mark.parametrize("kind", ["fifo", "missing"])
def test_a_ref_file_that_is_not_a_regular_file_is_exit_3(
        kind: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "refs"
    if kind == "fifo":
        os.mkfifo(path)  # never opened for reading: no hang
    assert main(["fleet", "--from-file", str(path)]) == 3
    assert str(path) in capsys.readouterr().err
