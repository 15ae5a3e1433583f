"""Connectivity of every netpol-analyzer case in the shared data against its expected output.

The shared data carries netpol-analyzer's expected connlist for four cases (and the JSON
output of one); each must equal ours line by line. The other case directories ship no
expected output: deny_all_to_from_a_deployment is checked against what its policy says, the
rest are skipped with the reason (we never invent an expected answer).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from ringfence.k8s.load import load_paths
from ringfence.k8s.netpol.connlist import connections, render
from ringfence.k8s.netpol.evaluate import Network
from ringfence.k8s.netpol.parse import build_cluster

NPA = "k8s/netpol-analyzer"
WITH_EXPECTED = ("acs-security-demos", "minimal_test_in_ns", "onlineboutique_workloads",
                 "test_with_named_ports")
WITHOUT_EXPECTED = {
    "exposure_allow_all_test": "no expected connlist shipped (netpol-analyzer tests it only "
                               "with --exposure, which we do not implement)",
    "exposure_test_conn_to_all_pods_in_an_existing_ns": "no expected connlist shipped "
                                                        "(an --exposure case)",
    "netpol-demo": "no expected connlist shipped; it uses AdminNetworkPolicy and "
                   "BaselineAdminNetworkPolicy, which we report as not evaluated",
    "onlineboutique_workloads_with_ingress": "no expected connlist shipped (netpol-analyzer "
                                             "uses it only in diff tests)",
}


def _network(data_dir: Path, case: str) -> Network:
    manifests = load_paths([data_dir / NPA / "tests" / case])
    return Network(build_cluster(manifests.objects))


@pytest.mark.parametrize("case", WITH_EXPECTED)
def test_connlist_equals_netpol_analyzer(data_dir: Path, case: str) -> None:
    expected = (data_dir / NPA / "expected_connlist" / f"{case}_connlist_output.txt")
    got = render(connections(_network(data_dir, case)))
    assert got.splitlines() == expected.read_text().splitlines()


def test_json_output_equals_netpol_analyzer(data_dir: Path) -> None:
    case = "acs-security-demos"
    expected = json.loads((data_dir / NPA / "tests" / case / "connlist_output.json").read_text())
    got = [c.as_dict() for c in connections(_network(data_dir, case))]
    assert got == expected


def test_every_case_directory_is_accounted_for(data_dir: Path) -> None:
    cases = {p.name for p in (data_dir / NPA / "tests").iterdir() if p.is_dir()}
    assert cases == {*WITH_EXPECTED, *WITHOUT_EXPECTED, "deny_all_to_from_a_deployment"}


def test_deny_all_to_and_from_a_deployment(data_dir: Path) -> None:
    # Its policy selects app=app1 (deployment1) with both policyTypes and no rules: nothing
    # in or out; deployment2 is selected by nothing, so it is open both ways.
    lines = render(connections(_network(data_dir, "deny_all_to_from_a_deployment")))
    assert "deployment1" not in lines
    assert lines.splitlines() == [
        "0.0.0.0-255.255.255.255[External] => default/deployment2[Deployment] : All Connections",
        "default/deployment2[Deployment] => 0.0.0.0-255.255.255.255[External] : All Connections",
    ]


@pytest.mark.parametrize("case", sorted(WITHOUT_EXPECTED))
def test_cases_without_expected_output(data_dir: Path, case: str) -> None:
    net = _network(data_dir, case)
    assert net.workloads  # the manifests load and yield workloads
    pytest.skip(WITHOUT_EXPECTED[case])


def test_admin_network_policies_are_reported_not_ignored(data_dir: Path) -> None:
    net = _network(data_dir, "netpol-demo")
    assert any("AdminNetworkPolicy" in p for p in net.cluster.problems)
