"""`ringfence image` with a real DB (PyPI advisories): --fail-on exit codes, filters, SARIF."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from ringfence.cli.main import main
from ringfence.vulndb.build import import_paths

METADATA = b"Metadata-Version: 2.1\nName: requests\nVersion: 2.19.1\n"


@pytest.fixture(scope="module")
def db(data_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("clidb") / "db.sqlite"
    import_paths([data_dir / "advisories/osv/PyPI.zip"], path)
    return path


@pytest.fixture
def rootfs(tmp_path: Path) -> Path:
    meta = tmp_path / "root/usr/lib/python3/dist-packages/requests-2.19.1.dist-info/METADATA"
    meta.parent.mkdir(parents=True)
    meta.write_bytes(METADATA)
    return tmp_path / "root"


def _run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(["image", *args])
    out = capsys.readouterr()
    return code, out.out, out.err


def test_fail_on_exit_codes(db: Path, rootfs: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = _run(capsys, f"dir:{rootfs}", "--db", str(db), "-f", "json")
    doc = json.loads(out)
    ids = {i for v in doc["vulnerabilities"] for i in (v["id"], *v["aliases"])}
    assert code == 0 and "PYSEC-2018-28" in ids  # no --fail-on: never 1
    assert _run(capsys, f"dir:{rootfs}", "--db", str(db), "-f", "json",
                "--fail-on", "unknown")[0] == 1
    levels = {v["severity"] for v in doc["vulnerabilities"]}
    top = max(levels, key=["unknown", "low", "medium", "high", "critical"].index)
    assert _run(capsys, f"dir:{rootfs}", "--db", str(db), "-f", "json",
                "--fail-on", top.lower())[0] == 1
    if top != "critical":
        assert _run(capsys, f"dir:{rootfs}", "--db", str(db), "-f", "json",
                    "--fail-on", "critical")[0] == 0


def test_ignore_file_suppresses_and_passes_the_policy(
        db: Path, rootfs: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    doc = json.loads(_run(capsys, f"dir:{rootfs}", "--db", str(db), "-f", "json")[1])
    ignore = tmp_path / "ignore.json"
    ignore.write_text(json.dumps({"ignore": [{"id": v["id"], "reason": "accepted"}
                                             for v in doc["vulnerabilities"]]}))
    code, out, _ = _run(capsys, f"dir:{rootfs}", "--db", str(db), "-f", "json",
                        "--ignore-file", str(ignore), "--fail-on", "low")
    assert code == 0
    assert all(v["suppressed_by"] == "ignore file: accepted"
               for v in json.loads(out)["vulnerabilities"])


def test_sarif_format(db: Path, rootfs: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = _run(capsys, f"dir:{rootfs}", "--db", str(db), "-f", "sarif")
    run = json.loads(out)["runs"][0]
    assert code == 0 and run["results"]
    uri = run["results"][0]["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
    assert uri == "usr/lib/python3/dist-packages/requests-2.19.1.dist-info/METADATA"


def test_no_database(rootfs: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                     capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "empty"))
    code, out, err = _run(capsys, f"dir:{rootfs}", "-f", "json")
    assert code == 0 and json.loads(out)["db"] is None
    assert "no vulnerability database" in err
    code, out, err = _run(capsys, f"dir:{rootfs}", "-f", "json", "--fail-on", "high")
    assert code == 3 and json.loads(out)["packages"]  # inventory still printed
    assert "--fail-on cannot be evaluated" in err
    assert _run(capsys, f"dir:{rootfs}", "--db", str(tmp_path / "nope.sqlite"))[0] == 3


def test_max_db_age(db: Path, rootfs: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = _run(capsys, f"dir:{rootfs}", "--db", str(db), "--max-db-age", "0")
    assert code == 3 and "over --max-db-age 0" in err
    assert _run(capsys, f"dir:{rootfs}", "--db", str(db), "-f", "json",
                "--max-db-age", "100000")[0] == 0
