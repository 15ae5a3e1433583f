"""The HTML depth report of the hardened goat variant (one workload made privileged) renders
in headless Chromium (Debian's ``chromium``): the page loads nothing from outside (no
script, no external URL); it opens with the overview (workloads by threats, depth per
cell); Chromium's computed colours of known cells and ring arcs are the state colours, and
what was not evaluated is never drawn like what fails; notes shared by both workloads
appear once. Colours and layout are read over the DevTools protocol on a pipe
(``--remote-debugging-pipe``: no port, no extra package)."""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from ringfence.cli.main import main

HARDENED = Path(__file__).parents[1] / "data" / "goat-hardened"
HOME = "Deployment/goat-hardened/goat-home"
HUNGER = "Deployment/goat-hardened/hunger-check"
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
         "--no-first-run"]
GREEN, RED, BLUE, AMBER, GREY = ("rgb(46, 157, 74)", "rgb(210, 55, 44)", "rgb(79, 134, 198)",
                                 "rgb(240, 180, 41)", "rgb(200, 200, 200)")


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


TRAMPOLINE = ("import os, sys; a, b = int(sys.argv[1]), int(sys.argv[2]); os.dup2(a, 3); "
              "os.dup2(b, 4); os.close(a); os.close(b); os.execv(sys.argv[3], sys.argv[3:])")


