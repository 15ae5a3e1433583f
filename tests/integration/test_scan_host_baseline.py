"""``ringfence scan --host-baseline``: the host's drift against its signed baseline
(HOST-101..112) joins the host ring of the depth report. Without a baseline the report is
what it was (no drift rule anywhere); with one, an unchanged host holds those controls, a
drifted one fails the threats the drifted rules carry, a value that cannot be read leaves
its rule unevaluated, and a baseline of another host or without its key is an error.

Manifests: tests/data/goat-hardened; images not scanned; the host root is built here."""

from __future__ import annotations

import json
import os
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric import ec

from ringfence.cli.main import main
from ringfence.host.baseline import document
from ringfence.host.baseline.snapshot import take_snapshot
from ringfence.k8s.load import load_paths
from ringfence.scan_all import ScanAllOptions, scan_all
from ringfence.threats.model import DepthReport, State, WorkloadDepth
from ringfence.trust.keys import public_pem

HARDENED = Path(__file__).parents[1] / "data" / "goat-hardened"
HARD_HOME = "Deployment/goat-hardened/goat-home"
SSHD_OK = ("PermitRootLogin no\nPasswordAuthentication no\nKbdInteractiveAuthentication no\n"
           "PermitEmptyPasswords no\nDisableForwarding yes\n")
KEY = ec.generate_private_key(ec.SECP256R1())


def _root(tmp_path: Path) -> Path:
    root = tmp_path / "host"
    (root / "etc/ssh").mkdir(parents=True)
    (root / "etc/ssh/sshd_config").write_text(SSHD_OK)
    (root / "etc/machine-id").write_text("0123456789abcdef0123456789abcdef\n")
    (root / "etc/passwd").write_text("root:x:0:0:root:/root:/bin/sh\n")
    (root / "etc/sudoers").write_text("root ALL=(ALL:ALL) ALL\n@includedir /etc/sudoers.d\n")
    (root / "etc/sudoers.d").mkdir()
    return root


def _scan(root: Path, baseline: bytes | None) -> DepthReport:
    return scan_all(load_paths([HARDENED]), ScanAllOptions(
        host_root=str(root), images_from="none", host_baseline=baseline,
        host_baseline_key=public_pem(KEY.public_key()), host_baseline_name="b.json"))


def _home(report: DepthReport) -> WorkloadDepth:
    return next(w for w in report.workloads if w.ref == HARD_HOME)


def _host_cells(report: DepthReport) -> dict[str, tuple[str, tuple[str, ...], tuple[str, ...],
                                                         tuple[str, ...]]]:
    return {t.threat: (t.ring("host").state.value, t.ring("host").held,
                       t.ring("host").failed, t.ring("host").unverified)
            for t in _home(report).threats}


def test_without_a_baseline_the_report_is_unchanged_and_has_no_drift_rule(
        tmp_path: Path) -> None:
    root = _root(tmp_path)
    report = _scan(root, None)
    assert not [r for r in report.rules if r.id.startswith("HOST-1")]
    assert not [c for cells in _host_cells(report).values() for part in cells[1:]
                for c in part if c.startswith("HOST-1")]
    assert "host baseline" not in dict(report.sources)
    inter = _home(report).threat("interactive-access").ring("host")
    assert (inter.state, inter.held) == (State.HOLDS, ("HOST-020", "HOST-021", "HOST-022"))


def test_a_baseline_adds_its_rules_to_the_host_ring_and_drift_fails_them(
        tmp_path: Path) -> None:
    root = _root(tmp_path)
    baseline = document.create(take_snapshot(root), KEY)
    without = _host_cells(_scan(root, None))
    same = _scan(root, baseline)
    assert {"HOST-101", "HOST-112"} <= {r.id for r in same.rules}
    assert dict(same.sources)["host baseline"].endswith("against b.json")
    cells = _host_cells(same)
    inter = cells["interactive-access"]
    assert inter[0] == "holds" and {"HOST-101", "HOST-103", "HOST-112"} <= set(inter[1])
    # an unchanged host: no cell becomes "holds" and none stops holding (with HOST-108
    # carrying vulnerable-package, that ring went from no-control to holds); a ring none of
    # whose controls could be read may become partial (evaluated in part, not counted)
    for threat, (state, *_rest) in without.items():
        assert (cells[threat][0] == "holds") == (state == "holds"), threat
        if cells[threat][0] != state:
            assert (state, cells[threat][0]) == ("not-evaluated", "partial"), threat
    depth = {t.threat: t.depth for t in _home(same).threats}
    assert depth == {t.threat: t.depth for t in _home(_scan(root, None)).threats}
    # a key for root: nothing HOST-0xx sees, the drift rule fails the threats it carries
    (root / "root/.ssh").mkdir(parents=True)
    (root / "root/.ssh/authorized_keys").write_text("ssh-ed25519 AAAAevil mallory\n")
    drifted = _scan(root, baseline)
    after = _host_cells(drifted)
    for threat in ("interactive-access", "persistence-drift"):
        assert (after[threat][0], after[threat][2]) == ("fails", ("HOST-112",)), threat
    assert _home(drifted).threat("interactive-access").depth == \
        _home(same).threat("interactive-access").depth - 1
    assert any(f.rule_id == "HOST-112" for f in _home(drifted).findings)


def test_a_value_that_cannot_be_read_leaves_its_rule_unevaluated(tmp_path: Path) -> None:
    root = _root(tmp_path)
    baseline = document.create(take_snapshot(root), KEY)
    os.mkfifo(root / "etc/sudoers.d/zz")  # sudo would read it; it cannot be
    report = _scan(root, baseline)
    cells = _host_cells(report)
    assert "HOST-103" in cells["interactive-access"][3]  # not counted as holding
    assert "HOST-103" not in cells["interactive-access"][1]
    assert "HOST-101" in cells["interactive-access"][1]  # the rest still decided
    assert any(u.location == "/etc/sudoers.d/zz" for u in report.unknowns)


def _cli(tmp_path: Path, *extra: str) -> int:
    return main(["scan", "--k8s", str(HARDENED), "--images-from", "none", "-q",
                 "-f", "json", "-o", str(tmp_path / "out.json"), *extra])


def test_cli(tmp_path: Path) -> None:
    root = _root(tmp_path)
    (tmp_path / "b.json").write_bytes(document.create(take_snapshot(root), KEY))
    (tmp_path / "key.pub").write_bytes(public_pem(KEY.public_key()))
    base = ["--host-root", str(root), "--host-baseline", str(tmp_path / "b.json")]
    assert _cli(tmp_path, *base, "--pubkey", str(tmp_path / "key.pub")) == 0
    doc = json.loads((tmp_path / "out.json").read_text())
    assert "host baseline" in {s["input"] for s in doc["sources"]}
    assert _cli(tmp_path, *base) == 2  # no key: a usage error
    assert _cli(tmp_path, "--host-baseline", str(tmp_path / "b.json"),
                "--pubkey", str(tmp_path / "key.pub")) == 2  # no host
    (root / "etc/machine-id").write_text("fedcba9876543210fedcba9876543210\n")
    assert _cli(tmp_path, *base, "--pubkey", str(tmp_path / "key.pub")) == 3  # another host
    other = ec.generate_private_key(ec.SECP256R1())
    (tmp_path / "other.pub").write_bytes(public_pem(other.public_key()))
    assert _cli(tmp_path, *base, "--pubkey", str(tmp_path / "other.pub")) == 3

