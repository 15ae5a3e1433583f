"""Hostile manifests and paths given to ``ringfence k8s`` and ``scan --k8s`` (issue 18):
missing paths, nested Lists, deep trees and documents, alias bombs, FIFOs and devices."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest

from tests.unit.hostile_platform.cli import run, run_child
from tests.unit.hostile_platform.trees import make_deep_tree, remove_deep_tree

PRIVILEGED_POD: dict[str, Any] = {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "evil"},
                  "spec": {"containers": [{"name": "c", "image": "i@sha256:" + "0" * 64,
                                           "securityContext": {"privileged": True}}]}}
POD_YAML = (b"apiVersion: v1\nkind: Pod\nmetadata: {name: evil}\nspec:\n  containers:\n"
            b"  - {name: c, image: i, securityContext: {privileged: true}}\n")


def _rules(doc: dict[str, Any]) -> set[str]:
    return {f["rule"] for f in doc["findings"]}


@pytest.mark.parametrize(("command", "options"), [
    (["k8s"], ["--fail-on", "low", "-f", "json"]), (["scan", "--k8s"], ["-f", "json"])])
def test_missing_path_is_exit_3(capsys: pytest.CaptureFixture[str], tmp_path: Path,
                                command: list[str], options: list[str]) -> None:
    missing = str(tmp_path / "no" / "such" / "path")
    got = run(capsys, *command, missing, *options)
    got.assert_clean_error(3, missing)
    assert "no such file or directory" in got.err


@pytest.mark.parametrize("kind", ["fifo", "dev-zero", "unreadable-dir"])
def test_named_path_that_is_not_a_file_is_exit_3(capsys: pytest.CaptureFixture[str],
                                                 tmp_path: Path, kind: str) -> None:
    if kind == "fifo":
        path = tmp_path / "pods.yaml"
        os.mkfifo(path)  # no writer: a blocking open would hang forever
    elif kind == "dev-zero":
        path = Path("/dev/zero")  # an endless stream: must not be read into memory
    else:
        if os.geteuid() == 0:
            pytest.skip("root reads mode-000 directories")
        path = tmp_path / "locked"
        path.mkdir(mode=0)
    got = run(capsys, "k8s", str(path), "-f", "json")
    got.assert_clean_error(3, str(path))


def test_fifo_and_device_links_inside_a_directory_are_unknowns(
        capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    os.mkfifo(tmp_path / "a-fifo.yaml")
    (tmp_path / "b-zero.yaml").symlink_to("/dev/zero")
    (tmp_path / "c-pod.yaml").write_bytes(POD_YAML)
    got = run(capsys, "k8s", str(tmp_path), "-f", "json", "--fail-on", "critical")
    assert got.rc == 1 and "Traceback" not in got.err
    doc = got.json()
    assert "K8S-003" in _rules(doc)
    assert sorted((Path(u["location"]).name, u["reason"]) for u in doc["unknowns"]) == [
        ("a-fifo.yaml", "not a regular file: not read"),
        ("b-zero.yaml", "not a regular file: not read")]


def test_privileged_pod_in_nested_lists_is_found(capsys: pytest.CaptureFixture[str],
                                                 tmp_path: Path) -> None:
    deployment = {"metadata": {"name": "dep"}, "spec": {"template": {
        "spec": PRIVILEGED_POD["spec"]}}}
    doc = {"apiVersion": "v1", "kind": "List", "items": [
        {"apiVersion": "v1", "kind": "List", "items": [
            {"apiVersion": "v1", "kind": "List", "items": [PRIVILEGED_POD]}]},
        {"apiVersion": "apps/v1", "kind": "DeploymentList", "items": [deployment]},
        {"apiVersion": "v1", "kind": "PodList", "items": [
            {k: v for k, v in PRIVILEGED_POD.items() if k != "kind"}]}]}
    f = tmp_path / "lists.json"
    f.write_text(json.dumps(doc))
    got = run(capsys, "k8s", str(f), "-f", "json", "--fail-on", "critical")
    assert got.rc == 1, got.err
    out = got.json()
    assert sorted(w["ref"] for w in out["workloads"]) == [
        "Deployment/dep", "Pod/evil", "Pod/evil"]
    assert {f["location"] for f in out["findings"] if f["rule"] == "K8S-003"} == {
        f"{f}:1"}
    assert out["unknowns"] == []


def test_lists_nested_beyond_the_cap_are_an_unknown(capsys: pytest.CaptureFixture[str],
                                                    tmp_path: Path) -> None:
    doc: dict[str, Any] = PRIVILEGED_POD
    for _ in range(40):
        doc = {"apiVersion": "v1", "kind": "List", "items": [doc]}
    f = tmp_path / "deep-lists.json"
    f.write_text(json.dumps(doc))
    got = run(capsys, "k8s", str(f), "-f", "json")
    assert got.rc == 0 and "Traceback" not in got.err
    (unknown,) = got.json()["unknowns"]
    assert "nested deeper than 32 Lists" in unknown["reason"]


def test_deep_directory_tree_is_walked_without_recursion(
        capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    root = tmp_path / "manifests"
    root.mkdir()
    (root / "top.yaml").write_bytes(POD_YAML)
    make_deep_tree(root, 1800, leaf=("deep.yaml", POD_YAML))  # paths far beyond PATH_MAX
    shallow = root / "d" / "e"
    shallow.mkdir(parents=True)
    (shallow / "near.yaml").write_bytes(POD_YAML.replace(b"evil", b"near"))
    try:
        got = run(capsys, "k8s", str(root), "-f", "json", "--fail-on", "critical")
    finally:
        remove_deep_tree(root / ("d" * 40))
    assert got.rc == 1 and "Traceback" not in got.err
    doc = got.json()
    assert sorted(w["ref"] for w in doc["workloads"]) == ["Pod/evil", "Pod/near"]
    (unknown,) = doc["unknowns"]
    assert unknown["reason"] == "deeper than 256 directory levels: not read"


@pytest.mark.parametrize("form", ["json-array", "yaml-flow", "yaml-block", "json-field"])
def test_deep_documents_are_exit_3(capsys: pytest.CaptureFixture[str], tmp_path: Path,
                                   form: str) -> None:
    n = 10_000
    if form == "json-array":
        text = "[" * n + "]" * n
    elif form == "yaml-flow":
        text = "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x}\ndata: " + "[" * n + \
            "]" * n + "\n"
    elif form == "yaml-block":
        text = "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x}\ndata:\n" + "".join(
            "  " * (i + 1) + "-\n" for i in range(2_000))
    else:  # deep enough for our checks, not for json.loads
        text = ('{"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "x"}, '
                '"data": ' + "[" * 900 + "]" * 900 + "}")
    f = tmp_path / "deep.yaml"
    f.write_text(text)
    got = run(capsys, "k8s", str(f), "-f", "json")
    got.assert_clean_error(3, str(f))
    assert "nested deeper than 256 levels" in got.err


def test_alias_bomb_padded_with_comments_is_rejected_in_bounded_memory(tmp_path: Path) -> None:
    # 10**8 nodes once expanded, from ~600 bytes of YAML; the comments make the file large
    # so that a budget proportional to the text length would let it through
    levels = ["a0: &a0 [x, x, x, x, x, x, x, x, x, x]"]
    levels += [f"a{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * 10) + "]" for i in range(1, 8)]
    bomb = ("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: lol}\ndata:\n"
            + "\n".join("  " + s for s in levels) + "\n")
    padding = ("# " + "x" * 1000 + "\n") * 30_000  # 30 MB of comments
    f = tmp_path / "bomb.yaml"
    f.write_text(padding + bomb + "---\n" + POD_YAML.decode())
    got = run_child("k8s", str(f), "-f", "json", "--fail-on", "critical")
    assert got.rc == 1 and "Traceback" not in got.err, got.err[-2000:]
    doc = got.json()
    assert "K8S-003" in _rules(doc)
    (unknown,) = doc["unknowns"]
    assert "alias expansion exceeds" in unknown["reason"]


def test_alias_chain_deeper_than_the_cap_is_exit_3(capsys: pytest.CaptureFixture[str],
                                                   tmp_path: Path) -> None:
    # each alias adds 100 levels: the expanded tree is deep although no node is
    chain = ["a0: &a0 " + "[" * 100 + "x" + "]" * 100]
    chain += [f"a{i}: &a{i} " + "[" * 100 + f"*a{i - 1}" + "]" * 100 for i in range(1, 4)]
    f = tmp_path / "chain.yaml"
    f.write_text("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\ndata:\n"
                 + "\n".join("  " + s for s in chain) + "\n")
    got = run(capsys, "k8s", str(f), "-f", "json")
    got.assert_clean_error(3, str(f))


def test_oversized_manifest_is_exit_3(capsys: pytest.CaptureFixture[str],
                                      tmp_path: Path) -> None:
    f = tmp_path / "huge.yaml"
    with f.open("wb") as fh:  # sparse: 65 MiB of apparent size, no disk used
        fh.truncate(65 << 20)
    got = run(capsys, "k8s", str(f), "-f", "json")
    got.assert_clean_error(3, str(f))
    assert "larger than" in got.err


@pytest.mark.parametrize("form", ["flow", "compact-block"])
def test_yaml_deep_enough_to_overflow_the_c_stack_is_exit_3(tmp_path: Path, form: str) -> None:
    # LibYAML's composer recurses in C: ~25,000 levels overflowed the stack (SIGSEGV)
    n = 1_000_000 if form == "flow" else 60_000
    body = "[" * n + "]" * n if form == "flow" else "\n  " + "- " * n + "x"
    f = tmp_path / "deep.yaml"
    f.write_text("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x}\ndata: " + body + "\n")
    got = run_child("k8s", str(f), "-f", "json")  # a child: a segfault must not kill pytest
    got.assert_clean_error(3, str(f), "nested deeper than 256 levels")
