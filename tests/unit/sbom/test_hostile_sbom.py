"""An SBOM from anywhere, with hostile text in every field, goes out in every format: the
machine formats keep each value exactly, the table shows it as inert text, nothing crashes
(a lone surrogate, a NUL, markup, escape sequences, a license the SPDX parser chokes on)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from ringfence.cli.main import main

EVIL = "evil[/] [bold red]x \x1b]0;pwned\x07 \x1b[2J \x00nul \ud800 \udcff"


@pytest.fixture
def sbom(tmp_path: Path) -> Path:
    doc = {"bomFormat": "CycloneDX", "specVersion": "1.6", "components": [
        {"type": "operating-system", "name": "debian", "version": "12", "description": EVIL},
        {"type": "library", "name": EVIL, "version": "1\x1b[2J", "purl": "pkg:npm/evil@1",
         "licenses": [{"license": {"name": EVIL}}, {"expression": "MIT"}]}]}
    path = tmp_path / "evil.cdx.json"
    path.write_text(json.dumps(doc))  # ensure_ascii: the surrogates travel as \\u escapes
    return path


@pytest.mark.parametrize("fmt", ["table", "json", "cyclonedx", "spdx"])
def test_every_format_survives_hostile_text(sbom: Path, fmt: str,
                                            capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["sbom", f"sbom:{sbom}", "-f", fmt]) == 0
    out = capsys.readouterr().out
    out.encode("utf-8")  # writable to a UTF-8 stream
    if fmt == "table":
        assert "evil[/] [bold red]x" in out
        assert not any(c in out for c in "\x1b\x07\x00")
        return
    doc = json.loads(out)
    text = json.dumps(doc)
    if fmt == "json":
        assert [p["name"] for p in doc["packages"]] == [EVIL]  # exact value kept
    else:
        assert json.dumps(EVIL)[1:-1] in text  # the name, escapes and all, is in the SBOM
