"""Loader for tests/cases/K8S-*: a manifest file, or a directory of manifests with an
optional allowed-registries.txt (one registry or registry/path prefix per line)."""

from __future__ import annotations

from pathlib import Path

from ringfence.k8s.facts import K8sFacts, gather_manifests


def k8s_case(path: Path) -> K8sFacts:
    allow = path / "allowed-registries.txt"
    registries = allow.read_text().split() if allow.is_file() else []
    facts = gather_manifests([path], registries)
    assert not facts.unknowns, facts.unknowns
    return facts
