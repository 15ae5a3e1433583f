"""No silent skips: every skip (and xfail) of a run is collected and summarised at the very end
of the run; under CI=true one that the allow-list below does not name fails the run.

An entry names a node id pattern (``*`` is the only wildcard: ``[`` and ``]`` of parametrised
ids are literal) and a substring of the skip's reason, and says why that skip is legitimate on
a CI machine that ran ``.ci/deps`` and ``.ci/fixtures``. A missing tool, image or data file is
never a reason: ``.ci/deps`` installs the tool, ``.ci/fixtures`` builds the images, and the
data is part of the repository.
"""

from __future__ import annotations

import re
from collections.abc import Generator
from dataclasses import dataclass, field

import pytest


@dataclass(frozen=True)
class Allowed:
    nodeid: str   # pattern of the node id; "*" matches any run of characters
    reason: str   # a substring of the skip (or xfail) reason
    why: str      # why this skip is legitimate on CI

    def matches(self, nodeid: str, reason: str) -> bool:
        pattern = ".*".join(re.escape(part) for part in self.nodeid.split("*"))
        return re.fullmatch(pattern, nodeid) is not None and self.reason in reason


ALLOWED: tuple[Allowed, ...] = (
    # Syft's coverage cases whose only input is code, which the shared data excludes by
    # policy (tests/data/PROVENANCE.md): the case has nothing left to compare. Each dropped
    # input is named, with its reason, in ADJUST of the test module (12 cases, + gemspec).
    Allowed("tests/integration/test_syft_coverage.py::test_*_case[*]", " was excluded",
            "the case's inputs are code excluded from the shared data (ADJUST names them)"),
    Allowed("tests/integration/test_syft_coverage.py::test_image_case[imageOnly:find gemspec "
            "packages]", "is Ruby code excluded from the shared data",
            "a *.gemspec is Ruby code, excluded from the shared data"),
    # netpol-analyzer ships no expected connlist for these case directories: there is no
    # oracle, and we never invent one (the test still loads them and checks workloads).
    Allowed("tests/unit/k8s/netpol/test_netpol_connlist.py::test_cases_without_expected_output"
            "[*]", "no expected connlist shipped",
            "netpol-analyzer ships no expected output for these cases: no oracle to compare"),
    # crun's post-filter tail (close, execve) is a subset of what any shell workload makes,
    # so no workload-only profile can lack it: the case cannot be built for crun (runc's runs).
    Allowed("tests/integration/test_seccomp_record.py::"
            "test_profile_without_the_runtime_tail_kills_the_start[crun]",
            "is all made by the workload too",
            "crun's whole tail (close, execve) is made by the workload as well"),
    # CI runs as root (.ci/deps installs packages), and root reads a mode-000 directory: the
    # unreadable case cannot be made; the FIFO and /dev/zero cases of the test still run.
    Allowed("tests/unit/hostile_platform/test_k8s_inputs.py::"
            "test_named_path_that_is_not_a_file_is_exit_3[unreadable-dir]",
            "root reads mode-000 directories",
            "cannot run as root, and CI runs as root"),
    # A property of the host's kernel, which no package installs (does not skip on the CI
    # machine today, whose kernel exposes its config).
    Allowed("tests/integration/test_host_live.py::*", "no /proc/config.gz",
            "the kernel of the CI host may not expose its build config"),
)


@dataclass(frozen=True)
class Skip:
    nodeid: str
    kind: str     # "skip" or "xfail"
    reason: str


def reason_of(report: pytest.TestReport | pytest.CollectReport) -> tuple[str, str] | None:
    """(kind, reason) of a skipped or xfailed report; None for any other outcome."""
    wasxfail = getattr(report, "wasxfail", None)
    if wasxfail is not None:
        # an xfail that failed as expected, or a non-strict one that passed (XPASS)
        return ("xfail" if report.skipped else "xpass"), str(wasxfail)
    if not report.skipped:
        return None
    longrepr = report.longrepr
    if isinstance(longrepr, tuple) and len(longrepr) == 3:
        reason = str(longrepr[2])
    else:
        reason = str(longrepr)
    return "skip", reason.removeprefix("Skipped: ")


@dataclass(eq=False)  # hashable: pytest keeps its plugins in sets
class SkipGate:
    """The pytest plugin: collects every skip, prints the summary last, fails an unlisted one
    under CI (``enforce``)."""

    allowed: tuple[Allowed, ...]
    enforce: bool
    skips: list[Skip] = field(default_factory=list)

    def _record(self, report: pytest.TestReport | pytest.CollectReport) -> None:
        got = reason_of(report)
        if got is not None:
            self.skips.append(Skip(report.nodeid, *got))

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        self._record(report)

    def pytest_collectreport(self, report: pytest.CollectReport) -> None:
        self._record(report)

    def unlisted(self) -> list[Skip]:
        return [s for s in self.skips
                if not any(a.matches(s.nodeid, s.reason) for a in self.allowed)]

    def unused(self) -> list[Allowed]:
        return [a for a in self.allowed
                if not any(a.matches(s.nodeid, s.reason) for s in self.skips)]

    # tryfirst: the outermost wrapper, so this runs after the terminal reporter has printed
    # its summaries and the final counts line: the skip summary is the last thing printed.
    @pytest.hookimpl(wrapper=True, tryfirst=True)
    def pytest_sessionfinish(self, session: pytest.Session) -> Generator[None]:
        result = yield
        unlisted = self.unlisted()
        failing = self.enforce and bool(unlisted)
        if failing and session.exitstatus == pytest.ExitCode.OK:
            session.exitstatus = pytest.ExitCode.TESTS_FAILED
        reporter = session.config.pluginmanager.get_plugin("terminalreporter")
        if reporter is not None:
            self._summary(reporter, unlisted, failing)
        return result

    def _summary(self, tr: pytest.TerminalReporter, unlisted: list[Skip],
                 failing: bool) -> None:
        listed = len(self.skips) - len(unlisted)
        tr.write_sep("=", f"skip summary: {len(self.skips)} skipped or xfailed, "
                          f"{listed} allow-listed (tests/skips.py)", bold=True)
        for allowed in self.allowed:
            n = sum(allowed.matches(s.nodeid, s.reason) for s in self.skips)
            if n:
                tr.write_line(f"allowed {n:4d}  {allowed.nodeid}  [{allowed.reason}]")
        for allowed in self.unused():
            tr.write_line(f"(unused here) {allowed.nodeid}  [{allowed.reason}]")
        for skip in unlisted:
            tr.write_line(f"NOT ALLOWED {skip.kind.upper()} {skip.nodeid}: {skip.reason}",
                          red=self.enforce)
        if failing:
            tr.write_sep("=", f"CI=true: {len(unlisted)} skip(s) not in the allow-list of "
                              "tests/skips.py: the run fails", red=True, bold=True)
        elif unlisted:
            tr.write_line(f"{len(unlisted)} skip(s) not in the allow-list: they fail the run "
                          "under CI=true")
        else:
            mode = "enforced: CI=true" if self.enforce else "not enforced: CI is not true"
            tr.write_line(f"every skip is allow-listed ({mode})")

