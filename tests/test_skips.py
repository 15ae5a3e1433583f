"""The skip gate of tests/skips.py: under CI=true a skip or xfail missing from the allow-list
fails the run, a listed one does not, outside CI nothing fails; the summary is printed last."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import REPO
from tests.skips import ALLOWED, Allowed

TESTS = '''
import pytest

def test_passes():
    pass

def test_skipped():
    pytest.skip("no frobnicator on this machine")

@pytest.mark.parametrize("x", ["a", "b"])
def test_param(x):
    if x == "b":
        pytest.skip("b is for later")

@pytest.mark.xfail(reason="known gap in the widget", strict=True)
def test_xfail():
    assert False
'''
MODULE_SKIP = '''
import pytest
pytest.skip("this whole module needs a quantum computer", allow_module_level=True)
'''
CONFTEST = '''
import os
from tests.skips import Allowed, SkipGate

LIST = {
    "skip": Allowed("test_tiny.py::test_skipped", "frobnicator", "on purpose"),
    "param": Allowed("test_tiny.py::test_param[b]", "for later", "brackets are literal"),
    "xfail": Allowed("test_tiny.py::test_x*", "widget", "a wildcard"),
    "module": Allowed("test_module.py", "quantum", "a skip at collection"),
}

def pytest_configure(config):
    allowed = tuple(LIST[k] for k in os.environ["GATE_LIST"].split(",") if k)
    gate = SkipGate(allowed, enforce=os.environ.get("CI") == "true")
    config.pluginmanager.register(gate, "test-skip-gate")
'''
EVERYTHING = "skip,param,xfail,module"


def _run(tmp_path: Path, ci: bool, listed: str) -> tuple[int, list[str]]:
    (tmp_path / "pytest.ini").write_text("[pytest]\n")  # this directory is the rootdir
    (tmp_path / "conftest.py").write_text(CONFTEST)
    (tmp_path / "test_tiny.py").write_text(TESTS)
    (tmp_path / "test_module.py").write_text(MODULE_SKIP)
    env = {k: v for k, v in os.environ.items() if k not in ("CI", "PYTEST_ADDOPTS")}
    env.update(PYTHONPATH=str(REPO), GATE_LIST=listed, CI="true" if ci else "false")
    done = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider",
                           "-rs", str(tmp_path)], cwd=tmp_path, env=env,
                          capture_output=True, text=True, timeout=120, check=False)
    return done.returncode, done.stdout.splitlines()


def _not_allowed(lines: list[str]) -> set[str]:
    return {line.split()[3].rstrip(":") for line in lines if line.startswith("NOT ALLOWED")}


def test_unlisted_skips_fail_the_run_under_ci(tmp_path: Path) -> None:
    code, lines = _run(tmp_path, ci=True, listed="skip")
    assert code == pytest.ExitCode.TESTS_FAILED, lines
    assert _not_allowed(lines) == {"test_tiny.py::test_param[b]", "test_tiny.py::test_xfail",
                                   "test_module.py"}
    assert "2 passed, 3 skipped, 1 xfailed" in "\n".join(lines)  # pytest's own counts
    assert "3 skip(s) not in the allow-list" in lines[-1] and "the run fails" in lines[-1]


def test_listed_skips_pass_under_ci_and_the_summary_is_last(tmp_path: Path) -> None:
    code, lines = _run(tmp_path, ci=True, listed=EVERYTHING)
    assert code == pytest.ExitCode.OK, lines
    assert _not_allowed(lines) == set()
    start = next(i for i, line in enumerate(lines) if "skip summary:" in line)
    assert "4 skipped or xfailed, 4 allow-listed" in lines[start]
    assert "passed" in lines[start - 1]  # after pytest's own final counts line
    assert all(line.startswith("allowed") for line in lines[start + 1:start + 5])
    assert lines[start + 5:] == ["every skip is allow-listed (enforced: CI=true)"]


def test_outside_ci_unlisted_skips_are_shown_but_do_not_fail(tmp_path: Path) -> None:
    code, lines = _run(tmp_path, ci=False, listed="")
    assert code == pytest.ExitCode.OK, lines
    assert len(_not_allowed(lines)) == 4
    assert "4 skip(s) not in the allow-list: they fail the run under CI=true" in lines[-1]


def test_a_reason_that_does_not_match_is_not_allowed(tmp_path: Path) -> None:
    # the node id matches, the reason does not: a skip for another cause is not covered
    entry = Allowed("test_tiny.py::test_skipped", "frobnicator", "")
    assert entry.matches("test_tiny.py::test_skipped", "Skipped: no frobnicator here")
    assert not entry.matches("test_tiny.py::test_skipped", "fixture images not built")
    assert not entry.matches("test_tiny.py::test_skipped_too", "no frobnicator")
    brackets = Allowed("t.py::test_p[crun]", "x", "")
    assert brackets.matches("t.py::test_p[crun]", "x")
    assert not brackets.matches("t.py::test_p[c]", "x")  # not a character class


def test_every_allow_list_entry_says_why() -> None:
    for entry in ALLOWED:
        assert entry.nodeid.startswith("tests/") and entry.reason and len(entry.why) > 20, entry
