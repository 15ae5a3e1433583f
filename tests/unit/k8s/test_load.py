"""The manifest loader: real install bundles, line numbers, List kinds, broken and hostile YAML."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from ringfence.errors import InputError
from ringfence.k8s.load import load_bytes, load_paths

BUNDLES = ("argo-cd", "kube-prometheus", "ingress-nginx", "cert-manager", "calico", "flannel",
           "microservices-demo", "kubernetes-goat")


def _oracle_count(root: Path) -> int:
    """Objects counted by loading each whole file with LibYAML's base loader (every scalar a
    string, no splitting at markers): a different path from ours to the same count."""
    n = 0
    for f in sorted(root.rglob("*")):
        if f.suffix not in (".yaml", ".yml", ".json"):
            continue
        for doc in yaml.load_all(f.read_text(), Loader=yaml.CBaseLoader):
            if isinstance(doc, dict) and doc.get("kind") and doc.get("apiVersion"):
                items = doc.get("items")
                is_list = doc["kind"].endswith("List") and isinstance(items, list)
                n += len(items) if is_list else 1
    return n


@pytest.mark.parametrize("bundle", BUNDLES)
def test_real_bundles_load_completely(data_dir: Path, bundle: str) -> None:
    root = data_dir / "k8s" / bundle
    got = load_paths([root])
    if bundle == "kubernetes-goat":
        # a Helm chart's Chart.yaml and values.yaml sit beside the manifests: not objects
        assert sorted(u.location.rsplit("/", 1)[1] for u in got.unknowns) == [
            "Chart.yaml:1", "values.yaml:5"]
    else:
        assert got.unknowns == ()
    assert len(got.objects) == _oracle_count(root) > 0
    assert all(o.kind and o.api_version and o.line >= 1 for o in got.objects)


def test_kube_prometheus_crd_with_equals_enum_loads(data_dir: Path) -> None:
    # this CRD has `- =` in an enum: YAML 1.1's !!value tag, a plain string to Kubernetes
    f = data_dir / "k8s/kube-prometheus/setup/0alertmanagerConfigCustomResourceDefinition.yaml"
    (crd,) = load_paths([f]).objects
    assert crd.kind == "CustomResourceDefinition" and "- =" in f.read_text()


def test_line_numbers_and_metadata() -> None:
    text = (b"# leading comment\n---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n"
            b"  name: a\n  namespace: ns\n  labels: {app: x, n: 1}\n---\n\n"
            b"apiVersion: apps/v1\nkind: Deployment\nmetadata: {generateName: d-}\n...\n")
    got = load_bytes(text, "m.yaml")
    a, d = got.objects
    assert (a.line, a.ref, a.location, dict(a.labels)) == (3, "ConfigMap/ns/a", "m.yaml:3",
                                                          {"app": "x", "n": "1"})
    assert (d.line, d.name, d.namespace, d.group, d.in_namespace()) == (
        11, "d-", "", "apps", "default")
    with pytest.raises(TypeError):
        a.raw["kind"] = "Secret"  # type: ignore[index]


def test_broken_document_is_an_unknown_and_the_rest_loads() -> None:
    text = (b"apiVersion: v1\nkind: Service\nmetadata: {name: a}\n---\n"
            b"apiVersion: v1\nkind: Pod\nmetadata: {name: {{ .Values.name }}}\n"
            b"---\napiVersion: v1\nkind: Service\nmetadata: {name: c}\n---\n- just\n- a list\n")
    got = load_bytes(text, "t.yaml")
    assert [o.name for o in got.objects] == ["a", "c"]
    assert [u.location for u in got.unknowns] == ["t.yaml:7", "t.yaml:13"]
    assert got.unknowns[0].reason.startswith("YAML does not parse")
    assert "not a mapping" in got.unknowns[1].reason


def test_list_kinds_json_and_typed_items() -> None:
    data = (b'{"apiVersion": "v1", "kind": "PodList", "items": [{"metadata": {"name": "p"}},'
            b'{"kind": "Pod", "apiVersion": "v1", "metadata": {"name": "q"}}]}')
    got = load_bytes(data, "pods.json")
    assert [(o.kind, o.api_version, o.name) for o in got.objects] == [
        ("Pod", "v1", "p"), ("Pod", "v1", "q")]
    got = load_bytes(b"apiVersion: v1\nkind: List\nitems:\n- apiVersion: v1\n  kind: Secret\n"
                     b"  metadata: {name: s}\n- {metadata: {name: t}}\n", "l.yaml")
    assert [o.name for o in got.objects] == ["s"]
    assert [u.reason for u in got.unknowns] == ["List item 1 is not an object with a kind"]


def test_alias_bomb_and_recursive_alias_are_rejected() -> None:
    levels = ["a0: &a0 [x, x, x, x, x, x, x, x, x, x]"]
    levels += [f"a{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * 10) + "]" for i in range(1, 9)]
    bomb = ("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: lol}\ndata:\n"
            + "\n".join("  " + s for s in levels) + "\n").encode()
    got = load_bytes(bomb, "bomb.yaml")
    assert got.objects == () and "alias expansion exceeds" in got.unknowns[0].reason
    loop = b"apiVersion: v1\nkind: ConfigMap\nmetadata: &m {name: x, self: *m}\n"
    assert "YAML" in load_bytes(loop, "loop.yaml").unknowns[0].reason or \
        "recursive" in load_bytes(loop, "loop.yaml").unknowns[0].reason
    ok = b"apiVersion: v1\nkind: ConfigMap\nmetadata: &m {name: x}\ndata: {copy: *m}\n"
    assert load_bytes(ok, "ok.yaml").objects[0].name == "x"


def test_unsafe_tags_are_refused() -> None:
    got = load_bytes(b"apiVersion: v1\nkind: X\nx: !!python/object/apply:os.system [id]\n")
    assert got.objects == () and got.unknowns[0].reason.startswith("YAML does not parse")


def test_missing_paths_and_directories(tmp_path: Path) -> None:
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub/b.yml").write_text("apiVersion: v1\nkind: Namespace\nmetadata: {name: b}\n")
    (tmp_path / "a.json").write_text('{"apiVersion": "v1", "kind": "Namespace"}')
    (tmp_path / "notes.txt").write_text("kind: nothing")
    got = load_paths([tmp_path])
    assert got.files == 2 and [o.source.rsplit("/", 1)[1] for o in got.objects] == [
        "a.json", "b.yml"]
    assert got.unknowns == ()
    with pytest.raises(InputError, match=r"absent\.yaml: no such file or directory"):
        load_paths([tmp_path, tmp_path / "absent.yaml"])
