"""Workload rules (K8S-030…036), each decision alone (bench/mutation.py `workload`): image
references split as the container runtime reads them, the registry allow-list at its
boundaries (a prefix is a path prefix, never a string prefix), resource limits of every
container kind but ephemeral ones, the read-only root only when exactly true, and the
effective automountServiceAccountToken (pod, else its ServiceAccount, else mounted)."""

from __future__ import annotations

import json
from typing import Any

import pytest

from ringfence.checks.engine import run_checks
from ringfence.k8s.facts import K8sFacts, facts_from_objects
from ringfence.k8s.load import load_bytes
from ringfence.k8s.rules.workload import WORKLOAD_CHECKS, split_image

CHECKS = {c.rule.id: c for c in WORKLOAD_CHECKS}
DIGEST = "sha256:" + "ab" * 32


def _facts(*docs: dict[str, Any], registries: tuple[str, ...] = ()) -> K8sFacts:
    loaded = load_bytes("\n---\n".join(json.dumps(d) for d in docs).encode(), "w.yaml")
    assert loaded.unknowns == ()
    return facts_from_objects(loaded.objects, allowed_registries=registries)


def _pod(*containers: dict[str, Any], kind: str = "containers", ns: str = "shop",
         **spec: Any) -> dict[str, Any]:
    return {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p", "namespace": ns},
            "spec": {kind: list(containers), **spec}}


def _c(name: str = "c", image: str = f"registry.invalid/app@{DIGEST}",
       **extra: Any) -> dict[str, Any]:
    return {"name": name, "image": image, **extra}


def _messages(rule_id: str, facts: K8sFacts) -> list[str]:
    run = run_checks([CHECKS[rule_id]], facts)
    return [f.message for f in run.findings]


@pytest.mark.parametrize(("image", "parts"), [
    ("nginx", ("docker.io", "nginx", "", "")),
    ("nginx:1.25", ("docker.io", "nginx", "1.25", "")),
    ("library/nginx:1", ("docker.io", "library/nginx", "1", "")),
    ("acme/app", ("docker.io", "acme/app", "", "")),
    ("registry.invalid/a/b:2", ("registry.invalid", "a/b", "2", "")),
    ("localhost/app", ("localhost", "app", "", "")),
    ("localhost:5000/app:t", ("localhost:5000", "app", "t", "")),
    ("host:5000/team/app@" + DIGEST, ("host:5000", "team/app", "", DIGEST)),
    ("r.invalid/app:1@" + DIGEST, ("r.invalid", "app", "1", DIGEST)),
    ("app:5000", ("docker.io", "app", "5000", "")),
    ("", ("docker.io", "", "", "")),
])
def test_split_image(image: str, parts: tuple[str, str, str, str]) -> None:
    assert split_image(image) == parts


@pytest.mark.parametrize(("image", "fires"), [
    ("app", True), ("app:latest", True), ("r.invalid/app:latest", True), ("", True),
    ("app:1.0", False), (f"app@{DIGEST}", False), (f"app:latest@{DIGEST}", False),
    ("localhost:5000/app", True)])
def test_mutable_tag(image: str, fires: bool) -> None:
    msgs = _messages("K8S-030", _facts(_pod(_c(image=image))))
    assert bool(msgs) is fires
    if fires:
        what = "is tagged :latest" if image.endswith(":latest") else "has no tag"
        assert msgs == [f"Pod/shop/p: spec.containers[c] image {image or '(none)'} {what}"]


