"""Untrusted text is data (ARCHITECTURE F10): rich markup, emoji codes and terminal escape
sequences in package names, paths, os-release, SBOM fields, manifests and messages are shown
literally in every text report and never reach the terminal as control characters.

Inputs are built at test time: a ScanResult with hostile strings everywhere, a CycloneDX
file read back through ``sbom:``, a ``dir:`` root and a host root whose os-release holds
them, and a pod manifest for the depth table and HTML report.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from ringfence.cli.main import main
from ringfence.host.summary import audit_host
from ringfence.model.advisory import VulnerabilityMatch
from ringfence.model.finding import Finding, Severity
from ringfence.model.inventory import Distro, Inventory
from ringfence.model.package import Location, Package
from ringfence.model.result import DbInfo, ScanResult, Target
from ringfence.model.unknown import Unknown
from ringfence.report.host_table import render_host_table
from ringfence.report.table import TableRenderer
from ringfence.report.text import cell, finish, markup, plain

OSC = "\x1b]0;pwned\x07"          # set the window title
CLEAR = "\x1b[2J"                 # clear the screen
C1_CSI = "\x9b31m"                # 8-bit CSI
MARKUP = ("evil[/]", "[bold red]x", "[link=https://evil.example]y[/link]")
EVIL = f"evil[/] [bold red]x {OSC} {CLEAR} [link=https://evil.example]y[/link] {C1_CSI}:smile:"
LAYER = "sha256:" + "ab" * 32
SGR = re.compile("\x1b\\[[0-9;]*m")


def assert_safe(out: str, *, color: bool = False) -> None:
    """No control sequence but (with colour) rich's own SGR colours; the input visible."""
    text = SGR.sub("", out) if color else out
    for bad in ("\x1b", "\x07", "\x9b", "\r", "\b"):
        assert bad not in text, f"{bad!r} reached the output"
    for literal in MARKUP:
        assert literal in out, f"{literal!r} not shown literally"
    assert ":smile:" in out and "😄" not in out  # no emoji substitution either


def _result() -> ScanResult:
    path = f"/opt/{EVIL}/site-packages/METADATA"
    pkg = Package(EVIL, f"1.0{CLEAR}", "pypi", "pkg:pypi/evil@1.0", "python",
                  source_name=f"src{OSC}[/]", source_version="2",
                  locations=(Location(path, LAYER),))
    deleted = Package(f"gone[/]{OSC}", "1", "deb", "pkg:deb/gone@1", "dpkg",
                      locations=(Location(path, LAYER),), deleted=True)
    match = VulnerabilityMatch(f"CVE-2099-1{OSC}", (), pkg.purl, EVIL, "1.0", (f"1.1{CLEAR}",),
                               "fixed", Severity.CRITICAL, 9.8, None, "osv", "by purl",
                               path, LAYER, f"summary {EVIL}")
    finding = Finding("IMG-104", f"GitHub token in {EVIL}", path, Severity.HIGH)
    unknown = Unknown(path, f"parser failed: {EVIL}", "python", LAYER)
    provenance: dict[str, Any] = {
        "allow_list": {"state": "not configured", "registry": None},
        "oci": {"org.opencontainers.image.source": {"value": EVIL, "from": "annotation"}},
        "history": [{"layer": 1, "empty_layer": False, "created": "2026", "author": EVIL,
                     "created_by": f"RUN {EVIL}", "comment": ""}],
        "attestations": [], "policy": None, "notes": [f"note {EVIL}"]}
    return ScanResult(Target("image", f"oci:{EVIL}"),
                      Inventory((pkg,), Distro("debian", pretty_name=EVIL), (unknown,),
                                (deleted,)),
                      findings=(finding,), vulnerabilities=(match,),
                      db=DbInfo(f"/db{OSC}", 1, "2026", "2026", 1.0),
                      analyses=(("provenance", provenance),))


@pytest.mark.parametrize("width", [80, 120])
def test_image_table_shows_hostile_strings_as_data(width: int) -> None:
    out = TableRenderer(width=width).render(_result())
    assert_safe(out)
    assert "pwned" in out  # the text itself is kept, only the control characters go


def test_image_table_in_colour_keeps_only_its_own_colours() -> None:
    out = TableRenderer(width=100, color=True).render(_result())
    assert SGR.search(out), "colour was asked for"
    assert_safe(out, color=True)


def test_helpers() -> None:
    assert plain(f"a{OSC}b\nc") == "a?]0;pwned?b c"
    assert plain("a\nb", newlines=True) == "a\nb"
    assert markup("[bold]x[/]").startswith("\\[bold]")
    assert cell(f"[b]{CLEAR}").plain == "[b]?[2J"
    assert plain("a\udcffb\ud800") == "a?b?"  # lone surrogates cannot be written
    assert finish(f"x{CLEAR}  \ny") == "x?[2J\ny"
    assert finish("\x1b[31mx\x1b[0m", color=True) == "\x1b[31mx\x1b[0m"


