"""The admission webhook end to end: `ringfence webhook serve` started for real on 127.0.0.1
with a certificate made here, real AdmissionReview v1 documents over HTTPS (httpx), wrapping
real manifests from shared/data/k8s."""

from __future__ import annotations

import base64
import copy
import json
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml

from ringfence.admission.app import WebhookApp, WebhookConfig
from ringfence.admission.evaluate import Decision, evaluate_pod
from ringfence.admission.manifest import RESOURCES
from ringfence.admission.policy import TrustSettings, loads_policy
from ringfence.admission.review import POD_KINDS, ReviewRequest
from ringfence.admission.server import policy_evaluator, webhook_app
from ringfence.k8s.facts import facts_from_objects
from ringfence.k8s.load import load_bytes, load_paths
from ringfence.k8s.podview import pod_view
from ringfence.k8s.rules.pss import pss_level
from ringfence.trust.policy import loads_policy as loads_trust
from tests.integration.webhook_support import Tls, free_port, make_tls, review, running

POLICY = """\
pss: {enforce: baseline, audit: restricted}
exemptions: {namespaces: [legacy], users: ["system:serviceaccount:ci:deployer"]}
"""
MAX_BODY = 64 * 1024


@pytest.fixture(scope="module")
def tls(tmp_path_factory: pytest.TempPathFactory) -> Tls:
    return make_tls(tmp_path_factory.mktemp("tls"))


