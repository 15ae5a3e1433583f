"""Where RBAC findings appear: ``ringfence k8s`` on RBAC-only manifests (no workload) reports
each RBAC finding at its binding, naming subject, binding, role and rule; ``scan`` charges a
workload only with the findings of the identity it runs as (its service account, or a group
that account is in), never a User's or another account's."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from ringfence.cli.main import cli
from ringfence.k8s.load import load_bytes
from ringfence.scan_all import ScanAllOptions, scan_all


def _rb(kind: str, ns: str, name: str, rule: str, subject: str) -> str:
    meta = f"{{name: {name}, namespace: {ns}}}" if kind == "Role" else f"{{name: {name}}}"
    bkind = "RoleBinding" if kind == "Role" else "ClusterRoleBinding"
    return f"""apiVersion: rbac.authorization.k8s.io/v1
kind: {kind}
metadata: {meta}
rules: [{rule}]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: {bkind}
metadata: {meta}
roleRef: {{apiGroup: rbac.authorization.k8s.io, kind: {kind}, name: {name}}}
subjects: [{subject}]
"""


SA = "{kind: ServiceAccount, name: bot, namespace: ops}"
# rule id -> (role name, rule): one grant each, all to the same account, no workload
RBAC_ONLY = {
    "K8S-203": ("wild", '{apiGroups: [""], resources: ["*"], verbs: [list]}'),
    "K8S-204": ("reader", '{apiGroups: [""], resources: [secrets], verbs: [get]}'),
    "K8S-205": ("rollout", '{apiGroups: [apps], resources: [deployments], verbs: [patch]}'),
    "K8S-206": ("exec", '{apiGroups: [""], resources: [pods/exec], verbs: [create]}'),
    "K8S-207": ("imp", '{apiGroups: [""], resources: [users], verbs: [impersonate]}'),
    "K8S-208": ("kubelet", '{apiGroups: [""], resources: [nodes/proxy], verbs: [get]}'),
    "K8S-211": ("tokens", '{apiGroups: [""], resources: [serviceaccounts/token], '
                'verbs: [create]}'),
}


def test_rbac_only_manifests_report_each_finding_at_its_binding(tmp_path: Path) -> None:
    docs = [_rb("ClusterRole", "", name, rule, SA) for name, rule in RBAC_ONLY.values()]
    path = tmp_path / "rbac.yaml"
    path.write_text("---\n".join(docs))
    lines = path.read_text().splitlines()
    res = CliRunner().invoke(cli, ["k8s", "-f", "json", str(path)])
    assert res.exit_code == 0, res.output
    doc = json.loads(res.output)
    assert doc["workloads"] == []
    for rule_id, (name, _) in RBAC_ONLY.items():
        mine = [f for f in doc["findings"] if f["rule"] == rule_id
                and f"ClusterRole {name}" in f["message"]]
        assert mine, f"{rule_id} not reported on RBAC-only input"
        f = mine[0]
        file, _, line = f["location"].rpartition(":")
        assert file == str(path)
        kind = lines[int(line)]  # the location is the object's first line
        if rule_id == "K8S-203":  # a property of the role: at the role
            assert kind == "kind: ClusterRole"
            continue
        assert kind == "kind: ClusterRoleBinding"
        assert f["message"].startswith("ServiceAccount ops/bot can ")
        assert f"ClusterRoleBinding {name} -> ClusterRole {name}: verbs=" in f["message"]


def _deployment(name: str, sa: str) -> str:
    return f"""apiVersion: apps/v1
kind: Deployment
metadata: {{name: {name}, namespace: app}}
spec:
  selector: {{matchLabels: {{app: {name}}}}}
  template:
    metadata: {{labels: {{app: {name}}}}}
    spec:
      serviceAccountName: {sa}
      automountServiceAccountToken: false
      securityContext: {{runAsNonRoot: true}}
      containers: [{{name: c, image: "registry.example/{name}@sha256:{'a' * 64}"}}]
