"""The one report contract: options, output files and the exit decision, for every command
that reports. Inputs are built here, at test time."""

from __future__ import annotations

import json
import os
import stat
import threading
from pathlib import Path

import click
import pytest

from ringfence.cli.common import ReportOptions, finish
from ringfence.cli.main import COMMANDS, LazyGroup, cli, main
from ringfence.errors import Error
from ringfence.model.finding import Severity
from tests.imagebuilder import Layer, Member, build_oci

# every command (group path) that writes a report through the contract
REPORT_COMMANDS = [
    ("sbom",), ("image",), ("host",), ("runtime",), ("k8s",), ("scan",), ("diff",),
    ("baseline", "check"), ("verify",), ("policy", "lint"), ("seccomp", "lint"),
    ("rbac", "who-can"), ("rbac", "paths"), ("netpol", "matrix"), ("changes",),
    ("db", "import"), ("db", "update"), ("affected",), ("fix",), ("compare",), ("fleet",),
]
CONTRACT = {"-f", "-o", "--fail-on", "--strict", "--quiet"}


def _command(path: tuple[str, ...]) -> click.Command:
    ctx = click.Context(cli)
    cmd: click.Command | None = cli
    for name in path:
        assert isinstance(cmd, click.Group)
        cmd = cmd.get_command(ctx, name)
        assert cmd is not None, path
    assert cmd is not None
    return cmd


@pytest.mark.parametrize("path", REPORT_COMMANDS, ids=" ".join)
def test_every_report_command_has_the_contract_options(path: tuple[str, ...]) -> None:
    cmd = _command(path)
    opts = {o for p in cmd.params if isinstance(p, click.Option) for o in p.opts}
    assert opts >= CONTRACT, sorted(CONTRACT - opts)
    fmt = next(p for p in cmd.params if "-f" in getattr(p, "opts", ()))
    assert isinstance(fmt.type, click.Choice) and "json" in fmt.type.choices
    assert fmt.default is None  # table on a terminal, json otherwise, for all of them
    fail_on = next(p for p in cmd.params if "--fail-on" in getattr(p, "opts", ()))
    assert fail_on.default is None
    assert isinstance(fail_on.type, click.Choice)
    assert list(fail_on.type.choices) == ["unknown", "low", "medium", "high", "critical"]


def test_no_option_named_f_means_a_file() -> None:
    group = LazyGroup()
    for name in COMMANDS:
        cmd = group.get_command(click.Context(cli), name)
        todo = [cmd]
        while todo:
            c = todo.pop()
            if isinstance(c, click.Group):
                todo += list(c.commands.values())
                continue
            assert c is not None
            for p in c.params:
                if "-f" in getattr(p, "opts", ()):
                    assert p.name == "fmt", (c.name, p.name)


@pytest.mark.parametrize(("severities", "unknowns", "gate", "fail_on", "strict", "want"), [
    ([], 0, False, None, False, 0),
    ([Severity.HIGH], 0, False, None, False, 0),  # no --fail-on: findings do not fail
    ([Severity.HIGH], 0, False, "high", False, 1),
    ([Severity.MEDIUM], 0, False, "high", False, 0),  # boundary: below
    ([Severity.CRITICAL], 0, False, "high", False, 1),  # boundary: above
    ([Severity.UNKNOWN], 0, False, "unknown", False, 1),
    ([], 2, False, "high", False, 0),
    ([], 2, False, None, True, 4),
    ([Severity.HIGH], 2, False, "high", True, 1),  # 1 before 4
    ([Severity.HIGH], 2, True, "high", True, 3),  # 3 before 1
    ([], 0, True, None, True, 0),  # nothing to gate: no exit 3 without --fail-on
])
def test_exit_precedence(severities: list[Severity], unknowns: int, gate: bool,
                         fail_on: str | None, strict: bool, want: int) -> None:
    opts = ReportOptions("json", None, fail_on, strict, False)
    try:
        finish(opts, severities=severities, unknowns=unknowns,
               cannot_gate=Error("db", "no database") if gate else None)
    except click.exceptions.Exit as exc:
        assert exc.exit_code == want
    except Error as exc:
        assert exc.exit_code == want == 3
    else:
        assert want == 0


def _host_root(tmp_path: Path) -> Path:
    root = tmp_path / "root"
    (root / "etc").mkdir(parents=True)
    return root


