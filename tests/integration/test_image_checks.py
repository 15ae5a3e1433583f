"""Image-config and secret rules on the real fixture images (build-images.sh)."""

from __future__ import annotations

from pathlib import Path

import pytest

from ringfence.image_checks import analyzers_for, check_image
from ringfence.model.result import ScanResult
from ringfence.scan import ScanOptions, scan_image
from ringfence.secretscan.model import SecretsReport

pytestmark = [pytest.mark.images, pytest.mark.slow]

HOST_KEYS = ["/etc/ssh/ssh_host_ecdsa_key", "/etc/ssh/ssh_host_ed25519_key",
             "/etc/ssh/ssh_host_rsa_key"]


def _scan(images: Path, name: str) -> ScanResult:
    return scan_image(f"oci:{images}/{name}.oci",
                      ScanOptions(analyzers=analyzers_for(("secret", "config"))))


def _by_rule(result: ScanResult) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for f in check_image(result).findings:
        out.setdefault(f.rule_id, []).append(f.location)
    return out


def test_bullseye_big(images_dir: Path) -> None:
    result = _scan(images_dir, "bullseye-big")
    found = _by_rule(result)
    assert sorted(found["IMG-008"]) == HOST_KEYS  # SSH host private keys baked in
    assert found["IMG-007"] == ["package:openssh-server"]
    assert found["IMG-012"] == ["config.ExposedPorts[22/tcp]"]  # EXPOSE 22
    assert "IMG-001" not in found  # User app
    # the host keys are also private keys to the secret scanner, and the only secrets
    assert sorted(found["IMG-108"]) == HOST_KEYS
    assert {r for r in found if r.startswith("IMG-1")} == {"IMG-108"}
    report = result.analysis("secrets")
    assert isinstance(report, SecretsReport)
    assert report.scanned > 1000 and report.skipped_count("binary") > 100
    # 15 setuid/setgid programs of Debian's base and openssh packages, none deleted
    assert len(found["IMG-004"]) == 15 and "/usr/lib/openssh/ssh-keysign" in found["IMG-004"]
    assert "IMG-009" not in found  # the RUN removed /var/lib/apt/lists/*


def test_bookworm_min_runs_as_root(images_dir: Path) -> None:
    found = _by_rule(_scan(images_dir, "bookworm-min"))
    assert found["IMG-001"] == ["config.User"]
    assert "IMG-007" not in found and "IMG-008" not in found
    assert not [r for r in found if r.startswith("IMG-1")]
