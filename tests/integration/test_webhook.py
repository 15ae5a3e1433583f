"""The admission webhook end to end: `ringfence webhook serve` started for real on 127.0.0.1
with a certificate made here, real AdmissionReview v1 documents over HTTPS (httpx), wrapping
real manifests from tests/data/k8s."""

from __future__ import annotations

import base64
import copy
import json
import socket
import ssl
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
from tests.integration.webhook_support import Tls, cli_server, make_tls, review, running

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
    """The real CLI: ``ringfence webhook serve`` with its defaults (fail-closed)."""
    policy = tmp_path_factory.mktemp("policy") / "policy.yaml"
    policy.write_text(POLICY)
    with cli_server(tls, policy, "--max-body", str(MAX_BODY)) as srv:
        yield srv.url


@pytest.fixture
def client(tls: Tls) -> Iterator[httpx.Client]:
    with httpx.Client(verify=tls.context(), timeout=10) as c:
        yield c


def _post(client: httpx.Client, url: str, doc: dict[str, Any]) -> dict[str, Any]:
    r = client.post(f"{url}/validate", json=doc)
    assert r.status_code == 200, r.text
    body: dict[str, Any] = r.json()
    assert body["apiVersion"] == "admission.k8s.io/v1" and body["kind"] == "AdmissionReview"
    response: dict[str, Any] = body["response"]
    assert response["uid"] == doc["request"]["uid"]
    return response


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
    from ringfence.k8s.psa import PssPolicy
    from ringfence.k8s.pss_table import denies
    from ringfence.k8s.rules.pss import RULES

    refused = {control.id for control, _ in denies(pod, PssPolicy("baseline"))}
    return [rule for rule, control in RULES if control.id in refused]


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
    r = client.post(f"{server}/validate", json=big)  # uid at the front: a denying review
    assert r.status_code == 200, r.text
    resp = r.json()["response"]
    assert resp["uid"] == big["request"]["uid"] and resp["allowed"] is False
    assert resp["status"]["code"] == 413 and f"cap of {MAX_BODY} bytes" in \
        resp["status"]["message"] and "--max-body" in resp["status"]["message"]
    no_uid = {"apiVersion": "admission.k8s.io/v1", "kind": "AdmissionReview",
              "request": {"object": big["request"]["object"], "uid": "late"}}
    r = client.post(f"{server}/validate", json=no_uid)  # uid not first: HTTP 413
    assert r.status_code == 413 and str(MAX_BODY) in r.json()["message"]
    bad_object = review(pod)
    bad_object["request"]["object"] = ["not", "an", "object"]
    resp = _post(client, server, bad_object)
    assert resp["allowed"] is False and resp["status"]["code"] == 400

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


PRIVILEGED: dict[str, Any] = {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p"},
                              "spec": {"containers": [{"name": "c", "image": "x:1",
                                                       "securityContext": {"privileged": True}}]}}
COMPLIANT: dict[str, Any] = {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "ok"},
                             "spec": {"containers": [{"name": "c", "image": "x:1"}]}}


def _raising(review: ReviewRequest) -> Decision:
    raise RuntimeError("scan index corrupt")


def _slow(review: ReviewRequest) -> Decision:
    time.sleep(1.0)
    return Decision()


@pytest.mark.parametrize("evaluator, code, text", [
    (_raising, 500, "RuntimeError: scan index corrupt"), (_slow, 504, "deadline")])
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


# admissionregistration.k8s.io/v1 field names (ValidatingWebhookConfiguration and what it
# holds), from the Kubernetes API reference: an unknown or misspelt field is dropped or
# refused by the API server, so every key the manifest writes must be one of these
VWC_FIELDS = {"apiVersion", "kind", "metadata", "webhooks"}
WEBHOOK_FIELDS = {"name", "clientConfig", "rules", "failurePolicy", "matchPolicy",
                  "namespaceSelector", "objectSelector", "sideEffects", "timeoutSeconds",
                  "admissionReviewVersions", "matchConditions"}
