"""SecretsAnalyzer in a real scan of generated images: deleted secrets stay retrievable with
both layers named, skipped files are counted, the allow-list and config scanning."""

from __future__ import annotations

import tarfile
from pathlib import Path

from ringfence.scan import ScanOptions, scan_image
from ringfence.secretscan.allowlist import Allowlist
from ringfence.secretscan.analyzer import SecretsAnalyzer, excluded
from ringfence.secretscan.config import scan_config
from ringfence.secretscan.model import SecretsReport
from tests.imagebuilder import Layer, Member, build_oci
from tests.unit.secretscan.generate import aws_key_id, github, gitlab, private_key_pem


def _scan(img: Path, analyzer: SecretsAnalyzer | None = None) -> tuple[SecretsReport, list[str]]:
    result = scan_image(f"oci:{img}", ScanOptions(analyzers=(analyzer or SecretsAnalyzer(),)))
    assert result.image is not None
    report = result.analysis("secrets")
    assert isinstance(report, SecretsReport)
    return report, [la.diff_id for la in result.image.layers]


def test_deleted_key_is_found_with_both_layers(tmp_path: Path) -> None:
    key = private_key_pem("rsa").encode()
    layers = [Layer([Member("root/.ssh/id_rsa", key, mode=0o600),
                     Member("app/.env", f"GITHUB_TOKEN={github()}\n".encode())]),
              Layer([Member("app/README", b"nothing")]),
              Layer([Member("root/.ssh/.wh.id_rsa"),
                     Member("app/.env", b"GITHUB_TOKEN=\n")])]  # replaced, token gone
    report, diff_ids = _scan(build_oci(tmp_path / "img", layers))
    assert [(h.rule_id, h.location, h.layer, h.deleted_in) for h in report.hits] == [
        ("IMG-104", "/app/.env", diff_ids[0], diff_ids[2]),
        ("IMG-108", "/root/.ssh/id_rsa", diff_ids[0], diff_ids[2])]
    key_hit = report.hits[1]
    assert key_hit.retrievable and key_hit.line == 1
    text = key_hit.describe("Private key")
    assert "added in layer 1" in text and "deleted in layer 3" in text
    assert "still retrievable" in text and key.decode().splitlines()[1] not in text


def test_visible_secret_is_not_marked_retrievable(tmp_path: Path) -> None:
    layers = [Layer([Member("etc/app.conf", f"key = {aws_key_id()}\n".encode())]),
              Layer([Member("etc/other", b"x")])]
    report, diff_ids = _scan(build_oci(tmp_path / "img", layers))
    assert [(h.rule_id, h.line, h.layer, h.retrievable) for h in report.hits] == [
        ("IMG-101", 1, diff_ids[0], False)]


def test_skipped_files_are_counted(tmp_path: Path) -> None:
    token = f"token: {gitlab()}\n".encode()
    layers = [Layer([Member("app/big.txt", token + b"a" * 2000),
                     Member("app/tool", b"\x7fELF\0\0" + token),
                     Member("usr/share/doc/x/README", token),
                     Member("app/logo.png", token),
                     Member("app/ok.yaml", token),
                     Member("app/link", type=tarfile.LNKTYPE, linkname="app/ok.yaml")])]
    report, _ = _scan(build_oci(tmp_path / "img", layers), SecretsAnalyzer(max_bytes=1000))
    assert sorted(h.location for h in report.hits) == ["/app/link", "/app/ok.yaml"]
    assert dict(report.skipped) == {"too-large": 1, "binary": 1, "excluded": 2}
    assert report.scanned == 2


def test_allowlist_suppresses_by_rule_path_and_fingerprint(tmp_path: Path) -> None:
    layers = [Layer([Member("a/one", f"{github()}\n".encode()),
                     Member("b/two", f"{gitlab()}\n".encode()),
                     Member("c/three", f"{aws_key_id()}\n".encode())])]
    img = build_oci(tmp_path / "img", layers)
    everything, _ = _scan(img)
    assert len(everything.hits) == 3
    fp = next(h.fingerprint for h in everything.hits if h.rule_id == "IMG-101")
    allow = Allowlist.parse(f'rules = ["IMG-104"]\npaths = ["/b/*"]\nfingerprints = ["{fp}"]')
    filtered, _ = _scan(img, SecretsAnalyzer(allowlist=allow))
    assert filtered.hits == () and filtered.suppressed == 3


def test_allowlist_rejects_unknown_keys() -> None:
    import pytest

    from ringfence.errors import InputError

    with pytest.raises(InputError, match="unknown keys"):
        Allowlist.parse('rule = ["IMG-101"]')
    with pytest.raises(InputError, match="list of strings"):
        Allowlist.parse('paths = "x"')


def test_config_env_labels_and_history() -> None:
    config = {"config": {"Env": ["PATH=/usr/bin", f"GH_TOKEN={github()}"],
                         "Labels": {"ci.token": gitlab(), "maintainer": "me"}},
              "history": [{"created_by": "/bin/sh -c #(nop) ADD file:abc in /"},
                          {"created_by": f"/bin/sh -c curl -H 'x: {aws_key_id()}' x"},
                          {"empty_layer": True}]}
    hits = scan_config(config)
    assert [(h.source, h.location, h.rule_id) for h in hits] == [
        ("env", "Env[GH_TOKEN]", "IMG-104"), ("label", "Labels[ci.token]", "IMG-105"),
        ("history", "history[1].created_by", "IMG-101")]
    assert all(len(h.redacted) < 20 for h in hits)


def test_excluded_paths() -> None:
    assert excluded("/usr/lib/x86_64-linux-gnu/libc.so.6") and excluded("/a/b.PNG")
    assert excluded("/usr/share/doc/x/copyright") and excluded("/src/.git/config")
    assert not excluded("/etc/ssh/ssh_host_rsa_key") and not excluded("/app/.env")


def test_hardlinks_to_files_only_the_secrets_analyzer_read(tmp_path: Path) -> None:
    """The walk keeps no data of files only this analyzer wanted (issue 12: bounded
    memory): a link to a scanned or binary file is answered from what the state saw of it;
    a link to a file it never read (an excluded path) gets the data by a second read."""
    token = f"token: {gitlab()}\n".encode()
    layers = [Layer([Member("app/ok.yaml", token),
                     Member("app/tool", b"#!/bin/sh\0" + token),
                     Member("usr/share/doc/x/notes", token),
                     Member("app/zz-pad", b"x" * 64),
                     Member("app/link", type=tarfile.LNKTYPE, linkname="app/ok.yaml"),
                     Member("app/tool2", type=tarfile.LNKTYPE, linkname="app/tool"),
                     Member("app/notes", type=tarfile.LNKTYPE,
                            linkname="usr/share/doc/x/notes")])]
    report, _ = _scan(build_oci(tmp_path / "img", layers))
    assert sorted((h.rule_id, h.location, h.line) for h in report.hits) == [
        ("IMG-105", "/app/link", 1), ("IMG-105", "/app/notes", 1),
        ("IMG-105", "/app/ok.yaml", 1)]
    assert dict(report.skipped) == {"binary": 2, "excluded": 1}
    assert report.scanned == 4  # ok.yaml, zz-pad, and the links to ok.yaml and notes