@pytest.mark.parametrize(("image", "why"), [
    (f"app@{DIGEST}", None), ("app:1", "is not pinned by digest"),
    ("app@md5:" + "0" * 32, "has a digest of unregistered algorithm md5"),
    (f"app:1@{DIGEST}", None),
    ("app@sha512:" + "ab" * 64, None),
    ("app@sha256:" + "A" * 64, "has a malformed sha256 digest (needs 64 lower-case hex digits)"),
    ("app@sha256:" + "a" * 63, "has a malformed sha256 digest (needs 64 lower-case hex digits)"),
    ("app@sha512:" + "a" * 64,
     "has a malformed sha512 digest (needs 128 lower-case hex digits)"),
    ("app@sha256" + "a" * 64, "has a malformed digest (not OCI algorithm:encoded)"),
    ("app@SHA256:" + "a" * 64, "has a malformed digest (not OCI algorithm:encoded)"),
    ("app@sha256:", "has a malformed digest (not OCI algorithm:encoded)"),
    ("app@sha256+b64u:LCa0a2j_xo_5m0U8HTBBNBNCLXBkg7-g-YpeiGJm564",
     "has a digest of unregistered algorithm sha256+b64u"),
    ("app@multihash+base58:QmRZxt2b1FVZPNqd8hsiykDL3TdBDeTSPX9Kv46HmX4Gx8",
     "has a digest of unregistered algorithm multihash+base58"),
    ("app@sha256..x:" + "a" * 64, "has a malformed digest (not OCI algorithm:encoded)"),
    ("app@sha256:" + "a" * 64 + "/", "has a malformed digest (not OCI algorithm:encoded)"),
])
def test_not_pinned(image: str, why: str | None) -> None:
    """OCI image-spec digest grammar; sha256/sha512 exactly; other algorithms unknown."""
    msgs = _messages("K8S-031", _facts(_pod(_c(image=image))))
    assert msgs == ([] if why is None else [f"Pod/shop/p: spec.containers[c] image {image} "
                                            f"{why}"])


@pytest.mark.parametrize(("allowed", "image", "ok"), [
    ("registry.invalid", "registry.invalid/x:1", True),
    ("registry.invalid", "registry.invalid.evil/x:1", False),
    ("ghcr.io/acme", "ghcr.io/acme/y:2", True),
    ("ghcr.io/acme/", "ghcr.io/acme/y:2", True),
    ("ghcr.io/acme", "ghcr.io/acmeevil/y:2", False),
    ("ghcr.io/acme", "ghcr.io/acme:2", True),
    ("ghcr.io/acme/y", "ghcr.io/acme/yz:1", False),
    ("docker.io", "nginx:1", True),
    ("docker.io", "ghcr.io/nginx:1", False),
    ("ghcr.io", "nginx:1", False),
])
def test_registry_allow_list_boundaries(allowed: str, image: str, ok: bool) -> None:
    facts = _facts(_pod(_c(image=image)), registries=(allowed,))
    msgs = _messages("K8S-032", facts)
    assert (msgs == []) is ok
    if not ok:
        reg = split_image(image)[0]
        assert msgs == [f"Pod/shop/p: spec.containers[c] image {image} is from {reg}, "
                        "not an allowed registry"]


def test_registry_rule_needs_an_allow_list_and_pods() -> None:
    run = run_checks([CHECKS["K8S-032"]], _facts(_pod(_c(image="nginx"))))
    assert "K8S-032" not in run.evaluated
    svc = {"apiVersion": "v1", "kind": "Service", "metadata": {"name": "s", "namespace": "a"}}
    run = run_checks([CHECKS["K8S-032"]], _facts(svc, registries=("r.invalid",)))
    assert "K8S-032" not in run.evaluated
    run = run_checks([CHECKS["K8S-032"]], _facts(_pod(_c(image="nginx")),
                                                  registries=("r.invalid", "docker.io")))
    assert "K8S-032" in run.evaluated and run.findings == ()


