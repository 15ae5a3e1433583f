"""Scale (linear, indexed), the environment helper, the rules on real data, and the CLI."""

from __future__ import annotations

import dataclasses
import time
from pathlib import Path

import pytest

from ringfence.checks.engine import run_checks
from ringfence.cli.main import main
from ringfence.k8s.load import load_paths
from ringfence.k8s.objects import K8sObject
from ringfence.k8s.rbac.facts import gather, gather_paths
from ringfence.k8s.rbac.graph import CLUSTER_ADMIN, TARGETS, paths_to
from ringfence.k8s.rbac.rules import RBAC_CHECKS
from ringfence.k8s.rbac.whocan import cross_environment, who_can_text

CORPORA = ("kubernetes-goat", "calico", "argo-cd", "kube-prometheus", "ingress-nginx",
           "cert-manager")


def _replicate(objects: tuple[K8sObject, ...], copies: int) -> list[K8sObject]:
    """Copies i of every object with every name and namespace suffixed -i (bindings keep
    pointing at their own copy's subjects only by name, as a bigger cluster would)."""
    out = []
    for i in range(copies):
        for o in objects:
            raw = dict(o.raw)
            if o.kind == "ClusterRoleBinding" or o.kind == "RoleBinding":
                ref = dict(raw.get("roleRef") or {})
                ref["name"] = f"{ref.get('name')}-{i}"
                raw["roleRef"] = ref
            out.append(dataclasses.replace(o, name=f"{o.name}-{i}",
                                           namespace=f"{o.namespace or 'default'}-{i}",
                                           raw=raw))
    return out


def _time(objects: list[K8sObject]) -> float:
    start = time.perf_counter()
    facts = gather(objects)
    paths_to(facts.graph, TARGETS)
    run_checks(RBAC_CHECKS, facts)
    return time.perf_counter() - start


def test_linear_in_objects_at_ten_thousand(data_dir: Path) -> None:
    base = load_paths([data_dir / "k8s" / c for c in CORPORA]).objects
    copies = -(-2_500 // len(base))
    small, large = _replicate(base, copies), _replicate(base, 4 * copies)
    assert len(large) >= 10_000
    t_small, t_large = _time(small), _time(large)
    assert t_large < 20, t_large
    assert t_large / t_small < 8, (t_small, t_large)  # 4x the objects: linear, not quadratic


def test_cross_environment_and_rules_on_real_data(data_dir: Path) -> None:
    facts = gather_paths([data_dir / "k8s" / "kubernetes-goat"])
    env = {"big-monolith": "prod", "default": "dev"}.get
    crossing = cross_environment(facts.index, env, ["big-monolith", "default"])
    # superadmin is cluster-wide (every environment); big-monolith-sa only in prod
    assert [str(c.subject) for c in crossing] == ["ServiceAccount kube-system/superadmin"]
    assert crossing[0].environments == ("dev", "prod")
    run = run_checks(RBAC_CHECKS, facts)
    fired = sorted({f.rule_id for f in run.findings})
    assert fired == ["K8S-201", "K8S-202", "K8S-203", "K8S-204", "K8S-205", "K8S-206",
                     "K8S-207", "K8S-208", "K8S-209", "K8S-210", "K8S-211"]
    assert not run.unknowns


def test_cli_who_can_and_paths(data_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    goat = str(data_dir / "k8s" / "kubernetes-goat")
    assert main(["rbac", "who-can", "list", "secrets", "-n", "big-monolith", "-f", "table",
                 goat]) == 0
    out = capsys.readouterr().out
    assert "ServiceAccount big-monolith/big-monolith-sa\tbig-monolith" in out
    assert "RoleBinding big-monolith/secret-reader-binding -> Role big-monolith/" \
           "secret-reader" in out
    assert main(["rbac", "who-can", "create", "pods", "--subresource", "exec", "-n",
                 "big-monolith", "-f", "table", goat]) == 0
    out = capsys.readouterr().out
    assert "big-monolith-sa" not in out and "superadmin" in out
    calico = str(data_dir / "k8s" / "calico")
    assert main(["rbac", "paths", "--to", "cluster-admin", "-f", "table", calico]) == 0
    out = capsys.readouterr().out
    assert out.startswith("== paths to cluster-admin: 2\nServiceAccount tigera-operator/"
                          "tigera-operator\n  -> cluster-admin  (create clusterrolebindings")
    assert main(["rbac", "paths", "--fail-on", "low", calico]) == 1
    assert main(["rbac", "paths", "--strict", goat]) == 4  # Chart.yaml, values.yaml
    capsys.readouterr()
    assert main(["rbac", "paths", calico, "-f", "json", "--to", "cluster-admin"]) == 0
    assert '"source": "ServiceAccount tigera-operator/tigera-operator"' in capsys.readouterr().out


def test_who_can_without_namespace_lists_every_scope(data_dir: Path) -> None:
    facts = gather_paths([data_dir / "k8s" / "kubernetes-goat"])
    scopes = {(str(a.subject), a.scope) for a in who_can_text(facts.index, "get", "secrets")}
    assert ("ServiceAccount big-monolith/big-monolith-sa", "big-monolith") in scopes
    assert facts.graph.shortest_paths([CLUSTER_ADMIN])
