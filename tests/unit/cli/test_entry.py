"""The ``ringfence`` program freezes the collector before it exits; ``main`` never does.

``cli/main.entry`` moves every object to the permanent generation (``gc.freeze``) once the
command is done, so interpreter shutdown does not walk them all again (a tenth of a warm
``sbom``). A process that goes on after ``main`` (tests, embedders) must keep a working
collector. Checked in a fresh interpreter from an atexit handler, which runs after the
freeze and before shutdown's collections; the exit status is the command's.
"""

from __future__ import annotations

import gc
import subprocess
import sys
from pathlib import Path

from ringfence.cli.main import main

PROBE = """
import atexit, gc, sys
atexit.register(lambda: print("frozen", gc.get_freeze_count() > 0))
sys.argv = ["ringfence", *sys.argv[1:]]
from ringfence.cli.main import entry
entry()
"""


def _program(*args: str) -> tuple[int, str]:
    proc = subprocess.run([sys.executable, "-c", PROBE, *args], capture_output=True,
                          text=True, timeout=120, check=False)
    return proc.returncode, proc.stdout


def test_the_program_freezes_before_it_exits_with_the_commands_status(
        tmp_path: Path) -> None:
    code, out = _program("--version")
    assert code == 0 and "ringfence" in out and out.endswith("frozen True\n")
    code, out = _program("sbom", f"oci:{tmp_path / 'missing'}")  # an input error: exit 3
    assert code == 3 and out.endswith("frozen True\n")
    code, out = _program("sbom", "--no-such-option")  # a usage error: exit 2
    assert code == 2 and out.endswith("frozen True\n")


def test_main_leaves_the_collector_as_it_found_it() -> None:
    before = gc.get_freeze_count()
    assert main(["--version"]) == 0
    assert gc.get_freeze_count() == before
