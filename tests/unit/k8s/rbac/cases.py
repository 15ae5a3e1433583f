"""Loader for tests/cases/K8S-2NN: a directory of manifests becomes RbacFacts."""

from __future__ import annotations

from pathlib import Path

from ringfence.k8s.rbac.facts import RbacFacts, gather_paths


def rbac_case(path: Path) -> RbacFacts:
    facts = gather_paths([path])
    assert not facts.unknowns, facts.unknowns
    return facts
