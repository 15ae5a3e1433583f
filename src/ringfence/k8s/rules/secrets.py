"""Secrets in manifests: secret-looking literals in container env and ConfigMaps, and
Secrets handed to containers as environment variables instead of mounted files."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Final

from ringfence.checks.rule import Check, Violation
from ringfence.k8s.facts import K8sFacts
from ringfence.k8s.podview import PodView, mapping, seq
from ringfence.k8s.rules.pss import pod_check
from ringfence.model.finding import Rule, Severity

SENSITIVE_NAME: Final = re.compile(
    r"passw|pwd|secret|token|credential|api_?key|access_?key|private_?key"
    r"|_key$|key_content|^key$", re.IGNORECASE)
SECRET_VALUE: Final = re.compile(
    r"-{3,}\s*BEGIN[A-Z ]*PRIVATE KEY"  # PEM / OpenSSH private keys
    r"|\b(AKIA|ASIA)[0-9A-Z]{16}\b"  # AWS access key ids
    r"|\bgh[pousr]_[A-Za-z0-9]{36}\b"  # GitHub tokens
    r"|\bxox[abprs]-[A-Za-z0-9-]{10,}"  # Slack tokens
    r"|\bglpat-[A-Za-z0-9_-]{20}\b")  # GitLab personal access tokens


# a value that names a file, not a secret: /run/secrets/db, ./creds, ~/.ssh/key,
# file:///etc/pw (the *_FILE convention of official images reads the secret from it)
FILE_PATH: Final = re.compile(r"(?:file://)?(?:/|\./|\.\./|~/)[\w.@%+=:,/-]*")


def sensitive(name: str, value: str) -> tuple[str, str] | None:
    """(condition, why) when a literal name/value pair looks like a secret, or None. A
    secret-looking name whose value is a file path is not a literal secret."""
    if SECRET_VALUE.search(value):
        return "value", "value looks like a private key or token"
    if value and SENSITIVE_NAME.search(name.replace("-", "_")) \
            and not FILE_PATH.fullmatch(value.strip()):
        return "name", "name suggests a secret"
    return None


def env_literals(pod: PodView) -> Iterator[tuple[str, str]]:
    for c in pod.containers:
        for e in seq(c.raw.get("env")):
            e = mapping(e)
            value = e.get("value")
            if isinstance(value, str) and (hit := sensitive(str(e.get("name", "")), value)):
                yield hit[0], (f"{c.field_path} env {e.get('name')} holds a literal secret "
                               f"({hit[1]})")


def configmap_literals(facts: K8sFacts) -> Iterator[Violation]:
    for cm in facts.of_kind("ConfigMap"):
        for key, value in mapping(cm.raw.get("data")).items():
            if isinstance(value, str) and (hit := sensitive(str(key), value)):
                yield Violation(f"{cm.ref}: key {key} looks like a secret ({hit[1]})",
                                cm.location, hit[0])


def secrets_as_env(pod: PodView) -> Iterator[tuple[str, str]]:
    for c in pod.containers:
        for e in seq(c.raw.get("env")):
            ref = mapping(mapping(mapping(e).get("valueFrom")).get("secretKeyRef"))
            if ref:
                yield "secret-key-ref", (f"{c.field_path} env {mapping(e).get('name')} comes "
                                         f"from Secret {ref.get('name')}")
        for src in seq(c.raw.get("envFrom")):
            ref = mapping(mapping(src).get("secretRef"))
            if ref:
                yield "env-from", (f"{c.field_path} imports Secret {ref.get('name')} as "
                                   "environment")


def _r(num: int, title: str, severity: Severity, remediation: str,
       threats: tuple[str, ...], refs: tuple[str, ...] = ()) -> Rule:
    return Rule(f"K8S-{num:03d}", title, severity, "platform", remediation, threats, refs)


SECRET_CHECKS: Final[tuple[Check[K8sFacts], ...]] = (
    pod_check(_r(40, "Secret literal in a container environment variable", Severity.HIGH,
                 "Move the value into a Secret and mount it as a file.",
                 ("credential-theft",), ("T1552.007",)), env_literals, ("value", "name")),
    Check(_r(41, "Secret literal in a ConfigMap", Severity.HIGH,
             "Store credentials in Secrets (encrypted at rest), not ConfigMaps.",
             ("credential-theft",), ("T1552.007",)), configmap_literals,
          lambda f: bool(f.of_kind("ConfigMap")), ("value", "name")),
    pod_check(_r(42, "Secret passed as an environment variable", Severity.LOW,
                 "Mount Secrets as files; environment leaks to logs and child processes.",
                 ("credential-theft",), ("CIS Kubernetes 5.4.1",)), secrets_as_env,
              ("secret-key-ref", "env-from")),
)