CLIENT_FIELDS = {"url", "service", "caBundle"}
SERVICE_REF_FIELDS = {"namespace", "name", "path", "port"}
RULE_FIELDS = {"operations", "apiGroups", "apiVersions", "resources", "scope"}
SELECTOR_FIELDS = {"matchLabels", "matchExpressions"}
REQUIREMENT_FIELDS = {"key", "operator", "values"}


def _manifest(*options: str) -> tuple[list[dict[str, Any]], str]:
    argv = [sys.executable, "-m", "ringfence.cli.main", "webhook", "manifest",
            "--namespace", "ringfence", "--image", "reg.invalid/rf:1", *options]
    done = subprocess.run(argv, check=True, capture_output=True)
    docs = list(yaml.safe_load_all(done.stdout))  # plain YAML, as kubectl reads it
    assert load_bytes(done.stdout, "manifest.yaml").unknowns == ()
    return docs, done.stderr.decode()


def _check_webhook_schema(vwc: dict[str, Any]) -> dict[str, Any]:
    assert vwc["apiVersion"] == "admissionregistration.k8s.io/v1"
    assert vwc["kind"] == "ValidatingWebhookConfiguration" and set(vwc) <= VWC_FIELDS
    (hook,) = vwc["webhooks"]
    assert set(hook) <= WEBHOOK_FIELDS, set(hook) - WEBHOOK_FIELDS
    assert set(hook["clientConfig"]) <= CLIENT_FIELDS
    assert set(hook["clientConfig"]["service"]) <= SERVICE_REF_FIELDS
    for rule in hook["rules"]:
        assert set(rule) <= RULE_FIELDS and rule["scope"] in ("Cluster", "Namespaced", "*")
        assert set(rule["operations"]) <= {"CREATE", "UPDATE", "DELETE", "CONNECT", "*"}
    assert set(hook["namespaceSelector"]) <= SELECTOR_FIELDS
    for req in hook["namespaceSelector"]["matchExpressions"]:
        assert set(req) <= REQUIREMENT_FIELDS
        assert req["operator"] in ("In", "NotIn", "Exists", "DoesNotExist")
    assert hook["failurePolicy"] in ("Fail", "Ignore")
    assert hook["matchPolicy"] in ("Exact", "Equivalent")
    assert hook["sideEffects"] in ("None", "NoneOnDryRun")
    assert isinstance(hook["timeoutSeconds"], int) and 1 <= hook["timeoutSeconds"] <= 30
    return dict(hook)


