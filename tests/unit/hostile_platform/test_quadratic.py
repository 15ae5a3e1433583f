"""Work that grew with the square of the objects (issue 18): environment isolation over
thousands of namespaces, built at test time. Each run is a child process with a generous
timeout as a hang guard only (measured: 12 s before, 0.03 s after for the check itself)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from tests.unit.hostile_platform.cli import run_child


def _namespaces(n: int, selector: Any) -> dict[str, Any]:
    items: list[dict[str, Any]] = []
    for i in range(n):
        ns = f"{'prod' if i % 2 == 0 else 'dev'}-{i}"
        items.append({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": ns}})
        items.append({"apiVersion": "v1", "kind": "Pod",
                      "metadata": {"name": "p", "namespace": ns},
                      "spec": {"nodeSelector": selector(i),
                               "containers": [{"name": "c", "image": "i"}]}})
    return {"apiVersion": "v1", "kind": "List", "items": items}


def test_prod_beside_nonprod_over_5000_namespaces(tmp_path: Path) -> None:
    f = tmp_path / "namespaces.json"
    # every pod pinned to its own pool: no pair is separated by nothing, every pair compared
    doc = _namespaces(5_000, lambda i: {"pool": f"p{i}"})
    doc["items"].append({"apiVersion": "v1", "kind": "Pod",
                         "metadata": {"name": "loose", "namespace": "dev-4999"},
                         "spec": {"containers": [{"name": "c", "image": "i"}]}})
    f.write_text(json.dumps(doc))
    got = run_child("k8s", str(f), "-f", "json")
    assert got.rc == 0 and "Traceback" not in got.err, got.err[-2000:]
    out = got.json()
    assert "K8S-053" in out["evaluated"] and out["unknowns"] == []
    k053 = [f for f in out["findings"] if f["rule"] == "K8S-053"]
    assert len(k053) == 2_500  # every prod pod can land beside the unpinned dev pod
    assert all("Pod/dev-4999/loose" in f["message"] for f in k053)


def test_hostile_selector_keys_are_an_unknown_not_minutes(tmp_path: Path) -> None:
    f = tmp_path / "namespaces.json"
    # each pod selects on a label key of its own: nothing can be indexed
    f.write_text(json.dumps(_namespaces(5_000, lambda i: {f"k{i}": "x", "pool": str(i)})))
    got = run_child("k8s", str(f), "-f", "json", "--strict")
    assert got.rc == 4 and "Traceback" not in got.err, got.err[-2000:]
    out = got.json()
    assert "K8S-053" not in out["evaluated"]
    (unknown,) = [u for u in out["unknowns"] if u["plugin"] == "K8S-053"]
    assert "nodeSelector comparisons" in unknown["reason"]
