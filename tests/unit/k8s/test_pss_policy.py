"""Which Pod Security level and version a pod is checked at: PSA's label grammar, the
Namespace's enforce/enforce-version labels, the --pss-level/--pss-version options that
override them, Namespaces that enforce nothing (K8S-013) or carry labels PSA cannot parse
(K8S-014), and the admission policy checking the same table at its own version."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import yaml

from ringfence.admission.evaluate import evaluate_pod
from ringfence.admission.policy import loads_policy
from ringfence.checks.engine import run_checks
from ringfence.cli.main import main
from ringfence.errors import InputError
from ringfence.k8s.facts import facts_from_objects
from ringfence.k8s.load import load_bytes
from ringfence.k8s.objects import make_object
from ringfence.k8s.podview import pod_view
from ringfence.k8s.psa import DEFAULT_SELECTION, PssSelection, parse_level, parse_version
from ringfence.k8s.rules.rules import K8S_CHECKS

ENFORCE = "pod-security.kubernetes.io/enforce"
VERSION = "pod-security.kubernetes.io/enforce-version"
RESTRICTED_IDS = {"K8S-020", "K8S-021", "K8S-022", "K8S-023", "K8S-024", "K8S-025",
                  "K8S-026"}


@pytest.mark.parametrize(("text", "minor"), [("latest", None), ("v1.0", 0), ("v1.8", 8),
                                              ("v1.37", 37), ("v1.99", 99)])
def test_versions_psa_accepts(text: str, minor: int | None) -> None:
    assert parse_version(text) == minor


@pytest.mark.parametrize("text", ["", "1.30", "v1.05", "v2.0", "v1.", "Latest", "v1.-1",
                                  " v1.3", "v1.3 ", "v1.3.0", "v1.1234567890123"])
def test_versions_psa_refuses(text: str) -> None:
    with pytest.raises(ValueError, match="latest"):
        parse_version(text)


@pytest.mark.parametrize("text", ["Baseline", "", "strict", " restricted"])
def test_levels_psa_refuses(text: str) -> None:
    with pytest.raises(ValueError):
        parse_level(text)


def _namespace(name: str, labels: dict[str, Any]) -> dict[str, Any]:
    return {"apiVersion": "v1", "kind": "Namespace",
            "metadata": {"name": name, "labels": labels}}


def _pod(ns: str, **container: Any) -> dict[str, Any]:
    return {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p", "namespace": ns},
            "spec": {"containers": [{"name": "c", "image": "x:1", **container}]}}


# a probe aimed at another host: refused from v1.34 (baseline); the pod also breaks every
# restricted control (no securityContext at all)
PROBE = {"livenessProbe": {"httpGet": {"host": "10.0.0.1", "port": 80}}}


def _manifest(*docs: dict[str, Any]) -> bytes:
    return "---\n".join(yaml.safe_dump(d) for d in docs).encode()


def _run(data: bytes, selection: PssSelection = DEFAULT_SELECTION
         ) -> tuple[set[str], set[str]]:
    loaded = load_bytes(data, "m.yaml")
    run = run_checks(K8S_CHECKS, facts_from_objects(loaded.objects, pss=selection))
    return run.failed(), set(run.evaluated)


def test_namespace_labels_choose_level_and_version() -> None:
    data = _manifest(_namespace("shop", {ENFORCE: "baseline", VERSION: "v1.33"}),
                     _pod("shop", **PROBE))
    failed, evaluated = _run(data)
    assert not RESTRICTED_IDS & evaluated  # baseline: restricted checks are not evaluated
    assert "K8S-012" not in evaluated  # v1.33 predates the probe-host check
    failed, evaluated = _run(data, PssSelection(version="v1.34"))  # the option overrides
    assert "K8S-012" in failed and not RESTRICTED_IDS & evaluated
    failed, evaluated = _run(data, PssSelection(level="restricted"))
    assert {"K8S-021", "K8S-022", "K8S-024", "K8S-025"} <= failed
    # v1.33 still: neither the v1.34 probe check nor the v1.35 restricted procMount check
    assert evaluated & (RESTRICTED_IDS | {"K8S-012"}) == RESTRICTED_IDS - {"K8S-026"}


def test_without_namespace_labels_restricted_at_latest() -> None:
    failed, evaluated = _run(_manifest(_pod("shop", **PROBE)))
    assert {"K8S-012", "K8S-021", "K8S-022", "K8S-024", "K8S-025"} <= failed
    assert evaluated >= RESTRICTED_IDS


def test_privileged_namespace_is_reported_and_checks_nothing() -> None:
    data = _manifest(_namespace("ops", {ENFORCE: "privileged"}),
                     _pod("ops", securityContext={"privileged": True}))
    failed, evaluated = _run(data)
    assert "K8S-013" in failed
    assert not {i for i in evaluated if "K8S-001" <= i <= "K8S-026"} - {"K8S-013", "K8S-014"}
    # asked for explicitly, the level applies even there (and the label is still reported)
    failed, _ = _run(data, PssSelection(level="baseline"))
    assert {"K8S-003", "K8S-013"} <= failed


@pytest.mark.parametrize(("labels", "policy"), [
    ({ENFORCE: "Restricted", VERSION: "v1.33"}, "restricted:v1.33"),
    ({ENFORCE: "baseline", VERSION: "1.30"}, "baseline:latest"),
    ({ENFORCE: "baseline", VERSION: "v1.030"}, "baseline:latest"),
    ({ENFORCE: "", VERSION: "v1.33"}, "restricted:v1.33"),
])
def test_labels_psa_cannot_parse_fall_back_to_restricted_latest(
        labels: dict[str, str], policy: str) -> None:
    data = _manifest(_namespace("shop", labels), _pod("shop", **PROBE))
    loaded = load_bytes(data, "m.yaml")
    run = run_checks(K8S_CHECKS, facts_from_objects(loaded.objects))
    (finding,) = [f for f in run.findings if f.rule_id == "K8S-014"]
    assert finding.message.endswith(f"(PSA enforces {policy} instead)")
    # the pod is checked at the fallback: restricted for a bad level, latest for a bad version
    assert ("K8S-022" in run.failed()) == policy.startswith("restricted")
    assert ("K8S-012" in run.failed()) == policy.endswith("latest")


def _cli(tmp_path: Path, capsys: pytest.CaptureFixture[str], *args: str
         ) -> tuple[int, dict[str, Any]]:
    path = tmp_path / "m.yaml"
    path.write_bytes(_manifest(_namespace("shop", {ENFORCE: "baseline", VERSION: "v1.33"}),
                               _pod("shop", **PROBE), _pod("other")))
    code = main(["k8s", str(path), "-f", "json", *args])
    out = capsys.readouterr().out
    return code, json.loads(out) if out else {}


def test_cli_reports_the_policy_each_workload_was_checked_at(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    _, doc = _cli(tmp_path, capsys)
    assert [(w["ref"], w["policy"], w["pss"]) for w in doc["workloads"]] == [
        ("Pod/shop/p", "baseline:v1.33", "baseline"),
        ("Pod/other/p", "restricted:latest", "baseline")]
    _, doc = _cli(tmp_path, capsys, "--pss-level", "baseline", "--pss-version", "v1.34")
    assert {w["policy"] for w in doc["workloads"]} == {"baseline:v1.34"}
    assert not RESTRICTED_IDS & set(doc["evaluated"])
    assert {f["rule"] for f in doc["findings"] if f["rule"] == "K8S-012"} == {"K8S-012"}


@pytest.mark.parametrize("args", [["--pss-version", "1.30"], ["--pss-version", "v1.x"],
                                  ["--pss-level", "privileged"], ["--pss-level", "strict"]])
def test_cli_refuses_bad_options(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                 args: list[str]) -> None:
    code, _ = _cli(tmp_path, capsys, *args)
    assert code == 2


def _view(**container: Any) -> Any:
    view = pod_view(make_object(_pod("apps", **container), "t", 1))
    assert view is not None
    return view


def test_admission_checks_the_table_at_the_policy_version() -> None:
    pod = _view(**PROBE)
    latest = evaluate_pod(loads_policy("pss: {enforce: baseline}"), pod)
    assert latest.rule_ids() == ["K8S-012"]
    pinned = evaluate_pod(loads_policy("pss: {enforce: baseline, version: v1.33}"), pod)
    assert pinned.allowed
    warned = evaluate_pod(loads_policy("pss: {enforce: baseline, audit: restricted}"), pod)
    assert warned.rule_ids() == ["K8S-012"]
    assert {w.rule_id for w in warned.warnings} >= {"K8S-021", "K8S-022"}
    assert "K8S-012" not in {w.rule_id for w in warned.warnings}


@pytest.mark.parametrize("version", ["1.30", "v1.x", "7", "[v1.3]"])
def test_admission_policy_refuses_bad_versions(version: str) -> None:
    with pytest.raises(InputError, match=r"pss\.version"):
        loads_policy(f"pss: {{enforce: baseline, version: {version}}}")


@pytest.mark.parametrize("value", [None, True, 0, "x", [1], {"a": [1]}, 1.5, -1])
def test_wrong_types_never_break_a_check(value: Any) -> None:
    """Every field a PSS check reads, set to a value of the wrong type: each check still
    runs (no Unknown "check failed"), and a wrong-typed restricted field is refused."""
    sc = {"capabilities": {"add": value, "drop": value}, "procMount": value,
          "privileged": value, "seccompProfile": {"type": value},
          "allowPrivilegeEscalation": value, "runAsNonRoot": value, "runAsUser": value,
          "seLinuxOptions": {"type": value, "user": value}, "appArmorProfile": {"type": value},
          "windowsOptions": {"hostProcess": value}}
    doc = {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p", "namespace": "n"},
           "spec": {"hostUsers": value, "os": value, "hostNetwork": value,
                    "securityContext": {**sc, "sysctls": [{"name": value}, value]},
                    "volumes": [{"name": "v", "nfs": value}, value],
                    "containers": [{"name": "c", "securityContext": sc,
                                    "ports": [{"hostPort": value}, value],
                                    "livenessProbe": {"httpGet": {"host": value}},
                                    "lifecycle": {"preStop": value,
                                                  "postStart": {"tcpSocket": {"host": value}}}}]}}
    run = run_checks(K8S_CHECKS, facts_from_objects([make_object(doc, "x", 1)]))
    assert [u for u in run.unknowns if u.reason.startswith("check failed")] == []
    assert {"K8S-011", "K8S-021", "K8S-025"} <= run.failed()
    assert ("K8S-022" in run.failed()) == (value is not True)  # runAsNonRoot: true holds


def test_enforcing_namespaces_read_the_labels_as_psa_does() -> None:
    """The threat chains' "pods are refused here" fact: a label PSA cannot parse makes it
    enforce restricted; privileged and no label enforce nothing."""
    from ringfence.k8s.rbac.workloads import enforcing_namespaces

    docs = [_namespace("a", {ENFORCE: "baseline"}), _namespace("b", {ENFORCE: "Restricted"}),
            _namespace("c", {ENFORCE: "privileged"}), _namespace("d", {VERSION: "v1.30"}),
            _namespace("e", {})]
    objects = load_bytes(_manifest(*docs), "ns.yaml").objects
    assert enforcing_namespaces(objects) == {"a", "b"}


def test_scan_reads_what_a_pod_spec_grants_whatever_its_namespace_enforces() -> None:
    """`ringfence k8s` checks a pod at its Namespace's level (privileged: nothing, K8S-013
    instead); the threat chains of `scan` ask what the spec grants, so a privileged pod in
    such a namespace still carries K8S-003."""
    from ringfence.scan_all import ScanAllOptions, scan_all

    data = _manifest(_namespace("ops", {ENFORCE: "privileged"}),
                     _pod("ops", securityContext={"privileged": True}))
    failed, _ = _run(data)
    assert "K8S-003" not in failed and "K8S-013" in failed
    report = scan_all(load_bytes(data, "m.yaml"), ScanAllOptions(images_from="none"))
    (workload,) = report.workloads
    assert {"K8S-003", "K8S-021"} <= {f.rule_id for f in workload.findings}
