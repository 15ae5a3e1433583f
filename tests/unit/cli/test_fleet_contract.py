"""``ringfence fleet`` under the report contract (``test_contract.py`` checks its options):
its JSON validates against ``ringfence schema fleet`` with the finding shape of every
command, and its exit codes follow 3 > 1 > 4 > 0. On a real in-process Dask cluster (one
worker thread; the scheduler and worker CLIs are tests/integration/test_fleet.py's)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from ringfence.cli.main import main
from ringfence.schemas import SCHEMAS, schema_for
from tests.imagebuilder import Layer, Member, build_oci

FINDING_KEYS = {"rule", "severity", "message", "location"}


@pytest.fixture(scope="module")
def client() -> Iterator[Any]:
    import distributed  # the test extra has it

    cluster = distributed.LocalCluster(n_workers=1, threads_per_worker=1, processes=False,
                                       dashboard_address=None, silence_logs=50)
    try:
        with distributed.Client(cluster, set_as_default=False) as started:
            yield started
    finally:
        cluster.close()


@pytest.fixture
def fleet_main(client: Any, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Any:
    from ringfence.fleet import cluster

    @contextmanager
    def in_process(scheduler: str | None, workers: int = 0) -> Iterator[Any]:
        yield client

    monkeypatch.setattr(cluster, "dask_client", in_process)

    def run(*argv: str) -> tuple[int, dict[str, Any] | None]:
        out = tmp_path / "out.json"
        out.unlink(missing_ok=True)
        code = main(["fleet", *argv, "--no-cache", "--scanners", "config,secret", "-f",
                     "json", "-o", str(out), "-q"])
        return code, json.loads(out.read_text()) if out.is_file() else None

    return run


def _image(tmp: Path) -> str:
    # runs as root (IMG config findings), a setuid binary
    img = build_oci(tmp / "img", [Layer([Member("etc/os-release", b"ID=debian\n"),
                                         Member("usr/bin/su", b"ELF", mode=0o4755)])])
    return f"oci:{img}"


def test_json_validates_with_the_finding_shape(fleet_main: Any, tmp_path: Path) -> None:
    code, doc = fleet_main(_image(tmp_path))
    assert code == 0 and doc is not None
    schema = schema_for(doc)
    assert schema is not None and schema["$id"] == SCHEMAS["fleet"]["$id"]
    jsonschema.Draft202012Validator(schema).validate(doc)
    findings = doc["images"][0]["findings"]
    assert findings
    assert all(set(f) == FINDING_KEYS for f in findings)


def test_exit_codes_follow_the_contract(fleet_main: Any, tmp_path: Path) -> None:
    good = _image(tmp_path)
    missing = f"oci:{tmp_path / 'absent'}"
    code, doc = fleet_main(good, "--fail-on", "low")
    assert code == 1 and doc is not None  # findings at or above --fail-on
    assert "critical" not in {f["severity"] for f in doc["images"][0]["findings"]}
    assert fleet_main(good, "--fail-on", "critical")[0] == 0  # all below it
    code, doc = fleet_main(good, missing)
    assert code == 3 and doc is not None  # an image not scanned: 3, after its report
    assert doc["summary"]["failed"] == 1 and doc["images"][1]["error"]
    assert fleet_main(good, missing, "--fail-on", "low")[0] == 3  # 3 before 1
    assert fleet_main(good, missing, "--keep-going")[0] == 0
    # an image not scanned is a control not evaluated: --strict does not pass it
    assert fleet_main(good, missing, "--keep-going", "--strict")[0] == 4
    assert fleet_main(good, "--strict")[0] == 0  # nothing unknown in the good image
    assert fleet_main(good, missing, "--keep-going", "--strict", "--fail-on", "low")[0] == 1


def test_bad_usage_is_exit_2(fleet_main: Any, tmp_path: Path) -> None:
    assert fleet_main()[0] == 2  # no image named
    assert fleet_main(_image(tmp_path), "--repo-filter", "x*")[0] == 2
    assert fleet_main(_image(tmp_path), "--fail-on", "severe")[0] == 2
