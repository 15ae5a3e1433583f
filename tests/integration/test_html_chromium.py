"""The HTML depth report of the hardened goat variant renders in headless Chromium (Debian's
``chromium``): the DOM Chromium built holds the matrix, the rings and the findings, and the
page loads nothing from outside (no script, no external URL)."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest

from ringfence.cli.main import main

HARDENED = Path(__file__).parents[1] / "data" / "goat-hardened"
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
         "--no-first-run"]


@pytest.fixture(scope="module")
def chromium() -> str:
    exe = shutil.which("chromium")
    if exe is None:
        pytest.skip("Debian's chromium is not installed (.ci/run installs it)")
    return exe


def _chromium(exe: str, tmp: Path, *args: str) -> subprocess.CompletedProcess[str]:
    profile = tmp / f"profile-{len(list(tmp.iterdir()))}"
    return subprocess.run([exe, *FLAGS, f"--user-data-dir={profile}", *args],
                          capture_output=True, text=True, timeout=90, check=False)


def test_html_report_renders_offline(chromium: str, tmp_path: Path) -> None:
    page = tmp_path / "report.html"
    assert main(["scan", "--k8s", str(HARDENED), "--images-from", "none", "-f", "html",
                 "-o", str(page)]) == 0
    html = page.read_text()
    assert "<script" not in html and not re.search(r"(src|href)=['\"]?https?:", html)
    dom = _chromium(chromium, tmp_path, "--enable-logging=stderr", "--v=0", "--dump-dom",
                    page.as_uri())
    assert dom.returncode == 0, dom.stderr[-2000:]
    # Chromium logs page console messages as "CONSOLE(line)" lines with --enable-logging
    assert [x for x in dom.stderr.splitlines() if "CONSOLE" in x] == []
    text = dom.stdout
    assert text.count("<section class=\"workload\">") == 2
    for ref in ("Deployment/goat-hardened/goat-home", "Deployment/goat-hardened/hunger-check"):
        assert ref in text
    assert text.count("class=\"ring-platform\"") == 2
    assert text.count("<td>container-escape</td>") == 3  # two matrices and the catalogue
    assert "not evaluated" in text and "no host access" in text
    shot = tmp_path / "shot.png"
    run = _chromium(chromium, tmp_path, f"--screenshot={shot}", "--window-size=1200,1400",
                    page.as_uri())
    assert run.returncode == 0, run.stderr[-2000:]
    assert shot.stat().st_size > 10_000
    keep = Path("/tmp/ringfence-depth-report.png")
    shutil.copy(shot, keep)
    shutil.copy(page, keep.with_suffix(".html"))
