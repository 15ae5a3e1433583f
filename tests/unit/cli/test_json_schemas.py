"""Every report command's JSON (`-f json -o FILE`) validates against its published schema
(`ringfence schema NAME`), and rule findings have the same keys everywhere."""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from pathlib import Path

import jsonschema
import pytest

from ringfence.cli.main import main
from ringfence.schemas import SCHEMAS, schema_for

CASES = Path(__file__).parents[2] / "cases"
FINDING_KEYS = {"rule", "severity", "message", "location"}


def _case(rule: str, kind: str = "bad") -> str:
    return str(CASES / rule / kind)


def _case_file(rule: str, name: str) -> str:
    path = CASES / rule / "bad"
    return str(path / name if path.is_dir() else path)


def _policy(tmp: Path) -> str:
    path = tmp / "policy.json"
    path.write_text(json.dumps({"default": [{"type": "insecureAcceptAnything"}]}))
    return str(path)


def _image(tmp: Path) -> str:
    from tests.imagebuilder import Layer, Member, build_oci

    img = build_oci(tmp / "img", [Layer([Member("etc/os-release", b"ID=debian\n"),
                                         Member("usr/bin/su", b"ELF", mode=0o4755)])])
    return f"oci:{img}"


def _db(tmp: Path) -> str:
    osv = {"id": "GHSA-aaaa-bbbb-cccc", "modified": "2026-11-01T00:00:00Z", "affected": [{
        "package": {"ecosystem": "npm", "name": "left-pad"},
        "ranges": [{"type": "SEMVER", "events": [{"introduced": "0"}, {"fixed": "1.3.0"}]}]}]}
    feed = tmp / "osv.json"
    feed.write_text(json.dumps(osv))
    assert main(["db", "import", str(feed), "--db", str(tmp / "db.sqlite")]) == 0
    return str(tmp / "db.sqlite")


def _rootfs(tmp: Path) -> str:
    root = tmp / "rootfs" / "etc"
    root.mkdir(parents=True)
    (root / "os-release").write_text("ID=alpine\n")  # changed against _image
    return str(root.parent)


def _host_root(tmp: Path) -> str:
    root = tmp / "root"
    shutil.copytree(CASES / "HOST-020" / "bad-match", root)
    return str(root)


# (name of the expected schema, argv builder)
COMMANDS: list[tuple[str, Callable[[Path], list[str]]]] = [
    ("k8s", lambda t: ["k8s", _case("K8S-001")]),
    ("runtime", lambda t: ["runtime", _case_file("RT-001", "config.json")]),
    ("netpol-matrix", lambda t: ["netpol", "matrix", _case("K8S-301")]),
    ("rbac-who-can", lambda t: ["rbac", "who-can", "get", "secrets",
                                _case("K8S-201", "bad-wildcard")]),
    ("rbac-paths", lambda t: ["rbac", "paths", _case("K8S-201", "bad-wildcard")]),
    ("policy-lint", lambda t: ["policy", "lint", _case_file("IMG-201", "policy.json")]),
    ("seccomp-lint", lambda t: ["seccomp", "lint", _case_file("RT-201", "profile.json")]),
    ("verify", lambda t: ["verify", _image(t), "--policy", _policy(t)]),
    ("explain", lambda t: ["explain", "K8S-001"]),
    ("image", lambda t: ["image", _image(t), "--no-cache", "--db", _db(t)]),
    ("image", lambda t: ["sbom", _image(t), "--no-cache"]),
    ("host", lambda t: ["host", "--root", _host_root(t)]),
    ("drift", lambda t: ["diff", _image(t), _rootfs(t)]),
    ("depth", lambda t: ["scan", "--k8s", _case("K8S-001"), "--host-root", _host_root(t),
                         "--images-from", "none"]),
    ("db-status", lambda t: ["db", "status", "--db", _db(t)]),
]


@pytest.mark.parametrize(("name", "argv"), COMMANDS,
                         ids=[f"{i}-{c[0]}" for i, c in enumerate(COMMANDS)])
def test_json_output_validates(name: str, argv: Callable[[Path], list[str]],
                               tmp_path: Path) -> None:
    out = tmp_path / "out.json"
    code = main([*argv(tmp_path), "-f", "json", "-o", str(out)])
    assert code in (0, 1), code
    doc = json.loads(out.read_text())
    schema = schema_for(doc)
    assert schema is not None and schema["$id"] == SCHEMAS[name]["$id"]
    jsonschema.Draft202012Validator(schema).validate(doc)
    findings = [*doc.get("findings", ()),
                *(f for w in doc.get("workloads", ()) if isinstance(w, dict)
                  for f in w.get("findings", ()))]
    for finding in findings:
        assert set(finding) == FINDING_KEYS


@pytest.mark.parametrize("name", sorted(SCHEMAS))
def test_schemas_are_valid_and_printed(name: str, capsys: pytest.CaptureFixture[str]) -> None:
    jsonschema.Draft202012Validator.check_schema(SCHEMAS[name])
    assert main(["schema", name]) == 0
    assert json.loads(capsys.readouterr().out) == SCHEMAS[name]


def test_a_wrong_document_does_not_validate() -> None:
    doc = {"schema": "ringfence.k8s/1", "objects": 1, "workloads": [], "evaluated": [],
           "unknowns": [], "findings": [{"rule_id": "K8S-001", "severity": "high",
                                         "message": "m", "location": "l"}]}
    schema = schema_for(doc)
    assert schema is not None
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.Draft202012Validator(schema).validate(doc)


def test_rule_domains_are_one_consistent_list() -> None:
    from ringfence.rules import DOMAINS, all_rules, find_rule

    ids = [r.id for r in all_rules()]
    assert len(ids) == len(set(ids)) == 168  # K8S-107, K8S-112 (issue 16); HOST-101..112 (issue 15)
    for domain in DOMAINS:
        for check in domain.checks:
            assert check.rule.id.startswith(domain.id_prefix), check.rule.id
            assert check.rule.ring == domain.ring, check.rule.id
    found = find_rule("k8s-001")
    assert found is not None and found[1].id == "K8S-001" and find_rule("K8S-999") is None
