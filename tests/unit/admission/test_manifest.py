"""Manifest options that the CLI end-to-end tests do not cover one by one."""

from __future__ import annotations

import pytest

from ringfence.admission.manifest import ManifestOptions, manifests, server_deadline, warnings
from ringfence.admission.tls import TlsMaterial, generate_tls


@pytest.mark.parametrize("timeout", range(1, 31))
def test_server_deadline_is_inside_the_api_server_timeout(timeout: int) -> None:
    deadline = server_deadline(timeout)
    assert 0 < deadline < timeout and timeout - deadline <= 2


def _hook(opts: ManifestOptions) -> dict[str, object]:
    vwc = manifests(opts)[-1]
    assert vwc["kind"] == "ValidatingWebhookConfiguration"
    hook: dict[str, object] = vwc["webhooks"][0]
    return hook


def test_ca_bundle_only_leaves_the_secret_to_the_user() -> None:
    tls = generate_tls("ringfence-webhook", "sec")
    opts = ManifestOptions("sec", TlsMaterial(tls.ca))
    kinds = [o["kind"] for o in manifests(opts)]
    assert "Secret" not in kinds and kinds[-1] == "ValidatingWebhookConfiguration"
    assert _hook(opts)["failurePolicy"] == "Fail"
    (note,) = warnings(opts)
    assert "create Secret ringfence-webhook-tls" in note


def test_fail_open_and_one_replica_are_warned_about() -> None:
    opts = ManifestOptions("sec", generate_tls("ringfence-webhook", "sec"), fail_open=True,
                           replicas=1)
    assert _hook(opts)["failurePolicy"] == "Ignore"
    kinds = [o["kind"] for o in manifests(opts)]
    assert "PodDisruptionBudget" not in kinds  # minAvailable 1 of 1 would block every drain
    text = "\n".join(warnings(opts))
    assert text.startswith("WARNING: --fail-open") and "ADMITS" in text
    assert "private key" in text and "one replica" in text
    deployment = next(o for o in manifests(opts) if o["kind"] == "Deployment")
    args = deployment["spec"]["template"]["spec"]["containers"][0]["args"]
    assert "--fail-open" in args and "--fail-closed" not in args