@pytest.mark.parametrize(("kind", "rule", "limits", "fires"), [
    ("containers", "K8S-033", {}, True),
    ("containers", "K8S-033", {"cpu": "500m"}, False),
    ("containers", "K8S-033", {"memory": "1Gi"}, True),
    ("initContainers", "K8S-033", {}, True),
    ("ephemeralContainers", "K8S-033", {}, False),
    ("containers", "K8S-034", {"cpu": "1"}, True),
    ("containers", "K8S-034", {"memory": "64Mi"}, False),
    ("initContainers", "K8S-034", {"memory": "64Mi"}, False),
    ("ephemeralContainers", "K8S-034", {}, False),
])
def test_limits(kind: str, rule: str, limits: dict[str, str], fires: bool) -> None:
    container = _c("x", resources={"limits": limits})
    spec = _pod(container, kind=kind)
    if kind != "containers":  # a pod always has its main containers: give them limits
        spec["spec"]["containers"] = [_c("main", resources={"limits": {"cpu": "1",
                                                                        "memory": "1Gi"}})]
    msgs = _messages(rule, _facts(spec))
    word = "cpu" if rule == "K8S-033" else "memory"
    assert msgs == ([f"Pod/shop/p: spec.{kind}[x] has no {word} limit"] if fires else [])


@pytest.mark.parametrize(("value", "fires"), [(True, False), (False, True), (None, True),
                                              ("true", True)])
def test_read_only_root(value: object, fires: bool) -> None:
    sc = {} if value is None else {"readOnlyRootFilesystem": value}
    msgs = _messages("K8S-036", _facts(_pod(_c(securityContext=sc))))
    assert bool(msgs) is fires
    if fires:
        assert msgs == ["Pod/shop/p: spec.containers[c] root filesystem is writable"]


def _sa(name: str, ns: str, automount: bool | None) -> dict[str, Any]:
    doc: dict[str, Any] = {"apiVersion": "v1", "kind": "ServiceAccount",
                           "metadata": {"name": name, "namespace": ns}}
    if automount is not None:
        doc["automountServiceAccountToken"] = automount
    return doc


@pytest.mark.parametrize(("pod_setting", "sa_setting", "sa_ns", "why"), [
    (None, None, "shop", "default"),
    (False, None, "shop", None),
    (True, False, "shop", "pod"),     # the pod's own setting wins
    (None, False, "shop", None),    # unset on the pod: the ServiceAccount's
    (None, True, "shop", "service-account"),
    (None, False, "other", "default"),    # a same-named ServiceAccount elsewhere does not count
    (False, True, "shop", None),
])
def test_automount_token(pod_setting: bool | None, sa_setting: bool | None, sa_ns: str,
                         why: str | None) -> None:
    extra = {} if pod_setting is None else {"automountServiceAccountToken": pod_setting}
    pod = _pod(_c(), serviceAccountName="builder", **extra)
    facts = _facts(pod, _sa("builder", sa_ns, sa_setting))
    check = next(c for c in WORKLOAD_CHECKS if c.rule.id == "K8S-035")
    fired = list(check.func(facts))
    assert [v.condition for v in fired] == ([] if why is None else [why])
    assert all(v.message.startswith("Pod/shop/p: service account token of builder is "
                                    "mounted (") for v in fired)


def test_automount_default_service_account_and_no_pods() -> None:
    msgs = _messages("K8S-035", _facts(_pod(_c())))
    assert len(msgs) == 1 and "token of default is mounted" in msgs[0]
    run = run_checks([CHECKS["K8S-035"]], _facts(_sa("x", "shop", None)))
    assert "K8S-035" not in run.evaluated


def test_rule_metadata() -> None:
    assert [c.rule.id for c in WORKLOAD_CHECKS] == [f"K8S-0{n}" for n in range(30, 37)]
    assert all(c.rule.ring == "platform" and c.rule.threats for c in WORKLOAD_CHECKS)
    assert {c.rule.id: c.rule.severity.name for c in WORKLOAD_CHECKS} == {
        "K8S-030": "MEDIUM", "K8S-031": "LOW", "K8S-032": "HIGH", "K8S-033": "LOW",
        "K8S-034": "MEDIUM", "K8S-035": "MEDIUM", "K8S-036": "LOW"}
