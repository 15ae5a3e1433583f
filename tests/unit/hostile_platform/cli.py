"""Run the ringfence CLI on hostile input: in-process (``main`` with capsys) or in a child
process with an address-space cap (bounded memory) and a timeout as a hang guard."""

from __future__ import annotations

import json
import subprocess
import sys
from dataclasses import dataclass
from typing import Any

import pytest

from ringfence.cli.main import main

MEMORY_CAP = 2 << 30  # address space of the child: a blow-up dies instead of swapping
HANG_GUARD = 300  # seconds; a hang guard only, never a performance assertion

_CHILD = """
import resource, sys
resource.setrlimit(resource.RLIMIT_AS, ({cap}, {cap}))
from ringfence.cli.main import main
sys.exit(main(sys.argv[1:]))
"""


@dataclass(frozen=True)
class Outcome:
    rc: int
    out: str
    err: str

    def json(self) -> Any:
        return json.loads(self.out)

    def assert_clean_error(self, rc: int, *names: str) -> None:
        """Exit ``rc``, one ``error:`` line naming every one of ``names``, no traceback."""
        assert self.rc == rc, (self.rc, self.out[-2000:], self.err[-2000:])
        assert "Traceback" not in self.err and "Traceback" not in self.out
        errors = [line for line in self.err.splitlines() if line.startswith("error:")]
        assert len(errors) == 1, self.err[-2000:]
        for name in names:
            assert name in errors[0], (name, errors[0])


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> Outcome:
    rc = main(list(argv))
    got = capsys.readouterr()
    return Outcome(rc, got.out, got.err)


def run_child(*argv: str, stdin: bytes | None = None, timeout: float = HANG_GUARD,
              memory: int = MEMORY_CAP, stdin_path: str | None = None) -> Outcome:
    """``stdin``: bytes to feed; ``stdin_path``: a file (``/dev/zero``) to connect."""
    cmd = [sys.executable, "-c", _CHILD.format(cap=memory), *argv]
    if stdin_path is not None:
        with open(stdin_path, "rb") as source:
            proc = subprocess.run(cmd, stdin=source, capture_output=True, timeout=timeout,
                                  check=False)
    else:
        proc = subprocess.run(cmd, input=stdin, capture_output=True, timeout=timeout,
                              check=False)
    return Outcome(proc.returncode, proc.stdout.decode(errors="replace"),
                   proc.stderr.decode(errors="replace"))