"""


def test_scan_charges_a_workload_only_with_its_own_identity_findings() -> None:
    text = "---\n".join([
        "apiVersion: v1\nkind: Namespace\nmetadata: {name: app}\n",
        _deployment("web", "web-sa"), _deployment("api", "api-sa"),
        _rb("Role", "app", "web-secrets", '{apiGroups: [""], resources: [secrets], '
            'verbs: [list]}', "{kind: ServiceAccount, name: web-sa, namespace: app}"),
        _rb("ClusterRole", "", "alice-kubelet", '{apiGroups: [""], resources: '
            '[nodes/proxy], verbs: [get]}', "{kind: User, name: alice}"),
        _rb("Role", "app", "app-exec", '{apiGroups: [""], resources: [pods/exec], '
            'verbs: [create]}', "{kind: Group, name: 'system:serviceaccounts:app'}"),
        _rb("ClusterRole", "", "other-tokens", '{apiGroups: [""], resources: '
            '[serviceaccounts/token], verbs: [create]}',
            "{kind: ServiceAccount, name: lonely, namespace: app}"),
        # exec elsewhere: bob can enter no pod of app
        _rb("Role", "other", "bob-exec", '{apiGroups: [""], resources: [pods/exec], '
            'verbs: [create]}', "{kind: User, name: bob}"),
        # exec into app: carol can enter both workloads (interactive access to them)
        _rb("Role", "app", "carol-attach", '{apiGroups: [""], resources: [pods/attach], '
            'verbs: [create]}', "{kind: User, name: carol}"),
    ])
    manifests = load_bytes(text.encode(), "m.yaml")
    report = scan_all(manifests, ScanAllOptions(images_from="none"))
    rbac = {w.ref: {(f.rule_id, f.message.split(" can ")[0]) for f in w.findings
                    if f.rule_id.startswith("K8S-2")} for w in report.workloads}
    web = next(r for r in rbac if r.endswith("/web"))
    api = next(r for r in rbac if r.endswith("/api"))
    group = ("K8S-206", "Group system:serviceaccounts:app")
    carol = ("K8S-206", "User carol")
    assert ("K8S-204", "ServiceAccount app/web-sa") in rbac[web]
    assert {group, carol} <= rbac[web]
    # not web-sa's secrets, not alice's kubelet access, not lonely's tokens, not bob's exec
    # in another namespace
    assert rbac[api] == {group, carol}
    everyone = {m for found in rbac.values() for _, m in found}
    assert not {"User alice", "User bob", "ServiceAccount app/lonely"} & everyone
    # the control fails for the workload whose account holds the grant and holds for the
    # other (the threats that K8S-204 counts against)
    def platform(ref: str, what: str) -> set[str]:
        w = next(w for w in report.workloads if w.ref == ref)
        return {rid for t in w.threats for r in t.rings if r.ring == "platform"
                for rid in getattr(r, what)}
    assert "K8S-204" in platform(web, "failed") and "K8S-204" not in platform(web, "held")
    assert "K8S-204" in platform(api, "held") and "K8S-204" not in platform(api, "failed")


def test_goat_charges_each_finding_to_the_workloads_it_concerns(data_dir: Path) -> None:
    """kubernetes-goat (real manifests): only hunger-check runs as big-monolith-sa, so only
    it carries that account's secret reads; superadmin (no workload runs as it) reaches
    cluster-admin and the node but no workload is charged with that; its cluster-wide
    pods/exec exposes all 13 workloads (interactive access to each)."""
    from ringfence.k8s.load import load_paths
    from ringfence.rings.platform import platform_ring

    ring = platform_ring(load_paths([data_dir / "k8s" / "kubernetes-goat"]))
    assert ring.facts is not None
    charged = {(f.rule_id, f.message.split(" can ")[0].split(" reaches ")[0]): refs
               for f, refs in ring.facts.charged.items()}
    hunger = ("Deployment/big-monolith/hunger-check-deployment",)
    assert charged[("K8S-204", "ServiceAccount big-monolith/big-monolith-sa")] == hunger
    for rule in ("K8S-201", "K8S-202", "K8S-204", "K8S-207", "K8S-208"):
        assert charged[(rule, "ServiceAccount kube-system/superadmin")] == (), rule
    exposed = charged[("K8S-206", "ServiceAccount kube-system/superadmin")]
    assert len(exposed) == len(ring.facts.pods) == 13
