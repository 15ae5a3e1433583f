"""Pod Security Standards per control and policy version, v1.0 ... v1.37 (and latest).

The expectations below are written from the documented definition of each control (the
Kubernetes Pod Security Standards page of each release and the Pod Security Admission
``check_*.go`` version lists), independently of ``ringfence.k8s.pss_table``: for every
generated pod, the rules that must refuse it at each level and version. A compliant
restricted pod is tweaked one field at a time; every tweak is evaluated at both levels and
at every version from v1.0 to v1.37, at latest and at a future v1.99 (which PSA clamps to
its newest policy), through the same checks `ringfence k8s` runs.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest

from ringfence.checks.engine import run_checks
from ringfence.k8s.facts import facts_from_objects
from ringfence.k8s.objects import make_object
from ringfence.k8s.psa import PssPolicy, PssSelection
from ringfence.k8s.pss_table import denies
from ringfence.k8s.rules.pss import PSS_CHECKS, pss_level

NEWEST = 37  # the newest Pod Security policy version documented (v1.37)
VERSIONS = [*range(NEWEST + 1)]
ALL = range(0, 1000)


def since(minor: int) -> range:
    return range(minor, 1000)


def before(minor: int) -> range:
    return range(0, minor)


# a pod every control admits at every version and level
BASE: dict[str, Any] = {
    "apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p", "namespace": "shop"},
    "spec": {
        "securityContext": {"runAsNonRoot": True, "runAsUser": 10001,
                            "seccompProfile": {"type": "RuntimeDefault"}},
        "containers": [{
            "name": "web", "image": "registry.invalid/web:1",
            "securityContext": {"allowPrivilegeEscalation": False,
                                "capabilities": {"drop": ["ALL"]}},
            "ports": [{"containerPort": 8080}],
        }],
        "volumes": [{"name": "cache", "emptyDir": {}}],
    },
}


def spec(p: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = p["spec"]
    return out


def psc(p: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = p["spec"]["securityContext"]
    return out


def csc(p: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = p["spec"]["containers"][0]["securityContext"]
    return out


def ctr(p: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = p["spec"]["containers"][0]
    return out


def annotate(p: dict[str, Any], key: str, value: str) -> None:
    p["metadata"].setdefault("annotations", {})[key] = value


def windows(p: dict[str, Any]) -> None:
    spec(p)["os"] = {"name": "windows"}


def userns(p: dict[str, Any]) -> None:
    spec(p)["hostUsers"] = False


@dataclass(frozen=True)
class Case:
    """``expect``: (rule, levels "B" baseline / "R" restricted, versions it refuses at)."""

    name: str
    tweak: Callable[[dict[str, Any]], None]
    expect: tuple[tuple[str, str, range], ...]


def sysctl(name: str) -> Callable[[dict[str, Any]], None]:
    return lambda p: psc(p).update(sysctls=[{"name": name, "value": "1"}])


def probe_host(kind: str, field: str, action: str, host: str) -> Callable[[dict[str, Any]], None]:
    def tweak(p: dict[str, Any]) -> None:
        handler = {action: {"port": 8080, "host": host}}
        if kind == "lifecycle":
            ctr(p)["lifecycle"] = {field: handler}
        else:
            ctr(p)[field] = handler

    return tweak


BR, B, R = "BR", "B", "R"
CASES = [
    Case("compliant", lambda p: None, ()),
    # --- baseline: Host namespaces, HostProcess, Privileged, Capabilities ------------------
    *(Case(f"{k}=true", lambda p, k=k: spec(p).update({k: True}), (("K8S-002", BR, ALL),))
      for k in ("hostNetwork", "hostPID", "hostIPC")),
    Case("hostNetwork=false", lambda p: spec(p).update(hostNetwork=False), ()),
    Case("hostProcess=true (pod)", lambda p: psc(p).update(
        windowsOptions={"hostProcess": True}), (("K8S-001", BR, ALL),)),
    Case("hostProcess=true (container)", lambda p: csc(p).update(
        windowsOptions={"hostProcess": True}), (("K8S-001", BR, ALL),)),
    Case("hostProcess=false", lambda p: csc(p).update(windowsOptions={"hostProcess": False}),
         ()),
    Case("privileged=true", lambda p: csc(p).update(privileged=True),
         (("K8S-003", BR, ALL),)),
    Case("privileged=false", lambda p: csc(p).update(privileged=False), ()),
    # baseline allows adding the default set; restricted (from v1.22) only NET_BIND_SERVICE
    Case("add CHOWN", lambda p: csc(p)["capabilities"].update(add=["CHOWN"]),
         (("K8S-025", R, since(22)),)),
    Case("add NET_BIND_SERVICE", lambda p: csc(p)["capabilities"].update(
        add=["NET_BIND_SERVICE"]), ()),
    Case("add SYS_ADMIN", lambda p: csc(p)["capabilities"].update(add=["SYS_ADMIN"]),
         (("K8S-004", BR, ALL), ("K8S-025", R, since(22)))),
    Case("no drop ALL", lambda p: csc(p)["capabilities"].update(drop=["NET_RAW"]),
         (("K8S-025", R, since(22)),)),
    # v1.25: restricted capabilities, seccomp and privilege escalation exempt Windows pods;
    # the restricted capabilities check replaces the baseline one at restricted
    Case("windows, add SYS_ADMIN", lambda p: (windows(p), csc(p)["capabilities"].update(
        add=["SYS_ADMIN"])), (("K8S-004", B, ALL), ("K8S-004", R, before(25)),
                              ("K8S-025", R, range(22, 25)))),
    Case("windows, no drop ALL", lambda p: (windows(p), csc(p).pop("capabilities")),
         (("K8S-025", R, range(22, 25)),)),
    # --- hostPath, volume types, host ports ----------------------------------------------------
    Case("hostPath volume", lambda p: spec(p)["volumes"].append(
        {"name": "h", "hostPath": {"path": "/"}}),
        (("K8S-005", BR, ALL), ("K8S-020", R, ALL))),
    Case("nfs volume", lambda p: spec(p)["volumes"].append(
        {"name": "n", "nfs": {"server": "s", "path": "/"}}), (("K8S-020", R, ALL),)),
    *(Case(f"{kind} volume", lambda p, kind=kind: spec(p)["volumes"].append(
        {"name": "v", kind: {}}), ())
      for kind in ("configMap", "csi", "downwardAPI", "emptyDir", "ephemeral", "image",
                   "persistentVolumeClaim", "projected", "secret")),
    Case("hostPort 8080", lambda p: ctr(p)["ports"][0].update(hostPort=8080),
         (("K8S-006", BR, ALL),)),
    Case("hostPort 0", lambda p: ctr(p)["ports"][0].update(hostPort=0), ()),
    # --- AppArmor: annotation and (patched into the 1.0 check) the v1.30 fields ----------------
    Case("appArmorProfile Unconfined (container)", lambda p: csc(p).update(
        appArmorProfile={"type": "Unconfined"}), (("K8S-007", BR, ALL),)),
    Case("appArmorProfile Unconfined (pod)", lambda p: psc(p).update(
        appArmorProfile={"type": "Unconfined"}), (("K8S-007", BR, ALL),)),
    Case("appArmorProfile Localhost", lambda p: csc(p).update(
        appArmorProfile={"type": "Localhost", "localhostProfile": "x"}), ()),
    Case("apparmor annotation unconfined", lambda p: annotate(
        p, "container.apparmor.security.beta.kubernetes.io/web", "unconfined"),
        (("K8S-007", BR, ALL),)),
    Case("apparmor annotation localhost/", lambda p: annotate(
        p, "container.apparmor.security.beta.kubernetes.io/web", "localhost/prof"), ()),
    Case("apparmor annotation empty", lambda p: annotate(
        p, "container.apparmor.security.beta.kubernetes.io/web", ""), ()),
    Case("appArmorProfile without type", lambda p: csc(p).update(appArmorProfile={}),
         (("K8S-007", BR, ALL),)),
    Case("apparmor annotation runtime/default", lambda p: annotate(
        p, "container.apparmor.security.beta.kubernetes.io/web", "runtime/default"), ()),
    # --- SELinux: container_engine_t from v1.31 -------------------------------------------------
    Case("seLinux type spc_t", lambda p: csc(p).update(seLinuxOptions={"type": "spc_t"}),
         (("K8S-008", BR, ALL),)),
    *(Case(f"seLinux type {t}", lambda p, t=t: psc(p).update(seLinuxOptions={"type": t}), ())
      for t in ("container_t", "container_init_t", "container_kvm_t")),
    Case("seLinux type container_engine_t", lambda p: csc(p).update(
        seLinuxOptions={"type": "container_engine_t"}), (("K8S-008", BR, before(31)),)),
    Case("seLinux user", lambda p: psc(p).update(seLinuxOptions={"user": "system_u"}),
         (("K8S-008", BR, ALL),)),
    Case("seLinux role", lambda p: csc(p).update(seLinuxOptions={"role": "sysadm_r"}),
         (("K8S-008", BR, ALL),)),
    Case("seLinux level only", lambda p: csc(p).update(seLinuxOptions={"level": "s0:c1"}),
         ()),
    # --- /proc mount: Unmasked allowed at baseline with hostUsers: false since v1.35 --------
    Case("procMount Unmasked", lambda p: csc(p).update(procMount="Unmasked"),
         (("K8S-009", BR, ALL), ("K8S-026", R, since(35)))),
    Case("procMount Unmasked, hostUsers false", lambda p: (userns(p), csc(p).update(
        procMount="Unmasked")), (("K8S-009", BR, before(35)), ("K8S-026", R, since(35)))),
    Case("procMount Default", lambda p: csc(p).update(procMount="Default"), ()),
    # --- Seccomp: annotations before v1.19, fields from v1.19 ---------------------------------
    Case("seccomp Unconfined (container)", lambda p: csc(p).update(
        seccompProfile={"type": "Unconfined"}),
        (("K8S-010", BR, since(19)), ("K8S-024", R, since(19)))),
    Case("seccomp Localhost (container)", lambda p: csc(p).update(
        seccompProfile={"type": "Localhost", "localhostProfile": "p.json"}), ()),
    Case("seccomp pod annotation unconfined", lambda p: annotate(
        p, "seccomp.security.alpha.kubernetes.io/pod", "unconfined"),
        (("K8S-010", BR, before(19)),)),
    Case("seccomp container annotation unconfined", lambda p: annotate(
        p, "container.seccomp.security.alpha.kubernetes.io/web", "unconfined"),
        (("K8S-010", BR, before(19)),)),
    Case("seccomp pod annotation empty", lambda p: annotate(
        p, "seccomp.security.alpha.kubernetes.io/pod", ""), (("K8S-010", BR, before(19)),)),
    Case("seccomp annotation docker/default", lambda p: annotate(
        p, "seccomp.security.alpha.kubernetes.io/pod", "docker/default"), ()),
    Case("no seccomp profile", lambda p: psc(p).pop("seccompProfile"),
         (("K8S-024", R, since(19)),)),
    Case("windows, no seccomp profile", lambda p: (windows(p), psc(p).pop("seccompProfile")),
         (("K8S-024", R, range(19, 25)),)),
    Case("windows, seccomp Unconfined", lambda p: (windows(p), psc(p).update(
        seccompProfile={"type": "Unconfined"})),
        (("K8S-010", B, since(19)), ("K8S-010", R, range(19, 25)),
         ("K8S-024", R, range(19, 25)))),
    # --- Sysctls: the safe set grows at v1.27, v1.29, v1.32 and v1.37 -------------------------
    *(Case(f"sysctl {name}", sysctl(name), (("K8S-011", BR, before(v)),) if v else ())
      for name, v in (
          ("kernel.shm_rmid_forced", 0), ("net.ipv4.ip_local_port_range", 0),
          ("net.ipv4.tcp_syncookies", 0), ("net.ipv4.ping_group_range", 0),
          ("net.ipv4.ip_unprivileged_port_start", 0),
          ("net.ipv4.ip_local_reserved_ports", 27), ("net.ipv4.tcp_keepalive_time", 29),
          ("net.ipv4.tcp_fin_timeout", 29), ("net.ipv4.tcp_keepalive_intvl", 29),
          ("net.ipv4.tcp_keepalive_probes", 29), ("net.ipv4.tcp_rmem", 32),
          ("net.ipv4.tcp_wmem", 32), ("net.ipv4.tcp_slow_start_after_idle", 37),
          ("net.ipv4.tcp_notsent_lowat", 37))),
    Case("sysctl kernel.msgmax", sysctl("kernel.msgmax"), (("K8S-011", BR, ALL),)),
    # --- Host probes and lifecycle hooks: host must be unset or "" from v1.34 ----------------
    *(Case(f"{field}.{action}.host", probe_host(kind, field, action, "10.1.2.3"),
           (("K8S-012", BR, since(34)),))
      for kind, field in (("probe", "livenessProbe"), ("probe", "readinessProbe"),
                          ("probe", "startupProbe"), ("lifecycle", "postStart"),
                          ("lifecycle", "preStop"))
      for action in ("httpGet", "tcpSocket")),
    Case("probe host 127.0.0.1", probe_host("probe", "livenessProbe", "httpGet", "127.0.0.1"),
         (("K8S-012", BR, since(34)),)),
    Case("probe host empty", probe_host("probe", "livenessProbe", "httpGet", ""), ()),
    # --- restricted: privilege escalation from v1.8, runAsUser from v1.23 ---------------------
    Case("allowPrivilegeEscalation unset", lambda p: csc(p).pop("allowPrivilegeEscalation"),
         (("K8S-021", R, since(8)),)),
    Case("allowPrivilegeEscalation true", lambda p: csc(p).update(
        allowPrivilegeEscalation=True), (("K8S-021", R, since(8)),)),
    Case("windows, allowPrivilegeEscalation unset", lambda p: (
        windows(p), csc(p).pop("allowPrivilegeEscalation")), (("K8S-021", R, range(8, 25)),)),
    # runAsNonRoot and runAsUser are not checked for hostUsers: false pods since v1.35
    Case("runAsNonRoot unset", lambda p: psc(p).pop("runAsNonRoot"),
         (("K8S-022", R, ALL),)),
    Case("runAsNonRoot false (pod)", lambda p: psc(p).update(runAsNonRoot=False),
         (("K8S-022", R, ALL),)),
    Case("runAsNonRoot false (container, pod true)", lambda p: csc(p).update(
        runAsNonRoot=False), (("K8S-022", R, ALL),)),
    Case("runAsNonRoot unset, hostUsers false", lambda p: (userns(p), psc(p).pop(
        "runAsNonRoot")), (("K8S-022", R, before(35)),)),
    Case("runAsUser 0", lambda p: csc(p).update(runAsUser=0), (("K8S-023", R, since(23)),)),
    Case("runAsUser 0 (pod)", lambda p: psc(p).update(runAsUser=0),
         (("K8S-023", R, since(23)),)),
    Case("runAsUser 0, hostUsers false", lambda p: (userns(p), psc(p).update(runAsUser=0)),
         (("K8S-023", R, range(23, 35)),)),
]
LEVELS = {"baseline": B, "restricted": R}


def expected(case: Case, level: str, version: int) -> set[str]:
    return {rule for rule, levels, versions in case.expect
            if LEVELS[level] in levels and version in versions}


def _doc(case: Case, where: str = "containers") -> dict[str, Any]:
    """The tweaked pod; ``where`` moves the tweaked container to initContainers or
    ephemeralContainers (beside a compliant regular container): PSA checks all three."""
    doc = copy.deepcopy(BASE)
    case.tweak(doc)
    if where != "containers":
        tweaked = spec(doc)["containers"][0]
        spec(doc)[where] = [tweaked]
        spec(doc)["containers"] = [{**copy.deepcopy(BASE["spec"]["containers"][0]),
                                    "name": "app"}]
    return doc


def _refusing(doc: dict[str, Any], level: str, version: str) -> set[str]:
    facts = facts_from_objects([make_object(doc, "gen.yaml", 1)],
                               pss=PssSelection(level, version))
    assert not facts.unknowns
    return {f.rule_id for f in run_checks(PSS_CHECKS, facts).findings}


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
@pytest.mark.parametrize("level", ["baseline", "restricted"])
@pytest.mark.parametrize("where", ["containers", "initContainers", "ephemeralContainers"])
def test_control_refuses_exactly_at_documented_versions(case: Case, level: str,
                                                        where: str) -> None:
    doc = _doc(case, where)
    wrong = {}
    for version in VERSIONS:
        got = _refusing(doc, level, f"v1.{version}")
        if got != expected(case, level, version):
            wrong[f"v1.{version}"] = (sorted(got), sorted(expected(case, level, version)))
    # latest is the newest policy, and a version newer than it is evaluated as it (PSA clamps)
    for version in ("latest", "v1.99"):
        got = _refusing(doc, level, version)
        if got != expected(case, level, NEWEST):
            wrong[version] = (sorted(got), sorted(expected(case, level, NEWEST)))
    assert wrong == {}


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_verdict_and_level_follow_the_same_definition(case: Case) -> None:
    """The admission verdict (``denies``) and the reported level agree with the rules."""
    obj = make_object(_doc(case), "gen.yaml", 1)
    (pod,) = facts_from_objects([obj]).pods
    for version in (*VERSIONS, None):
        v = NEWEST if version is None else version
        for level in ("baseline", "restricted"):
            assert bool(denies(pod, PssPolicy(level, version))) == bool(
                expected(case, level, v)), (level, version)
        meets = ("restricted" if not expected(case, "restricted", v) else
                 "baseline" if not expected(case, "baseline", v) else "privileged")
        assert pss_level(pod, version) == meets, version


def test_every_pss_rule_is_exercised_by_a_bad_pod() -> None:
    fired = {rule for case in CASES for rule, _, _ in case.expect}
    assert fired == {c.rule.id for c in PSS_CHECKS}


def test_the_newest_documented_version_is_latest() -> None:
    """v1.37 added sysctls; nothing is newer: latest and v1.37 are the same policy."""
    doc = _doc(Case("x", sysctl("net.ipv4.tcp_notsent_lowat"), ()))
    assert _refusing(doc, "baseline", "v1.36") == {"K8S-011"}
    assert _refusing(doc, "baseline", "v1.37") == _refusing(doc, "baseline", "latest") == set()
