"""Polaris' success/failure fixtures and kube-score's test data, checked with the rule we
have for each of their checks. Every disagreement is listed (and explained) below; the
test fails on any other disagreement and on a listed one that no longer happens."""

from __future__ import annotations

from pathlib import Path

import pytest

from ringfence.checks.engine import run_checks
from ringfence.k8s.facts import gather_manifests
from ringfence.k8s.rules.rules import K8S_CHECKS

CHECKS = {c.rule.id: c for c in K8S_CHECKS}
POLARIS = {
    "automountServiceAccountToken": "K8S-035", "cpuLimitsMissing": "K8S-033",
    "memoryLimitsMissing": "K8S-034", "hostIPCSet": "K8S-002", "hostNetworkSet": "K8S-002",
    "hostPIDSet": "K8S-002", "hostPathSet": "K8S-005", "hostPortSet": "K8S-006",
    "hostProcess": "K8S-001", "insecureCapabilities": "K8S-025",
    "dangerousCapabilities": "K8S-004", "notReadOnlyRootFilesystem": "K8S-036",
    "privilegeEscalationAllowed": "K8S-021", "procMount": "K8S-009",
    "runAsPrivileged": "K8S-003", "runAsRootAllowed": "K8S-022",
    "sensitiveConfigmapContent": "K8S-041", "sensitiveContainerEnvVar": "K8S-040",
    "tagNotSpecified": "K8S-030",
}
# PSS Restricted "Capabilities" requires the literal "ALL" in capabilities.drop (the
# admission controller compares exactly). Polaris' insecureCapabilities also accepts "All"
# in any case and an explicit list of every default capability, so we fire where it passes.
POLARIS_DISAGREE = {
    ("insecureCapabilities", "success.all.yaml"),
    ("insecureCapabilities", "success.case.yaml"),
    ("insecureCapabilities", "success.pod.yaml"),
    ("insecureCapabilities", "success.yaml"),
}
# kube-score test inputs named after the outcome kube-score's own tests expect from them.
KUBE_SCORE = [
    ("pod-image-tag-latest.yaml", "K8S-030", True),
    ("pod-image-tag-fixed.yaml", "K8S-030", False),
    ("pod-security-context-privileged.yaml", "K8S-003", True),
    ("pod-security-context-all-good.yaml", "K8S-003", False),
    ("pod-security-context-all-good.yaml", "K8S-036", False),
    ("pod-security-context-all-good.yaml", "K8S-023", False),
    ("pod-security-context-writeablerootfilesystem.yaml", "K8S-036", True),
    ("pod-security-context-nosecuritycontext.yaml", "K8S-036", True),
    ("security-inherit-pod-security-context.yaml", "K8S-023", False),
    ("pod-test-resources-no-limits.yaml", "K8S-033", True),
    ("pod-test-resources-no-limits.yaml", "K8S-034", True),
    ("pod-test-resources-limits-and-requests.yaml", "K8S-033", False),
    ("pod-test-resources-limits-and-requests.yaml", "K8S-034", False),
    ("pod-test-resources-limits-and-requests-no-cpu-limit.yaml", "K8S-033", True),
    ("pod-test-resources-limits-and-requests-no-cpu-limit.yaml", "K8S-034", False),
    ("pod-seccomp-securecontext-ok.yaml", "K8S-024", False),
    ("pod-seccomp-securecontext-warning.yaml", "K8S-024", True),
    ("pod-seccomp-container-securecontext-warning.yaml", "K8S-024", True),
    ("pod-seccomp-container-securecontext-ok.yaml", "K8S-024", False),
]


def _fires(path: Path, rule_id: str) -> bool:
    facts = gather_manifests([path])
    assert not facts.unknowns, facts.unknowns
    run = run_checks([CHECKS[rule_id]], facts)
    assert rule_id in run.evaluated, f"{rule_id} not evaluated on {path}"
    return rule_id in run.failed()


def _polaris_files(root: Path) -> list[tuple[str, Path]]:
    return [(check, f) for check in POLARIS for f in sorted((root / check).glob("*.yaml"))
            if f.name.startswith(("success", "failure"))]


def test_polaris_labels(data_dir: Path) -> None:
    files = _polaris_files(data_dir / "k8s" / "polaris-fixtures")
    disagree = {(check, f.name) for check, f in files
                if _fires(f, POLARIS[check]) != f.name.startswith("failure")}
    assert disagree == POLARIS_DISAGREE
    assert len(files) == 81  # the success/failure files of 19 checks we have an equivalent of


@pytest.mark.parametrize(("name", "rule_id", "fires"), KUBE_SCORE)
def test_kube_score_testdata(data_dir: Path, name: str, rule_id: str, fires: bool) -> None:
    assert _fires(data_dir / "k8s" / "kube-score-testdata" / name, rule_id) is fires