@pytest.fixture(scope="module")
def server(tls: Tls, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The real CLI: ``ringfence webhook serve … --fail-closed``."""
    policy = tmp_path_factory.mktemp("policy") / "policy.yaml"
    policy.write_text(POLICY)
    port = free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "ringfence.cli.main", "webhook", "serve", "--tls-cert",
         str(tls.cert), "--tls-key", str(tls.key), "--policy", str(policy), "--fail-closed",
         "--listen", f"127.0.0.1:{port}", "--max-body", str(MAX_BODY)],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    url = f"https://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 20
        while True:
            try:
                if httpx.get(f"{url}/readyz", verify=tls.context()).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"server did not start: {proc.communicate()[1]!r}")
            time.sleep(0.05)
        yield url
    finally:
        proc.terminate()
        proc.wait(10)
        if proc.stdout and proc.stderr:
            proc.stdout.close()
            proc.stderr.close()


@pytest.fixture
def client(tls: Tls) -> Iterator[httpx.Client]:
    with httpx.Client(verify=tls.context(), timeout=10) as c:
        yield c


def _post(client: httpx.Client, url: str, doc: dict[str, Any]) -> dict[str, Any]:
    r = client.post(f"{url}/validate", json=doc)
    assert r.status_code == 200, r.text
    body: dict[str, Any] = r.json()
    assert body["apiVersion"] == "admission.k8s.io/v1" and body["kind"] == "AdmissionReview"
    assert body["response"]["uid"] == doc["request"]["uid"]
    return body["response"]


def _raw(obj: Any) -> dict[str, Any]:
    return copy.deepcopy(dict(obj.raw))


def test_real_workloads_match_the_cli_levels(server: str, client: httpx.Client,
                                             data_dir: Path) -> None:
    """Every workload of kubernetes-goat and kube-prometheus: denied exactly when
    `ringfence k8s` puts it below baseline, with the failing rule ids in the message."""
    loaded = load_paths([data_dir / "k8s" / "kubernetes-goat",
                         data_dir / "k8s" / "kube-prometheus"])
    pods = facts_from_objects(loaded.objects).pods
    assert len(pods) == 19
    outcomes = {"allowed": 0, "denied": 0, "warned": 0}
    for pod in pods:
        resp = _post(client, server, review(_raw(pod.obj), namespace=pod.namespace))
        level = pss_level(pod)
        assert resp["allowed"] is (level != "privileged"), pod.ref
        if not resp["allowed"]:
            outcomes["denied"] += 1
            assert resp["status"]["code"] == 403
            ids = {r.id for r in _failing_baseline(pod)}
            assert ids and all(i in resp["status"]["message"] for i in ids), pod.ref
        else:
            outcomes["allowed"] += 1
            if level == "baseline":  # audit: restricted -> warnings, still allowed
                outcomes["warned"] += 1
                assert any(w.startswith("K8S-02") for w in resp["warnings"]), pod.ref
            else:
                assert "warnings" not in resp
    assert outcomes == {"allowed": 13, "denied": 6, "warned": 9}


def _failing_baseline(pod: Any) -> list[Any]:
    from ringfence.k8s.rules.pss import BASELINE

    return [rule for rule, control in BASELINE if next(control(pod), None) is not None]


def test_deployment_denied_and_cronjob(server: str, client: httpx.Client,
                                       data_dir: Path) -> None:
    goat = data_dir / "k8s" / "kubernetes-goat" / "scenarios"
    docs = yaml.safe_load_all((goat / "health-check" / "deployment.yaml").read_text())
    (dep,) = [d for d in docs if d and d.get("kind") == "Deployment"]
    resp = _post(client, server, review(dep))
    assert resp["allowed"] is False
    assert "K8S-003" in resp["status"]["message"]  # privileged: true in the goat manifest
    assert "Deployment apps/health-check-deployment" in resp["status"]["message"]
    cron = yaml.safe_load((data_dir / "k8s" / "kube-score-testdata" /
                           "cronjob-batchv1.yaml").read_text())
    resp = _post(client, server, review(cron))
    assert resp["allowed"] is True
    assert {w.split(":")[0] for w in resp["warnings"]} == {
        "K8S-021", "K8S-022", "K8S-024", "K8S-025"}
    container = cron["spec"]["jobTemplate"]["spec"]["template"]["spec"]["containers"][0]
    container["securityContext"] = {"privileged": True}
    resp = _post(client, server, review(cron))
    assert resp["allowed"] is False and "K8S-003" in resp["status"]["message"]


def test_exemptions_and_not_evaluated(server: str, client: httpx.Client) -> None:
    pod = {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p"}, "spec": {
        "hostPID": True, "containers": [{"name": "c", "image": "busybox:1.36"}]}}
    assert _post(client, server, review(pod))["allowed"] is False
    assert _post(client, server, review(pod, namespace="legacy"))["allowed"] is True
    assert _post(client, server, review(pod, user="system:serviceaccount:ci:deployer")
                 )["allowed"] is True
    assert _post(client, server, review(pod, operation="DELETE"))["allowed"] is True
    cm = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "x"}, "data": {}}
    assert _post(client, server, review(cm))["allowed"] is True


def test_bad_requests(server: str, client: httpx.Client) -> None:
    r = client.post(f"{server}/validate", content=b'{"apiVersion": "admission.k8s.io/v1",',
                    headers={"content-type": "application/json"})
    assert r.status_code == 400 and "not JSON" in r.json()["message"]
    pod = {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p"},
           "spec": {"containers": [{"name": "c", "image": "x"}]}}
    old = review(pod)
    old["apiVersion"] = "admission.k8s.io/v1beta1"
    r = client.post(f"{server}/validate", json=old)
    assert r.status_code == 400 and "admission.k8s.io/v1beta1" in r.json()["message"]
    no_uid = review(pod)
    del no_uid["request"]["uid"]
    r = client.post(f"{server}/validate", json=no_uid)
    assert r.status_code == 400 and "uid" in r.json()["message"]
    big = review(pod)
    big["request"]["object"]["metadata"]["annotations"] = {"x": "a" * MAX_BODY}
    r = client.post(f"{server}/validate", json=big)
    assert r.status_code == 413 and str(MAX_BODY) in r.json()["message"]

    def chunks() -> Iterator[bytes]:  # no content-length: the cap applies while streaming
        yield b'{"apiVersion": "admission.k8s.io/v1", "x": "'
        for _ in range(MAX_BODY // 1024 + 1):
            yield b"a" * 1024
        yield b'"}'

    r = client.post(f"{server}/validate", content=chunks())
    assert r.status_code == 413


def test_health_endpoints(server: str, client: httpx.Client) -> None:
    assert client.get(f"{server}/livez").json() == {"status": "ok"}
    assert client.get(f"{server}/readyz").status_code == 200
    assert client.get(f"{server}/validate").status_code == 405
    assert client.get(f"{server}/nope").status_code == 404


PRIVILEGED = {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p"}, "spec": {
    "containers": [{"name": "c", "image": "x:1", "securityContext": {"privileged": True}}]}}
COMPLIANT = {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "ok"}, "spec": {
    "containers": [{"name": "c", "image": "x:1"}]}}


def _raising(review: ReviewRequest) -> Decision:
    raise RuntimeError("scan index corrupt")


def _slow(review: ReviewRequest) -> Decision:
    time.sleep(1.0)
    return Decision()


@pytest.mark.parametrize("evaluator, code, text", [
    (_raising, 500, "RuntimeError: scan index corrupt"), (_slow, 504, "timed out")])
@pytest.mark.parametrize("fail_closed", [True, False])
def test_fail_closed_and_open(tls: Tls, evaluator: Any, code: int, text: str,
                              fail_closed: bool) -> None:
    app = WebhookApp(evaluator, WebhookConfig(fail_closed=fail_closed, timeout_seconds=0.2))
    with running(app, tls) as url, httpx.Client(verify=tls.context()) as client:
        resp = _post(client, url, review(COMPLIANT))
        assert client.get(f"{url}/livez").status_code == 200
    assert resp["allowed"] is not fail_closed
    if fail_closed:
        assert resp["status"]["code"] == code and text in resp["status"]["message"]
    else:
        assert text in resp["warnings"][0] and "fail-open" in resp["warnings"][0]


@pytest.mark.parametrize("fail_closed", [True, False])
def test_overload_never_accepts_by_accident(tls: Tls, fail_closed: bool) -> None:
    """One evaluation slot, each evaluation slowed down, 12 concurrent requests: the
    privileged pod is never allowed; overloaded requests are denied (503) when fail-closed
    and answered 429 (the API server's failurePolicy decides) when fail-open."""
    real = policy_evaluator(loads_policy(POLICY))

    def slow_real(review: ReviewRequest) -> Decision | None:
        time.sleep(0.2)
        return real(review)

    app = WebhookApp(slow_real, WebhookConfig(fail_closed=fail_closed, max_concurrency=1))
    results: list[tuple[str, int, dict[str, Any]]] = []
    with running(app, tls) as url, httpx.Client(verify=tls.context(), timeout=10) as client:
        def send(name: str, obj: dict[str, Any]) -> None:
            r = client.post(f"{url}/validate", json=review(obj))
            results.append((name, r.status_code, r.json()))

        threads = [threading.Thread(target=send, args=pair) for pair in
                   [("privileged", PRIVILEGED), ("compliant", COMPLIANT)] * 6]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    assert len(results) == 12
    overloaded = [r for r in results if r[1] == 429 or (
        r[1] == 200 and r[2]["response"].get("status", {}).get("code") == 503)]
    assert overloaded, "12 concurrent requests on one slot must overload"
    for name, status, body in results:
        if status == 429:
            assert not fail_closed
            continue
        assert status == 200
        resp = body["response"]
        if name == "privileged" or resp.get("status", {}).get("code") == 503:
            assert resp["allowed"] is False
            assert fail_closed or resp["status"]["code"] == 403
        else:
            assert resp["allowed"] is True


@pytest.mark.parametrize("fail_closed", [True, False])
def test_manifest_parses_and_is_consistent(tls: Tls, fail_closed: bool) -> None:
    argv = [sys.executable, "-m", "ringfence.cli.main", "webhook", "manifest",
            "--namespace", "ringfence", "--ca-bundle", str(tls.ca), "--image", "reg.invalid/rf:1"]
    out = subprocess.run(argv + (["--fail-closed"] if fail_closed else []), check=True,
                         capture_output=True).stdout
    loaded = load_bytes(out, "manifest.yaml")
    assert loaded.unknowns == ()
    dep, svc, vwc = (o.raw for o in loaded.objects)
    assert [o.kind for o in loaded.objects] == [
        "Deployment", "Service", "ValidatingWebhookConfiguration"]
    container = dep["spec"]["template"]["spec"]["containers"][0]
    assert container["image"] == "reg.invalid/rf:1"
    assert ("--fail-closed" in container["args"]) is fail_closed
    assert svc["spec"]["selector"] == dep["spec"]["selector"]["matchLabels"] == \
        dep["spec"]["template"]["metadata"]["labels"]
    assert svc["spec"]["ports"][0]["targetPort"] == container["ports"][0]["containerPort"]
    listen = container["args"][container["args"].index("--listen") + 1]
    assert listen.endswith(f":{container['ports'][0]['containerPort']}")
    for probe, path in (("readinessProbe", "/readyz"), ("livenessProbe", "/livez")):
        assert container[probe]["httpGet"] == {"path": path, "port": 8443, "scheme": "HTTPS"}
    (hook,) = vwc["webhooks"]
    assert hook["failurePolicy"] == ("Fail" if fail_closed else "Ignore")
    assert hook["sideEffects"] == "None" and hook["admissionReviewVersions"] == ["v1"]
    assert 1 <= hook["timeoutSeconds"] <= 30
    assert hook["clientConfig"]["service"] == {"namespace": "ringfence", "name":
                                               svc["metadata"]["name"], "path": "/validate",
                                               "port": svc["spec"]["ports"][0]["port"]}
    assert base64.b64decode(hook["clientConfig"]["caBundle"]) == tls.ca.read_bytes()
    (expr,) = hook["namespaceSelector"]["matchExpressions"]
    assert expr["operator"] == "NotIn" and set(expr["values"]) == {"ringfence", "kube-system"}
    covered = {(g, r) for rule in hook["rules"] for g in rule["apiGroups"]
               for r in rule["resources"]}
    assert set(RESOURCES) == set(POD_KINDS)
    assert {RESOURCES[k] for k in POD_KINDS} <= covered
    # the webhook's own pod passes the strictest level of its own policy
    pod = pod_view(loaded.objects[0])
    assert pod is not None and pss_level(pod) == "restricted"
    restricted = loads_policy("pss: {enforce: restricted}\nrules: {deny: [K8S-036, K8S-034]}")
    assert evaluate_pod(restricted, pod).allowed


def _recording(threads: list[str]) -> Any:
    real = policy_evaluator(loads_policy(POLICY))

    def evaluate(review: ReviewRequest) -> Decision | None:
        threads.append(threading.current_thread().name)
        return real(review)

    return evaluate


def test_inline_evaluation_on_the_event_loop(tls: Tls) -> None:
    """A policy without signature lookups is evaluated on the event loop (no worker thread)
    with the same answers; a body above ``inline_max_bytes`` still goes to a worker."""
    assert webhook_app(loads_policy(POLICY), WebhookConfig()).inline
    threads: list[str] = []
    app = WebhookApp(_recording(threads), WebhookConfig(fail_closed=True, inline_max_bytes=4096),
                     inline=True)
    big = copy.deepcopy(COMPLIANT)
    big["metadata"]["annotations"] = {"note": "a" * 4096}
    with running(app, tls) as url, httpx.Client(verify=tls.context()) as client:
        denied = _post(client, url, review(PRIVILEGED))
        allowed = _post(client, url, review(COMPLIANT))
        big_allowed = _post(client, url, review(big))
        big_denied = _post(client, url, review({**big, "spec": PRIVILEGED["spec"]}))
    assert denied["allowed"] is False and denied["status"]["code"] == 403
    assert "K8S-003" in denied["status"]["message"]
    assert allowed["allowed"] is True and big_allowed["allowed"] is True
    assert big_denied["allowed"] is False and "K8S-003" in big_denied["status"]["message"]
    assert len(threads) == 4
    assert not any(t.startswith("ringfence-admission") for t in threads[:2]), threads
    assert all(t.startswith("ringfence-admission") for t in threads[2:]), threads


@pytest.mark.parametrize("fail_closed", [True, False])
def test_inline_failure_goes_through_the_fail_mode(tls: Tls, fail_closed: bool) -> None:
    app = WebhookApp(_raising, WebhookConfig(fail_closed=fail_closed), inline=True)
    with running(app, tls) as url, httpx.Client(verify=tls.context()) as client:
        resp = _post(client, url, review(PRIVILEGED))
    assert resp["allowed"] is not fail_closed
    text = "RuntimeError: scan index corrupt"
    if fail_closed:
        assert resp["status"]["code"] == 500 and text in resp["status"]["message"]
    else:
        assert text in resp["warnings"][0] and "fail-open" in resp["warnings"][0]


def test_signature_lookups_keep_the_worker_thread(tls: Tls) -> None:
    """With ``trust`` the policy's evaluation may block on a registry: it runs in a worker
    thread, and the real verifier failing against a closed port on 127.0.0.1 denies
    (fail-closed) with the lookup named."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    trust = TrustSettings(loads_trust('{"default": [{"type": "reject"}]}'), None, 30.0)
    policy = replace(loads_policy(POLICY), trust=trust)
    app = webhook_app(policy, WebhookConfig(fail_closed=True, timeout_seconds=10))
    assert not app.inline
    pod = copy.deepcopy(COMPLIANT)
    pod["spec"]["containers"][0]["image"] = f"127.0.0.1:{port}/app@sha256:{'ab' * 32}"
    with running(app, tls) as url, httpx.Client(verify=tls.context(), timeout=15) as client:
        resp = _post(client, url, review(pod))
    assert resp["allowed"] is False and resp["status"]["code"] == 500
    assert "signature lookup for 127.0.0.1:" in resp["status"]["message"]


def test_every_real_workload_is_evaluated_inline_by_default(data_dir: Path) -> None:
    """All 468 pod-running objects of shared/data/k8s fit under the default inline bound
    (largest: argocd-server, 14 KB), so real reviews never take the worker-thread hop."""
    loaded = load_paths([data_dir / "k8s"])
    workloads = [o for o in loaded.objects if o.kind in POD_KINDS]
    assert len(workloads) == 468
    largest = max(len(json.dumps(review(_raw(o))).encode()) for o in workloads)
    assert 14_000 < largest <= WebhookConfig().inline_max_bytes
