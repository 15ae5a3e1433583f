"""Pod Security rules and the control x version table, each decision alone
(bench/mutation.py `pss`): a control revision is in force from its own version on (and not
before), PSA's verdict lists each refusing control with its hits, the highest level honours
the version asked for, and the Namespace rules say what they found where."""

from __future__ import annotations

import json
from typing import Any

from ringfence.k8s.facts import K8sFacts, facts_from_objects
from ringfence.k8s.load import load_bytes
from ringfence.k8s.podview import PodView
from ringfence.k8s.psa import ENFORCE_LABEL, PssPolicy
from ringfence.k8s.pss_table import BY_ID, denies, highest_level, in_force
from ringfence.k8s.rules.pss import NAMESPACE_CHECKS, pss_level


def _facts(*docs: dict[str, Any]) -> K8sFacts:
    loaded = load_bytes("\n---\n".join(json.dumps(d) for d in docs).encode(), "p.yaml")
    return facts_from_objects(loaded.objects)


def _pod(spec: dict[str, Any]) -> PodView:
    base = {"containers": [{"name": "c", "image": "r.invalid/a:1"}]}
    facts = _facts({"apiVersion": "v1", "kind": "Pod",
                    "metadata": {"name": "p", "namespace": "shop"}, "spec": {**base, **spec}})
    return facts.pods[0]


PROBE_HOST = {"containers": [{"name": "c", "image": "r.invalid/a:1", "readinessProbe": {
    "httpGet": {"host": "10.0.0.1", "port": 80}}}]}
KEEPALIVE = {"securityContext": {"sysctls": [{"name": "net.ipv4.tcp_keepalive_time",
                                              "value": "60"}]}}


def test_a_revision_is_in_force_from_its_own_version() -> None:
    control = BY_ID["hostProbesAndHostLifecycle"]
    since = min(r.since for r in control.revisions)
    assert in_force(control, PssPolicy("baseline", since)) is not None
    assert in_force(control, PssPolicy("baseline", since - 1)) is None
    assert in_force(control, PssPolicy("privileged", since)) is None
    pod = _pod(PROBE_HOST)
    assert [c.id for c, _ in denies(pod, PssPolicy("baseline", since))] == [
        "hostProbesAndHostLifecycle"]
    assert denies(pod, PssPolicy("baseline", since - 1)) == []


def test_denies_lists_each_control_with_its_hits() -> None:
    pod = _pod({"hostNetwork": True, **PROBE_HOST})
    verdict = denies(pod, PssPolicy("baseline", None))
    assert [c.id for c, _ in verdict] == ["hostNamespaces", "hostProbesAndHostLifecycle"]
    assert all(found for _, found in verdict)


def test_highest_level_at_a_version() -> None:
    pod = _pod(KEEPALIVE)
    assert highest_level(pod, 28) == "privileged"  # not yet a safe sysctl in v1.28
    assert highest_level(pod) in ("baseline", "restricted") and highest_level(pod) == \
        pss_level(pod)
    assert pss_level(pod, 28) == "privileged"


def _ns(labels: dict[str, str]) -> dict[str, Any]:
    return {"apiVersion": "v1", "kind": "Namespace",
            "metadata": {"name": "team", "labels": labels}}


def test_namespace_rules_say_what_and_where() -> None:
    privileged, unparsable = NAMESPACE_CHECKS
    facts = _facts(_ns({ENFORCE_LABEL: "privileged"}))
    (v,) = privileged.func(facts)
    assert v.message == (f"Namespace/team: {ENFORCE_LABEL}=privileged: Pod Security "
                         "admission refuses no pod in this namespace")
    assert v.location == facts.of_kind("Namespace")[0].location and v.location
    facts = _facts(_ns({ENFORCE_LABEL: "strict"}))
    (v,) = unparsable.func(facts)
    assert v.message.startswith("Namespace/team: ") and v.message.endswith(
        "(PSA enforces restricted:latest instead)")
    assert v.location == facts.of_kind("Namespace")[0].location
    assert list(privileged.func(_facts(_ns({ENFORCE_LABEL: "baseline"})))) == []


def test_a_restricted_override_decides_for_its_baseline_control() -> None:
    sys_admin = {"containers": [{"name": "c", "image": "r.invalid/a:1", "securityContext": {
        "capabilities": {"add": ["SYS_ADMIN"]}}}]}
    windows = _pod({"os": {"name": "windows"}, **sys_admin})
    linux = _pod(sys_admin)
    # restricted's capabilities check exempts Windows pods (v1.25+): PSA never runs the
    # baseline check it overrides, so the added capability does not refuse the pod
    assert [c.id for c, _ in denies(windows, PssPolicy("restricted", None))] == ["runAsNonRoot"]
    # at baseline there is no override; on Linux the override refuses too: both named
    assert [c.id for c, _ in denies(windows, PssPolicy("baseline", None))] == [
        "capabilities_baseline"]
    assert "capabilities_baseline" in [c.id for c, _ in denies(linux, PssPolicy("restricted",
                                                                                None))]
    assert "capabilities_baseline" in [c.id for c, _ in denies(windows, PssPolicy("restricted",
                                                                                  24))]