@pytest.mark.parametrize("fail_open", [False, True])
def test_manifest_is_complete_and_consistent(tls: Tls, fail_open: bool) -> None:
    """Every object the webhook needs, each field checked; fail-closed unless asked, and
    then a loud warning on stderr."""
    docs, stderr = _manifest("--tls-cert", str(tls.cert), "--tls-key", str(tls.key),
                             "--ca-bundle", str(tls.ca), "--timeout-seconds", "10",
                             *(["--fail-open"] if fail_open else []))
    kinds = [d["kind"] for d in docs]
    assert kinds == ["ConfigMap", "Secret", "Service", "Deployment", "PodDisruptionBudget",
                     "ValidatingWebhookConfiguration"]  # apply order: backend first
    cm, secret, svc, dep, pdb, vwc = docs
    assert all(d["metadata"]["namespace"] == "ringfence" for d in docs[:-1])
    hook = _check_webhook_schema(vwc)
    # fail mode: the API server's and the server's agree
    container = dep["spec"]["template"]["spec"]["containers"][0]
    args = container["args"]
    assert hook["failurePolicy"] == ("Ignore" if fail_open else "Fail")
    assert ("--fail-open" in args) is fail_open and ("--fail-closed" in args) is not fail_open
    assert ("WARNING" in stderr and "--fail-open" in stderr) is fail_open
    # the server answers "denied" itself before the API server gives up
    assert hook["timeoutSeconds"] == 10
    assert 0 < float(args[args.index("--timeout") + 1]) < hook["timeoutSeconds"]
    assert hook["sideEffects"] == "None" and hook["admissionReviewVersions"] == ["v1"]
    # TLS: caBundle is the CA; the Secret holds the pair the Deployment mounts
    assert base64.b64decode(hook["clientConfig"]["caBundle"]) == tls.ca.read_bytes()
    assert secret["type"] == "kubernetes.io/tls"
    assert base64.b64decode(secret["data"]["tls.crt"]) == tls.cert.read_bytes()
    assert base64.b64decode(secret["data"]["tls.key"]) == tls.key.read_bytes()
    volumes = {v["name"]: v for v in dep["spec"]["template"]["spec"]["volumes"]}
    assert volumes["tls"]["secret"]["secretName"] == secret["metadata"]["name"]
    assert volumes["policy"]["configMap"]["name"] == cm["metadata"]["name"]
    mounts = {m["name"]: m["mountPath"] for m in container["volumeMounts"]}
    assert args[args.index("--tls-cert") + 1] == f"{mounts['tls']}/tls.crt"
    assert args[args.index("--policy") + 1] == f"{mounts['policy']}/policy.yaml"
    assert loads_policy(cm["data"]["policy.yaml"]).enforce == "baseline"
    # Service <-> Deployment <-> webhook
    assert container["image"] == "reg.invalid/rf:1"
    assert svc["spec"]["selector"] == dep["spec"]["selector"]["matchLabels"] == \
        dep["spec"]["template"]["metadata"]["labels"] == pdb["spec"]["selector"]["matchLabels"]
    assert pdb["spec"]["minAvailable"] == 1 and dep["spec"]["replicas"] == 2
    assert svc["spec"]["ports"][0]["targetPort"] == container["ports"][0]["containerPort"]
    listen = args[args.index("--listen") + 1]
    assert listen.endswith(f":{container['ports'][0]['containerPort']}")
    for probe, path in (("readinessProbe", "/readyz"), ("livenessProbe", "/livez")):
        assert container[probe]["httpGet"] == {"path": path, "port": 8443, "scheme": "HTTPS"}
    assert hook["clientConfig"]["service"] == {"namespace": "ringfence", "name":
                                               svc["metadata"]["name"], "path": "/validate",
                                               "port": svc["spec"]["ports"][0]["port"]}
    # it cannot lock itself (or the control plane) out
    (expr,) = hook["namespaceSelector"]["matchExpressions"]
    assert expr == {"key": "kubernetes.io/metadata.name", "operator": "NotIn",
                    "values": ["kube-system", "ringfence"]}
    covered = {(g, r) for rule in hook["rules"] for g in rule["apiGroups"]
               for r in rule["resources"]}
    assert set(RESOURCES) == set(POD_KINDS)
    assert {RESOURCES[k] for k in POD_KINDS} | {("", "pods/ephemeralcontainers")} <= covered
    # the webhook's own pod passes the strictest level of its own policy
    pod = pod_view(load_bytes(yaml.safe_dump(dep).encode(), "dep.yaml").objects[0])
    assert pod is not None and pss_level(pod) == "restricted"
    restricted = loads_policy("pss: {enforce: restricted}\nrules: {deny: [K8S-036, K8S-034]}")
    assert evaluate_pod(restricted, pod).allowed


