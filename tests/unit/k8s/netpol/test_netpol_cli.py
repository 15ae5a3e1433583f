"""``ringfence netpol matrix`` end to end on a netpol-analyzer case."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from ringfence.cli.main import cli, main

CASE = "k8s/netpol-analyzer/tests/minimal_test_in_ns"
EXPECTED = "k8s/netpol-analyzer/expected_connlist/minimal_test_in_ns_connlist_output.txt"


def test_connlist_format_is_netpol_analyzers(data_dir: Path,
                                             capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["netpol", "matrix", str(data_dir / CASE), "-f", "connlist"]) == 0
    assert capsys.readouterr().out == (data_dir / EXPECTED).read_text()


def test_json_and_namespace_filter(data_dir: Path, tmp_path: Path,
                                   capsys: pytest.CaptureFixture[str]) -> None:
    other = tmp_path / "other.yaml"
    other.write_text("apiVersion: v1\nkind: Pod\nmetadata: {name: lone, namespace: elsewhere}\n"
                     "spec: {containers: [{name: c}]}\n")
    assert main(["netpol", "matrix", str(data_dir / CASE), str(other), "-f", "json",
                 "-n", "elsewhere"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["schema"] == "ringfence.netpol-matrix/1"
    assert doc["connections"] and all("elsewhere/lone[Pod]" in (c["src"], c["dst"])
                                      for c in doc["connections"])


def test_strict_exits_4_on_unreadable_document(tmp_path: Path) -> None:
    # Through click's runner: main() (shared, cli/main.py) drops the code of a
    # click Exit raised under standalone_mode=False - reported, not ours to change.
    (tmp_path / "bad.yaml").write_text("kind: [unclosed\n")
    result = CliRunner().invoke(cli, ["netpol", "matrix", str(tmp_path), "--strict"])
    assert result.exit_code == 4
    assert "warning" in result.output
