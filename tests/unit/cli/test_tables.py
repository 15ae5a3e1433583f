"""Human tables of the commands: one findings layout (total, grouped by severity, fix),
at most the terminal's width, untrusted text shown as data (no escapes, no markup)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from ringfence.cli.main import main
from ringfence.report.findings_table import render_findings, total_line

HOSTILE = "evil\x1b]0;pwned\x07\x1b[2J[/][bold red]x\u202e" + "-very-long" * 20


def _manifest(tmp_path: Path) -> Path:
    pod = {"apiVersion": "v1", "kind": "Pod",
           "metadata": {"name": HOSTILE, "namespace": "default"},
           "spec": {"containers": [{"name": HOSTILE, "image": "nginx:1.27",
                                    "securityContext": {"privileged": True}}]}}
    path = tmp_path / "pod.json"
    path.write_text(json.dumps(pod))
    return path


@pytest.mark.parametrize("width", [80, 120])
def test_k8s_table_fits_and_shows_untrusted_text_as_data(
        width: int, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("COLUMNS", str(width))
    assert main(["k8s", str(_manifest(tmp_path)), "-f", "table", "--fail-on", "high"]) == 1
    out = capsys.readouterr().out
    assert "\x1b" not in out and "\x07" not in out and "\u202e" not in out
    assert "[/][bold red]x" in out  # literal, not interpreted
    findings_part = out[out.index("Total:"):]
    assert max(len(line) for line in findings_part.splitlines()) <= width
    assert "CRITICAL (" in out and "fix: " in out
    assert out.index("CRITICAL (") < out.index("LOW (")  # most severe first


def test_total_line_counts_every_severity() -> None:
    findings = [{"severity": s} for s in ("critical", "high", "high", "low", "unknown")]
    assert total_line(findings) == "Total: 5 (CRITICAL 1, HIGH 2, MEDIUM 0, LOW 1, UNKNOWN 1)"


def test_render_findings_groups_and_names_unknowns() -> None:
    findings = [{"rule": "K8S-002", "severity": "high", "message": "m2", "location": "b"},
                {"rule": "K8S-001", "severity": "critical", "message": "m1", "location": "a"}]
    unknowns = [{"location": "x.yaml", "reason": "not YAML", "plugin": "k8s", "layer": None}]
    lines = render_findings(findings, unknowns, remediation={"K8S-001": "do this"}, width=80)
    text = "\n".join(lines)
    assert text.index("K8S-001") < text.index("K8S-002")
    assert "fix: do this" in text and "x.yaml: not YAML" in text
    assert "UNKNOWN: 1 input(s)" in text


def test_image_table_lists_packages_only_when_asked(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from tests.imagebuilder import Layer, Member, build_oci

    status = (b"Package: zlib1g\nStatus: install ok installed\nVersion: 1:1.2.13\n"
              b"Architecture: amd64\n\n")
    img = build_oci(tmp_path / "img", [Layer([
        Member("etc/os-release", b"ID=debian\nVERSION_ID=\"12\"\n"),
        Member("var/lib/dpkg/status", status)])])
    base = ["image", f"oci:{img}", "--no-cache", "--scanners", "config", "-f", "table"]
    assert main(base) == 0
    out = capsys.readouterr().out
    assert "1 packages" in out and "zlib1g" not in out
    assert main([*base, "--list-packages"]) == 0
    assert "zlib1g" in capsys.readouterr().out
