"""The admission policy file: YAML and JSON forms parse to the same value, relative paths
resolve against the file, and every mistake is an InputError naming the key."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from ringfence.admission.policy import load_policy, loads_policy
from ringfence.errors import InputError
from ringfence.model.finding import Severity

FULL = """\
pss: {enforce: restricted, audit: restricted}
rules: {deny: [K8S-030], warn: [K8S-036]}
registries: [registry.invalid, ghcr.io/acme]
trust: {policy: trust.json, cache_ttl_seconds: 60}
vulnerabilities: {max_severity: medium, reports: scans, unscanned: deny}
exemptions: {namespaces: [kube-system], users: ["system:serviceaccount:ci:deployer"]}
"""
TRUST = {"default": [{"type": "reject"}],
         "transports": {"docker": {"registry.invalid": [{"type": "insecureAcceptAnything"}]}}}


def _write(tmp_path: Path, name: str, text: str) -> Path:
    (tmp_path / "trust.json").write_text(json.dumps(TRUST))
    (tmp_path / "scans").mkdir(exist_ok=True)
    path = tmp_path / name
    path.write_text(text)
    return path


def test_full_policy_yaml_and_json_agree(tmp_path: Path) -> None:
    import yaml

    y = load_policy(_write(tmp_path, "p.yaml", FULL))
    j = load_policy(_write(tmp_path, "p.json", json.dumps(yaml.safe_load(FULL))))
    assert y.enforce == "restricted" and y.deny_rules == ("K8S-030",)
    assert y.warn_rules == ("K8S-036",)
    assert y.registries == ("registry.invalid", "ghcr.io/acme")
    assert y.trust is not None and y.trust.cache_ttl_seconds == 60.0
    assert y.trust.policy.default[0].type == "reject"
    assert y.vulnerabilities is not None
    assert y.vulnerabilities.max_severity is Severity.MEDIUM
    assert y.vulnerabilities.deny_unscanned and y.vulnerabilities.scans.records == {}
    assert y.exempt_namespaces == {"kube-system"}
    for field in ("enforce", "audit", "deny_rules", "warn_rules", "registries",
                  "exempt_namespaces", "exempt_users"):
        assert getattr(y, field) == getattr(j, field)


def test_defaults_are_baseline_with_everything_else_off() -> None:
    p = loads_policy("")
    assert (p.enforce, p.audit, p.registries, p.trust, p.vulnerabilities) == (
        "baseline", "", (), None, None)


@pytest.mark.parametrize("text, needle", [
    ("pss: {enforce: strict}", "pss.enforce: 'strict'"),
    ("pss: {enforse: baseline}", "unknown key 'enforse'"),
    ("registry: [a]", "unknown key 'registry'"),
    ("registries: a", "registries: expected a list"),
    ("rules: {deny: [K8S-999]}", "K8S-999 is not a single-pod workload rule"),
    ("rules: {deny: [K8S-035]}", "K8S-035 is not a single-pod"),  # needs ServiceAccounts
    ("trust: {cache_ttl_seconds: 5}", "trust.policy"),
    ("trust: {policy: missing.json}", "missing.json"),  # the trust loader words the error
    ("vulnerabilities: {max_severity: bad, reports: x}", "max_severity"),
    ("vulnerabilities: {max_severity: high}", "never scans on the request path"),
    ("vulnerabilities: {max_severity: high, reports: nowhere}", "does not exist"),
    ("pss: [", "not YAML or JSON"),
    ("- a", "policy: expected a mapping"),
])
def test_mistakes_are_input_errors(tmp_path: Path, text: str, needle: str) -> None:
    with pytest.raises(InputError) as err:
        load_policy(_write(tmp_path, "p.yaml", text))
    assert needle in str(err.value)
    assert "p.yaml" in str(err.value) or "missing.json" in str(err.value) or \
        "nowhere" in str(err.value)
