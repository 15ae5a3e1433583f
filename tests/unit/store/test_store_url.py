"""Naming the inventory store: --store, RINGFENCE_STORE, the XDG default; passwords hidden."""

from __future__ import annotations

from pathlib import Path

import pytest

from ringfence.errors import UsageError
from ringfence.respond.record import base_purl, split_sbom_ref
from ringfence.store.url import StoreUrl, resolve


def test_default_env_and_explicit(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("RINGFENCE_STORE", raising=False)
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path))
    assert resolve(None) == StoreUrl("sqlite", str(tmp_path / "ringfence/inventory.sqlite"))
    monkeypatch.setenv("RINGFENCE_STORE", "postgresql:///inv?host=/run/pg")
    assert resolve(None) == StoreUrl("postgresql", "postgresql:///inv?host=/run/pg")
    assert resolve("sqlite:////abs/x.db") == StoreUrl("sqlite", "/abs/x.db")
    assert resolve("sqlite:///rel/x.db") == StoreUrl("sqlite", "rel/x.db")
    assert resolve("postgres://h/db").dialect == "postgresql"


@pytest.mark.parametrize("url", ["sqlite:///", "mysql://h/db", "sqlite://x", "/tmp/x.db"])
def test_bad_urls_are_usage_errors(url: str) -> None:
    with pytest.raises(UsageError):
        resolve(url)


def test_display_hides_the_password() -> None:
    url = resolve("postgresql://rf:s3cret@db.internal:5432/inv")
    assert "s3cret" not in url.display() and "rf:***@db.internal" in url.display()
    assert resolve("postgresql:///inv?host=/s").display() == "postgresql:///inv?host=/s"


def test_sbom_pin_and_base_purl() -> None:
    pin = "sha256:" + "a" * 64
    assert split_sbom_ref(f"sbom:/x/bom.json@{pin}") == ("sbom:/x/bom.json", pin)
    assert split_sbom_ref("sbom:/x/bom.json") == ("sbom:/x/bom.json", None)
    assert split_sbom_ref(f"oci:/x@{pin}") == (f"oci:/x@{pin}", None)  # not an SBOM
    assert split_sbom_ref("sbom:/x@sha256:abc") == ("sbom:/x@sha256:abc", None)  # not a digest
    assert base_purl("pkg:deb/debian/bash@5.2?arch=amd64&distro=debian-12") == \
        "pkg:deb/debian/bash"
    assert base_purl("pkg:npm/%40scope/pkg@1.0.0#sub") == "pkg:npm/%40scope/pkg"