def _cyclonedx(tmp_path: Path) -> Path:
    doc = {"bomFormat": "CycloneDX", "specVersion": "1.6", "components": [
        {"type": "operating-system", "name": "debian", "version": "12", "description": EVIL},
        {"type": "library", "name": EVIL, "version": f"1{CLEAR}",
         "purl": "pkg:npm/evil@1"},
        {"type": "library", "name": "[bold red]x", "version": "2", "purl": "pkg:npm/x@2"}]}
    path = tmp_path / "evil.cdx.json"
    path.write_text(json.dumps(doc))
    return path


def test_sbom_table_of_a_hostile_cyclonedx_file(tmp_path: Path,
                                                capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["sbom", f"sbom:{_cyclonedx(tmp_path)}", "-f", "table"])
    out = capsys.readouterr().out
    assert code == 0
    assert_safe(out)
    # JSON keeps the exact value, escapes included
    assert main(["sbom", f"sbom:{_cyclonedx(tmp_path)}", "-f", "json"]) == 0
    names = {p["name"] for p in json.loads(capsys.readouterr().out)["packages"]}
    assert EVIL in names


def test_sbom_table_of_a_root_with_hostile_os_release(tmp_path: Path,
                                                      capsys: pytest.CaptureFixture[str]
                                                      ) -> None:
    root = tmp_path / "root"
    (root / "etc").mkdir(parents=True)
    (root / "etc/os-release").write_text(f'ID=debian\nVERSION_ID=12\nPRETTY_NAME="{EVIL}"\n')
    (root / "var/lib/dpkg").mkdir(parents=True)
    (root / "var/lib/dpkg/status").write_text(
        f"Package: evil[/]\nStatus: install ok installed\nVersion: 1.0\n"
        f"Architecture: amd64\nDescription: [bold red]x {OSC}\n\n")
    code = main(["sbom", f"dir:{root}", "-f", "table", "--no-cache"])
    out = capsys.readouterr().out
    assert code == 0
    assert "evil[/]" in out and "[bold red]x" in out.splitlines()[0]  # PRETTY_NAME shown
    assert_safe(out)


def test_host_table_of_a_hostile_host_root(tmp_path: Path) -> None:
    root = tmp_path / "host[/]"
    (root / "etc/ssh").mkdir(parents=True)
    (root / "etc/os-release").write_text(f'ID=debian\nPRETTY_NAME="{EVIL}"\n')
    (root / "etc/ssh/sshd_config").write_text(f"PermitRootLogin yes\n# {EVIL}\n"
                                              f"Banner /etc/{EVIL}\n")
    doc = audit_host(str(root))
    # what else a host document can carry from the root: a fact value, a finding, an unknown
    doc["facts"].append({"name": "os.pretty_name", "value": EVIL, "source": "/etc/os-release",
                         "status": "read"})
    doc["findings"].append({"rule": "HOST-X", "severity": "high", "message": EVIL,
                            "location": f"/etc/{EVIL}"})
    doc["unknowns"].append({"location": EVIL, "reason": EVIL, "plugin": "host",
                            "layer": None})
    out = render_host_table(doc, width=80)
    assert_safe(out)
    assert "host[/]" in out.splitlines()[0]
    assert max(len(line) for line in out.splitlines()) <= 80


POD = """apiVersion: v1
kind: Pod
metadata:
  name: evil-pod
  namespace: ns
  labels: {{app: "x"}}
spec:
  containers:
  - name: {name}
    image: {image}
    securityContext: {{privileged: true}}
"""


def _pod(tmp_path: Path) -> Path:
    path = tmp_path / "pod.yaml"
    # an invalid image reference (no network): its text is echoed in the sources notes
    image = json.dumps(f"registry.invalid/<script>alert(1)</script>[/]:{EVIL}")
    path.write_text(POD.format(name=json.dumps(f"c[/]{OSC}"), image=image))
    return path


def test_depth_table_of_a_hostile_manifest(tmp_path: Path,
                                           capsys: pytest.CaptureFixture[str]) -> None:
    main(["scan", "--k8s", str(_pod(tmp_path)), "-f", "table"])
    out = capsys.readouterr().out
    assert "evil-pod" in out
    assert_safe(out)


def test_depth_html_escapes_input(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    main(["scan", "--k8s", str(_pod(tmp_path)), "-f", "html"])
    out = capsys.readouterr().out
    assert "<html" in out and "evil-pod" in out
    assert "<script>" not in out and "&lt;script&gt;" in out