def test_output_into_a_missing_directory_is_exit_3(tmp_path: Path,
                                                   capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "no" / "such" / "dir" / "report.json"
    assert main(["host", "--root", str(_host_root(tmp_path)), "-o", str(out)]) == 3
    err = capsys.readouterr().err
    assert err.startswith(f"error: {out}: cannot write: directory") and "Traceback" not in err
    assert not out.parent.exists()


def test_output_to_a_device_writes_in_place(tmp_path: Path) -> None:
    before = os.stat("/dev/null")
    assert main(["host", "--root", str(_host_root(tmp_path)), "-o", "/dev/null"]) == 0
    after = os.stat("/dev/null")
    assert stat.S_ISCHR(after.st_mode) and after.st_rdev == before.st_rdev
    assert after.st_ino == before.st_ino


def test_output_to_a_fifo_writes_in_place(tmp_path: Path) -> None:
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    got: list[bytes] = []
    reader = threading.Thread(target=lambda: got.append(fifo.read_bytes()))
    reader.start()
    assert main(["host", "--root", str(_host_root(tmp_path)), "-f", "json",
                 "-o", str(fifo)]) == 0
    reader.join(timeout=30)
    assert not reader.is_alive()
    assert stat.S_ISFIFO(os.stat(fifo).st_mode)
    assert json.loads(got[0])["target"]["kind"] == "host"


def test_output_through_a_symlink_replaces_its_target(tmp_path: Path) -> None:
    target = tmp_path / "real.json"
    target.write_text("old")
    target.chmod(0o600)
    link = tmp_path / "link.json"
    link.symlink_to(target)
    assert main(["host", "--root", str(_host_root(tmp_path)), "-f", "json",
                 "-o", str(link)]) == 0
    assert link.is_symlink() and json.loads(target.read_text())["target"]["kind"] == "host"
    assert stat.S_IMODE(target.stat().st_mode) == 0o600  # the file's mode is kept
    assert [p.name for p in tmp_path.iterdir() if p.name.endswith(".tmp")] == []


def test_output_to_a_directory_is_exit_3(tmp_path: Path,
                                         capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["host", "--root", str(_host_root(tmp_path)), "-o", str(tmp_path)]) in (2, 3)
    assert "Traceback" not in capsys.readouterr().err


def test_host_strict_with_nothing_evaluated_is_exit_4(tmp_path: Path) -> None:
    root = _host_root(tmp_path)
    assert main(["host", "--root", str(root), "-f", "json", "-o", str(tmp_path / "h.json")]) == 0
    doc = json.loads((tmp_path / "h.json").read_text())
    assert {r["status"] for r in doc["rules"]} == {"not evaluated"}
    assert main(["host", "--root", str(root), "--strict", "-q", "-o", os.devnull]) == 4


def _debian_image(tmp_path: Path) -> str:
    status = (b"Package: zlib1g\nStatus: install ok installed\nVersion: 1:1.2.13.dfsg-1\n"
              b"Architecture: amd64\nSource: zlib\n\n")
    os_release = b'ID=debian\nVERSION_ID="12"\nVERSION_CODENAME=bookworm\n'
    img = build_oci(tmp_path / "img", [Layer([
        Member("etc/os-release", os_release), Member("var/lib/dpkg/status", status)])])
    return f"oci:{img}"


def _npm_only_db(tmp_path: Path) -> Path:
    osv = {"id": "GHSA-aaaa-bbbb-cccc", "modified": "2026-11-01T00:00:00Z",
           "summary": "x", "affected": [{
               "package": {"ecosystem": "npm", "name": "left-pad"},
               "ranges": [{"type": "SEMVER", "events": [{"introduced": "0"},
                                                        {"fixed": "1.3.0"}]}]}]}
    feed = tmp_path / "feed" / "GHSA-aaaa-bbbb-cccc.json"
    feed.parent.mkdir()
    feed.write_text(json.dumps(osv))
    db = tmp_path / "db.sqlite"
    assert main(["db", "import", str(feed), "--db", str(db)]) == 0
    return db


def test_a_database_without_the_distro_cannot_pass_a_gate(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    ref, db = _debian_image(tmp_path), _npm_only_db(tmp_path)
    capsys.readouterr()
    out = tmp_path / "r.json"
    code = main(["image", ref, "--db", str(db), "--no-cache", "--scanners", "vuln",
                 "--fail-on", "high", "-o", str(out)])
    err = capsys.readouterr().err
    assert code == 3, err
    assert "no advisories for Debian:12 (1 package)" in err and "Traceback" not in err
    doc = json.loads(out.read_text())  # the report is still written, with the gap as data
    assert doc["coverage"] == {"checked": [], "uncovered": [{
        "ecosystem": "Debian:12", "packages": 1, "advisories": 0, "newest_modified": None,
        "reason": "no advisories", "os_packages": True}]}
    assert doc["unknowns"] == []  # the gap is in one place: the coverage section
    # without --fail-on the scan completes; --strict counts the gap; the table says it
    assert main(["image", ref, "--db", str(db), "--no-cache", "--scanners", "vuln",
                 "-q", "-o", str(out)]) == 0
    assert main(["image", ref, "--db", str(db), "--no-cache", "--scanners", "vuln",
                 "--strict", "-q", "-o", str(out)]) == 4
    assert main(["image", ref, "--db", str(db), "--no-cache", "--scanners", "vuln",
                 "-f", "table", "-q", "-o", str(out)]) == 0
    lines = [line for line in out.read_text().splitlines() if "not checked" in line]
    assert lines == ["not checked for vulnerabilities: no advisories for Debian:12 "
                     "(1 package)"]
    # the same gap in SARIF (run properties) and CycloneDX (metadata properties)
    assert main(["image", ref, "--db", str(db), "--no-cache", "--scanners", "vuln",
                 "-f", "sarif", "-q", "-o", str(out)]) == 0
    run = json.loads(out.read_text())["runs"][0]
    assert run["properties"]["coverage"]["uncovered"][0]["ecosystem"] == "Debian:12"
    assert main(["image", ref, "--db", str(db), "--no-cache", "--scanners", "vuln",
                 "-f", "cyclonedx", "-q", "-o", str(out)]) == 0
    props = {p["name"]: p["value"] for p in
             json.loads(out.read_text())["metadata"]["properties"]}
    assert (props["ringfence:uncovered:0:ecosystem"], props["ringfence:uncovered:0:packages"],
            props["ringfence:uncovered:0:reason"]) == ("Debian:12", "1", "no advisories")


def test_a_covered_distro_has_no_coverage_line_and_passes_strict(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    ref = _debian_image(tmp_path)
    dsa = tmp_path / "DSA-list"
    dsa.write_text("[01 Jan 2026] DSA-9999-1 zlib - security update\n"
                   "\t{CVE-2026-0001}\n\t[bookworm] - zlib 1:1.2.13.dfsg-2\n")
    db = tmp_path / "db.sqlite"
    assert main(["db", "import", str(dsa), "--db", str(db)]) == 0
    out = tmp_path / "r.json"
    code = main(["image", ref, "--db", str(db), "--no-cache", "--scanners", "vuln",
                 "--strict", "-q", "-o", str(out)])
    doc = json.loads(out.read_text())
    assert doc["coverage"]["uncovered"] == [], doc["coverage"]
    assert [s["ecosystem"] for s in doc["coverage"]["checked"]] == ["Debian:12"]
    assert [v["id"] for v in doc["vulnerabilities"]] == ["DSA-9999-1"]
    assert code == 0, capsys.readouterr().err


def test_error_lines_show_hostile_input_names_as_data(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    name = tmp_path / "x\x1b]0;pwned\x07\x1b[2J.json"
    assert main(["sbom", f"sbom:{name}"]) == 3
    err = capsys.readouterr().err
    assert err.startswith("error: ") and "\x1b" not in err and "\x07" not in err
    assert "Traceback" not in err


def test_scan_policy_joins_the_trust_rules(tmp_path: Path) -> None:
    manifest = Path(__file__).parents[2] / "cases" / "K8S-001" / "bad"
    policy = tmp_path / "policy.json"
    policy.write_text(json.dumps({"default": [{"type": "insecureAcceptAnything"}]}))
    out = tmp_path / "depth.json"
    base = ["scan", "--k8s", str(manifest), "--images-from", "none", "-f", "json", "-o", str(out)]
    assert main(base) == 0
    before = {f["rule"] for w in json.loads(out.read_text())["workloads"]
              for f in w["findings"]}
    assert main([*base, "--policy", str(policy)]) == 0
    after = {f["rule"] for w in json.loads(out.read_text())["workloads"]
             for f in w["findings"]}
    assert "IMG-201" not in before and "IMG-201" in after


def test_max_image_bytes_stops_a_large_image(tmp_path: Path,
                                             capsys: pytest.CaptureFixture[str]) -> None:
    img = build_oci(tmp_path / "img", [Layer([Member("big", b"\0" * (1 << 20))])])
    assert main(["sbom", f"oci:{img}", "--no-cache", "-o", os.devnull]) == 0
    assert main(["sbom", f"oci:{img}", "--no-cache", "--max-image-bytes", "512k",
                 "-o", os.devnull]) == 3
    assert "Traceback" not in capsys.readouterr().err
    assert main(["sbom", f"oci:{img}", "--max-image-bytes", "lots"]) == 2


def test_webhook_policy_fifo_is_exit_3_not_a_hang(tmp_path: Path,
                                                  capsys: pytest.CaptureFixture[str]) -> None:
    fifo = tmp_path / "policy.yaml"
    os.mkfifo(fifo)  # nobody writes it: an open without O_NONBLOCK would block forever
    assert main(["webhook", "manifest", "--namespace", "rf", "--generate-tls",
                 "--policy", str(fifo)]) == 3
    err = capsys.readouterr().err
    assert "not a regular file (a FIFO)" in err and "Traceback" not in err