class DevTools:
    """Chromium driven over --remote-debugging-pipe: it reads commands on fd 3 and writes
    answers and events on fd 4, each a JSON message ended by NUL."""

    def __init__(self, exe: str, profile: Path) -> None:
        cmd_r, self._cmd_w = os.pipe()
        self._res_r, res_w = os.pipe()
        # the child's ends, numbered 10 and up so that moving them to 3 and 4 cannot
        # overwrite one with the other; a small Python trampoline moves them and execs
        ends = [fcntl.fcntl(fd, fcntl.F_DUPFD_CLOEXEC, 10) for fd in (cmd_r, res_w)]
        os.close(cmd_r)
        os.close(res_w)
        self.proc = subprocess.Popen(
            [sys.executable, "-c", TRAMPOLINE, str(ends[0]), str(ends[1]),
             exe, *FLAGS, "--remote-debugging-pipe", f"--user-data-dir={profile}",
             "about:blank"], pass_fds=ends,
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        for fd in ends:
            os.close(fd)
        self._buf = b""
        self._id = 0

    def send(self, method: str, session: str | None = None, **params: Any) -> dict[str, Any]:
        self._id += 1
        msg: dict[str, Any] = {"id": self._id, "method": method, "params": params}
        if session:
            msg["sessionId"] = session
        os.write(self._cmd_w, json.dumps(msg).encode() + b"\0")
        while True:
            answer = self._next()
            if answer.get("id") == self._id:
                assert "error" not in answer, answer
                result: dict[str, Any] = answer["result"]
                return result

    def _next(self) -> dict[str, Any]:
        while b"\0" not in self._buf:
            chunk = os.read(self._res_r, 65536)
            assert chunk, "chromium closed the pipe"
            self._buf += chunk
        msg, _, self._buf = self._buf.partition(b"\0")
        value: dict[str, Any] = json.loads(msg)
        return value

    def evaluate(self, session: str, expression: str) -> Any:
        got = self.send("Runtime.evaluate", session, expression=expression,
                        returnByValue=True, awaitPromise=True)
        assert "exceptionDetails" not in got, got
        return got["result"].get("value")

    def open(self, url: str) -> str:
        target = self.send("Target.createTarget", url=url)["targetId"]
        session: str = self.send("Target.attachToTarget", targetId=target,
                                 flatten=True)["sessionId"]
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:  # the new tab starts on about:blank
            got = self.send("Runtime.evaluate", session, returnByValue=True,
                            expression="location.href + ' ' + document.readyState")
            if got.get("result", {}).get("value") == f"{url} complete":
                return session
            time.sleep(0.05)
        raise AssertionError(f"{url} did not load")

    def close(self) -> None:
        with contextlib.suppress(AssertionError, OSError):
            self.send("Browser.close")
        try:
            self.proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        os.close(self._cmd_w)
        os.close(self._res_r)


@pytest.fixture(scope="module")
def page(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("html") / "m"
    shutil.copytree(HARDENED, root)
    home = root / "goat-home.yaml"
    text = home.read_text()
    old = "allowPrivilegeEscalation: false"
    assert old in text
    home.write_text(text.replace(old, f"{old}\n            privileged: true"))
    out = root.parent / "report.html"
    assert main(["scan", "--k8s", str(root), "--images-from", "none", "-f", "html",
                 "-o", str(out)]) == 0
    return out


def test_html_report_renders_offline(chromium: str, page: Path, tmp_path: Path) -> None:
    html = page.read_text()
    assert "<script" not in html and not re.search(r"(src|href)=['\"]?https?:", html)
    dom = _chromium(chromium, tmp_path, "--enable-logging=stderr", "--v=0", "--dump-dom",
                    page.as_uri())
    assert dom.returncode == 0, dom.stderr[-2000:]
    # Chromium logs page console messages as "CONSOLE(line)" lines with --enable-logging
    assert [x for x in dom.stderr.splitlines() if "CONSOLE" in x] == []
    text = dom.stdout
    assert text.count("<section class=\"workload\"") == 2
    for ref in (HOME, HUNGER):
        assert ref in text
    assert text.count("class=\"ring-platform\"") == 2
    assert text.count("<td>container-escape</td>") == 3  # two matrices and the catalogue
    assert "not evaluated" in text and "no host access" in text
    shot = tmp_path / "shot.png"
    run = _chromium(chromium, tmp_path, f"--screenshot={shot}", "--window-size=1200,1400",
                    page.as_uri())
    assert run.returncode == 0, run.stderr[-2000:]
    assert shot.stat().st_size > 10_000


CELL = ("(w, t) => getComputedStyle(document.querySelector("
        "`.overview td[data-workload='${w}'][data-threat='${t}']`)).backgroundColor")
ARC = ("(i, ring, t) => { const a = document.querySelectorAll('section.workload')[i]"
       ".querySelector(`circle.arc[data-ring='${ring}'][data-threat='${t}']`);"
       " const b = a.getBoundingClientRect();"
       " return [getComputedStyle(a).stroke, a.dataset.state, b.width > 0 && b.height > 0]; }")


def test_overview_first_and_state_colours_in_chromium(chromium: str, page: Path,
                                                      tmp_path: Path) -> None:
    tools = DevTools(chromium, tmp_path / "profile")
    try:
        s = tools.open(page.as_uri())

        def js(expr: str) -> Any:
            return tools.evaluate(s, expr)

        # the overview comes first: before every workload's detail
        assert js("(() => { const o = document.querySelector('#overview');"
                  " return [...document.querySelectorAll('section.workload')].every("
                  " w => o.compareDocumentPosition(w) & Node.DOCUMENT_POSITION_FOLLOWING)"
                  " })()") is True
        assert js("document.querySelectorAll('.overview td[data-depth]').length") == 2 * 10
        # known cells: the depth and its colour
        known = _cell(HOME, "interactive-access")
        cell = js(f"(() => {{ const c = document.querySelector(\"{known}\");"
                  " return [c.dataset.depth, c.textContent, getComputedStyle(c).backgroundColor]"
                  " })()")
        assert cell[0] == "1" and cell[1].startswith("1/3")
        assert cell[2] == "rgb(220, 243, 220)"  # depth 1
        colour = f"({CELL})"
        # container-escape of the privileged workload: platform fails, the rest unknown
        assert js(f"{colour}('{HOME}', 'container-escape')") == "rgb(246, 198, 198)"
        # the same threat of the other workload: nothing fails, nothing decided -> amber
        assert js(f"{colour}('{HUNGER}', 'container-escape')") == "rgb(251, 234, 168)"

        arc = f"({ARC})"
        # goat-home (section 0): image and host not evaluated are amber, never red
        assert js(f"{arc}(0, 'image', 'container-escape')") == [AMBER, "not-evaluated", True]
        assert js(f"{arc}(0, 'host', 'container-escape')") == [AMBER, "not-evaluated", True]
        assert js(f"{arc}(0, 'platform', 'container-escape')") == [RED, "fails", True]
        assert js(f"{arc}(0, 'platform', 'malicious-image')") == [BLUE, "partial", True]
        assert js(f"{arc}(1, 'platform', 'interactive-access')") == [GREEN, "holds", True]
        assert js(f"{arc}(1, 'host', 'vulnerable-package')") == [GREY, "no-control", True]
        # over every arc: a colour per state, and only failing arcs are red
        by_state = js("(() => { const m = {}; document.querySelectorAll('circle.arc')"
                      ".forEach(a => { (m[a.dataset.state] ||= new Set())"
                      ".add(getComputedStyle(a).stroke) });"
                      " return Object.fromEntries(Object.entries(m).map(([k, v]) => [k, [...v]]))"
                      " })()")
        assert by_state == {"fails": [RED], "not-evaluated": [AMBER], "partial": [BLUE],
                            "holds": [GREEN], "no-control": [GREY]}
        # notes shared by both workloads: once, at the top
        notes = js("[...document.querySelectorAll('ul.shared-notes li,"
                   " ul.not-evaluated-reasons li')].map(li => li.textContent)")
        for note in ("host: no host access (--host or --host-root not given)",
                     "platform: no registry allow-list (--allowed-registry)"):
            assert notes.count(note) == 1, note
        assert js("document.querySelectorAll('ul.shared-notes li').length") >= 2
        # the matrix cell says partial k/n
        assert js("document.querySelector(\"section.workload tr[data-threat='malicious-image']"
                  " td[data-ring='platform']\").textContent") == "partial 2/3"
    finally:
        tools.close()
    assert tools.proc.returncode is not None


def _cell(workload: str, threat: str) -> str:
    return f".overview td[data-workload='{workload}'][data-threat='{threat}']"