def test_generated_tls_is_what_the_api_server_would_trust(tmp_path: Path) -> None:
    """``--generate-tls``: the Secret's pair served by the real server completes a TLS
    handshake verified by the caBundle alone for ``ringfence-webhook.ringfence.svc`` (the
    name the API server dials), and openssl agrees."""
    docs, stderr = _manifest("--generate-tls")
    secret = next(d for d in docs if d["kind"] == "Secret")
    hook = _check_webhook_schema(docs[-1])
    assert hook["failurePolicy"] == "Fail" and "WARNING" not in stderr
    assert "private key" in stderr
    tls = Tls(tmp_path / "ca.pem", tmp_path / "tls.crt", tmp_path / "tls.key")
    tls.ca.write_bytes(base64.b64decode(hook["clientConfig"]["caBundle"]))
    tls.cert.write_bytes(base64.b64decode(secret["data"]["tls.crt"]))
    tls.key.write_bytes(base64.b64decode(secret["data"]["tls.key"]))
    host = "ringfence-webhook.ringfence.svc"
    verify = subprocess.run(["openssl", "verify", "-CAfile", str(tls.ca), "-purpose",
                             "sslserver", "-verify_hostname", host, str(tls.cert)],
                            capture_output=True, text=True)
    assert verify.returncode == 0, verify.stdout + verify.stderr
    app = webhook_app(loads_policy(POLICY), WebhookConfig())
    with running(app, tls) as url:
        port = int(url.rsplit(":", 1)[1])
        ctx = ssl.create_default_context(cafile=str(tls.ca))
        with socket.create_connection(("127.0.0.1", port), timeout=10) as raw, \
                ctx.wrap_socket(raw, server_hostname=host) as conn:
            conn.sendall(b"GET /livez HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
            answer = b""
            while chunk := conn.recv(4096):
                answer += chunk
    assert answer.startswith(b"HTTP/1.1 200") and b'"ok"' in answer


@pytest.mark.parametrize("options, code, text", [
    ((), 2, "caBundle"),
    (("--tls-cert", "{cert}"), 2, "give both"),
    (("--generate-tls", "--ca-bundle", "{ca}"), 2, "--generate-tls"),
    (("--namespace", "other", "--tls-cert", "{cert}", "--tls-key", "{key}", "--ca-bundle",
      "{ca}"), 3, "ringfence-webhook.other.svc"),
    (("--tls-cert", "{cert}", "--tls-key", "{ca_key}", "--ca-bundle", "{ca}"), 3,
     "does not belong"),
])
def test_manifest_refuses_what_the_api_server_would_not_trust(
        tls: Tls, tmp_path: Path, options: tuple[str, ...], code: int, text: str) -> None:
    """No caBundle, or a pair the API server would refuse (wrong service name, wrong key):
    refused before any manifest is written (with Fail, it would deny every pod)."""
    other = make_tls(tmp_path)
    paths = {"cert": tls.cert, "key": tls.key, "ca": tls.ca, "ca_key": other.key}
    argv = [sys.executable, "-m", "ringfence.cli.main", "webhook", "manifest",
            *(["--namespace", "ringfence"] if "--namespace" not in options else []),
            *(o.format(**{k: str(v) for k, v in paths.items()}) for o in options)]
    done = subprocess.run(argv, capture_output=True, text=True)
    assert done.returncode == code, done.stderr
    assert done.stdout == "" and text in done.stderr and "Traceback" not in done.stderr


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
    """All 468 pod-running objects of tests/data/k8s fit under the default inline bound
    (largest: argocd-server, 14 KB), so real reviews never take the worker-thread hop."""
    loaded = load_paths([data_dir / "k8s"])
    workloads = [o for o in loaded.objects if o.kind in POD_KINDS]
    assert len(workloads) == 468
    largest = max(len(json.dumps(review(_raw(o))).encode()) for o in workloads)
    assert 14_000 < largest <= WebhookConfig().inline_max_bytes


def _containers(count: int, env_bytes: int = 0, privileged: bool = True
                ) -> list[dict[str, Any]]:
    env = [{"name": f"PAD_{i}", "value": "x" * 1000} for i in range(env_bytes // 1024)]
    sc = {"privileged": True} if privileged else {}
    return [{"name": f"c{i:05d}", "image": "registry.example/app:1", "securityContext": sc,
             **({"env": env} if env else {})} for i in range(count)]


def _pod(name: str, spec: dict[str, Any], kind: str = "Pod") -> dict[str, Any]:
    if kind == "Pod":
        return {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": name}, "spec": spec}
    return {"apiVersion": "apps/v1", "kind": kind, "metadata": {"name": name}, "spec": {
        "selector": {"matchLabels": {"app": name}},
        "template": {"metadata": {"labels": {"app": name}}, "spec": spec}}}


def _oversized() -> list[tuple[str, dict[str, Any]]]:
    """Eight privileged pods of ~1.5 MiB each (under the 3 MiB body cap, so they are parsed):
    four of 21,000 minimal containers (the costliest shape per byte to evaluate: ~0.5 s
    each; over the container cap), four of two containers with ~750 KiB of env each (over
    the pod spec cap), as Pods and Deployments."""
    many = {"containers": [{"name": f"c{i}", "image": "x", "securityContext": {
        "privileged": True}} for i in range(21_000)]}
    fat = {"initContainers": _containers(1, 750 << 10), "containers": _containers(1, 750 << 10)}
    out = []
    for i in range(4):
        kind = "Pod" if i % 2 else "Deployment"
        out += [(f"many-{i}", _pod(f"many-{i}", many, kind)),
                (f"fat-{i}", _pod(f"fat-{i}", fat, kind))]
    return out


@pytest.mark.parametrize("fail_mode", [(), ("--fail-open",)], ids=["default", "fail-open"])
def test_concurrent_oversized_privileged_pods_never_pass(
        tls: Tls, tmp_path: Path, fail_mode: tuple[str, ...]) -> None:
    """The issue's attack, against the real CLI server: eight ~1.5 MiB privileged pods sent
    at once with small privileged and small valid pods. No privileged pod is allowed, the
    oversized ones are denied naming the cap (in fail-open mode too: a cap is policy), and
    every small valid pod is answered "allowed" within the server's deadline (the client's
    timeout)."""
    deadline = 3.0
    policy = tmp_path / "policy.yaml"
    policy.write_text(POLICY)
    big = [(name, json.dumps(review(obj)).encode()) for name, obj in _oversized()]
    assert all(1.4 * 2**20 < len(body) < 1.7 * 2**20 for _, body in big)
    small = [(f"{kind}-{i}", json.dumps(review(obj)).encode())
             for i in range(4) for kind, obj in (("privileged", PRIVILEGED),
                                                 ("valid", COMPLIANT))]
    requests = big + small
    answers: dict[str, tuple[int, dict[str, Any]] | Exception] = {}
    barrier = threading.Barrier(len(requests), timeout=30)
    with cli_server(tls, policy, "--timeout", str(deadline), *fail_mode) as srv:
        def send(name: str, body: bytes) -> None:
            try:
                with httpx.Client(verify=tls.context(), timeout=deadline) as client:
                    client.get(f"{srv.url}/livez")  # connected before the burst
                    barrier.wait()
                    r = client.post(f"{srv.url}/validate", content=body,
                                    headers={"content-type": "application/json"})
                    answers[name] = (r.status_code, r.json())
            except (httpx.HTTPError, threading.BrokenBarrierError) as exc:
                answers[name] = exc
                barrier.abort()

        threads = [threading.Thread(target=send, args=pair) for pair in requests]
        for t in threads:
            t.start()
        for t in threads:
            t.join(30)
    assert ("FAIL-OPEN" in srv.stderr) is bool(fail_mode)
    assert set(answers) == {name for name, _ in requests}
    for name, answer in answers.items():
        assert not isinstance(answer, Exception), f"{name}: {answer!r}"
        status, doc = answer
        assert status == 200, (name, doc)
        resp = doc["response"]
        if name.startswith("valid"):
            assert resp["allowed"] is True, (name, resp)
            continue
        assert resp["allowed"] is False, (name, resp)  # privileged: never allowed
        message = resp["status"]["message"]
        if name.startswith("many"):
            assert resp["status"]["code"] == 413 and "21000 containers" in message
            assert "--max-containers" in message and "cap of 128" in message
        elif name.startswith("fat"):
            assert resp["status"]["code"] == 413 and "--max-pod-bytes" in message
            assert f"cap of {1 << 20} bytes" in message
        else:
            assert resp["status"]["code"] == 403 and "K8S-003" in message
