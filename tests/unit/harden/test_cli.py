"""``ringfence harden`` end to end: container configs, manifests, and the fixture images."""

from __future__ import annotations

import json
from pathlib import Path

import jsonpatch
import pytest
import yaml

from ringfence.cli.main import main
from ringfence.harden.image import image_workload
from ringfence.harden.plan import make_plan

OCI = {"ociVersion": "1.0.2", "process": {"args": ["sh"], "user": {"uid": 0, "gid": 0}},
       "root": {"path": "rootfs"}, "linux": {"resources": {"pids": {"limit": 30}}}}


def test_oci_config_gets_an_rfc6902_patch(tmp_path: Path,
                                          capsys: pytest.CaptureFixture[str]) -> None:
    cfg = tmp_path / "config.json"
    cfg.write_text(json.dumps(OCI))
    assert main(["harden", str(cfg), "-f", "oci", "--port", "443", "--memory", "128m"]) == 0
    captured = capsys.readouterr()
    patched = jsonpatch.apply_patch(OCI, json.loads(captured.out))
    assert patched["linux"]["resources"] == {"pids": {"limit": 30},
                                             "memory": {"limit": 128 << 20}}
    assert patched["process"]["capabilities"]["bounding"] == ["CAP_NET_BIND_SERVICE"]
    assert patched["process"]["user"] == {"uid": 65532, "gid": 65532}
    assert "note: the image runs as root" in captured.err


def test_docker_and_seccomp_formats(tmp_path: Path,
                                    capsys: pytest.CaptureFixture[str]) -> None:
    cfg = tmp_path / "config.json"
    cfg.write_text(json.dumps(OCI))
    assert main(["harden", str(cfg), "-f", "podman", "--user", "1000:1000",
                 "--writable", "/var/lib/x", "--seccomp-path", "/p.json"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("podman run --rm") and "--tmpfs=/var/lib/x:" in out
    assert "--security-opt=seccomp=/p.json" in out and "--user=1000:1000" in out
    assert main(["harden", str(cfg), "-f", "seccomp", "-o", str(tmp_path / "s.json")]) == 0
    assert json.loads((tmp_path / "s.json").read_text())["defaultAction"] == "SCMP_ACT_ERRNO"
    assert main(["harden", str(cfg), "-f", "oci", "--memory", "lots"]) == 2


def test_manifest_is_hardened_with_k8s_only(data_dir: Path,
                                            capsys: pytest.CaptureFixture[str]) -> None:
    manifest = data_dir / "k8s/kubernetes-goat/scenarios/build-code/deployment.yaml"
    assert main(["harden", str(manifest), "-f", "k8s"]) == 0
    docs = list(yaml.safe_load_all(capsys.readouterr().out))
    assert [d["kind"] for d in docs] == ["Deployment", "Service"]
    sc = docs[0]["spec"]["template"]["spec"]["containers"][0]["securityContext"]
    assert sc["readOnlyRootFilesystem"] is True and sc["capabilities"] == {"drop": ["ALL"]}
    assert main(["harden", str(manifest), "-f", "docker"]) == 2


@pytest.mark.images
@pytest.mark.slow
def test_fixture_images(images_dir: Path) -> None:
    # bullseye-big: USER app made by `useradd -m -u 1000 -U`, EXPOSE 22, WORKDIR /home/app
    # (its dotfiles are in the image, so no tmpfs hides them) — bullseye-big.contents.txt
    big = make_plan(image_workload(f"oci:{images_dir}/bullseye-big.oci"))
    assert (big.user, big.uid, big.gid, big.cap_add) == ("app", 1000, 1000,
                                                          ("NET_BIND_SERVICE",))
    assert [t.path for t in big.tmpfs] == ["/run", "/tmp", "/var/tmp"]
    assert any("WorkingDir /home/app stays read-only" in n for n in big.notes)
    # bookworm-min: root, no ports -> 65532 and no capability at all
    small = make_plan(image_workload(f"oci:{images_dir}/bookworm-min.oci"))
    assert (small.uid, small.cap_add) == (65532, ())
