#!/usr/bin/env python3
"""Mutation testing (mutmut 3) of the modules where a wrong answer is a false pass.

    nice -n 15 python3 bench/mutation.py [--module NAME ...] [--jobs N] [--keep] [--list]
                                         [--baseline] [--json FILE]

Not part of the default CI run: it is slow (minutes per module). Needs the `mutation`
extra (`pip install -e '.[mutation]'`, i.e. mutmut>=3).

For each module of MODULES (version schemes, layer visibility and whiteouts, digest
verification, the exit decision, webhook evaluation, secret rules, PSS, workload,
control-plane and RBAC rule logic) it:

1. copies src/, tests/ and pyproject.toml of this working tree into a fresh temporary
   directory and appends a `[tool.mutmut]` table for that module to the copy's
   pyproject.toml: `source_paths = ["src"]`, `only_mutate` = the module's files,
   `pytest_add_cli_args_test_selection` = the module's narrow, fast test selection (the
   tests that exercise it). mutmut 3 writes every mutant of a file into that file's copy
   under `mutants/` (a trampoline picks the active mutant from MUTANT_UNDER_TEST) and runs
   pytest there (`pytest_args` of the module: e.g. `-k` leaving out minute-long corpora
   whose fast siblings run the same oracle): the working tree's sources are never touched,
   and nothing of mutmut's is left behind (`--keep` keeps the directory to inspect it with
   `mutmut show NAME`);
2. runs `mutmut run --max-children N` on the mutants of the module's functions (`funcs`:
   fnmatch patterns on mutmut's mutant names, e.g. only the digest checks of
   image/registry.py, not its HTTP plumbing);
3. reads each mutant's exit code from mutmut's `.meta` files and prints one row per module:
   mutants, killed (a test failed), survived (every test passed, or no test ran it),
   timeout, equivalent (survivors explained in bench/mutation_equivalent.toml), excluded
   (a module's `exclude` patterns with their reason: mutants no test can activate, see
   IMPORT_TIME) and the score = (killed + timeout) / (mutants - equivalent - excluded).
   A timed-out mutant is counted as detected (the suite does not finish: it cannot pass).
   Each surviving mutant is printed with its diff.

An equivalent mutant (one no test can kill because it does not change behaviour, e.g. a
default argument no caller omits) is listed in bench/mutation_equivalent.toml with the
mutated line and the reason. It is excluded only when it survived and the mutant still
changes that exact line: when the source moves on, a stale entry no longer matches and the
mutant counts as a survivor again (reported as "stale").

Exit status: 0 when every module run scores at least its threshold (90 %), 1 when one is
below it, 2 on a usage or mutmut error.
"""

from __future__ import annotations

import argparse
import fnmatch
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
EQUIVALENT_FILE = Path(__file__).resolve().parent / "mutation_equivalent.toml"
THRESHOLD = 90.0
# Data segment (heap) of mutmut and of every forked mutant run: a mutant that grows a list without
# end (a loop condition turned around) fails with MemoryError instead of taking the machine.
# Above 4 GiB: inputs.read_regular asks for a buffer of its limit + 1 (feeds: 4 GiB).
MEMORY_LIMIT = 6 << 30


@dataclass(frozen=True)
class Module:
    name: str
    files: tuple[str, ...]  # only_mutate globs, relative to the repository root
    tests: tuple[str, ...]  # pytest selection that exercises them
    funcs: tuple[str, ...] = ("*",)  # fnmatch on mutant names: the functions that matter
    threshold: float = THRESHOLD
    pytest_args: tuple[str, ...] = ()  # e.g. -k to leave out minute-long corpora
    # (pattern, reason): mutants no test can activate, left out of the score and listed
    exclude: tuple[tuple[str, str], ...] = ()


# mutmut 3 forks each mutant's test run from a process that has already imported the code
# (its trampolines choose the mutant at call time): a function called only while a module
# is imported, such as the factories that build a module-level table of rules and checks,
# runs before any mutant is active, so none of its mutants (nor those of the functions
# nested in it) can ever be killed. The tests of those tables still check their result.
IMPORT_TIME = "runs only at import (builds a module-level rule table): never activated"


V = "src/ringfence/vulndb/versions/"
# the platform rules' own tests: planted bugs, labelled fixtures, every rule's cases
K8S_TESTS = ("tests/unit/k8s/test_planted_bugs.py", "tests/unit/k8s/test_labelled_fixtures.py",
             "tests/test_rule_cases.py")
K = "src/ringfence/k8s/"
MODULES: tuple[Module, ...] = (
    # the 100k-pair differentials take 20-80 s each (and 15 times that to time out): their
    # _fast siblings run the same oracles on a seeded sample
    Module("versions", (V + "*.py",),
           ("tests/unit/vulndb/versions",), pytest_args=("-k", "not differential_100k"),
           exclude=(("ringfence.vulndb.versions.registry.x__by_cached_key__*", IMPORT_TIME),
                    ("ringfence.vulndb.versions.registry.x__by_cached_pairs__*",
                     IMPORT_TIME))),
    Module("layers",
           ("src/ringfence/layers/analyzer.py", "src/ringfence/layers/merge.py",
            "src/ringfence/layers/walk.py"),
           ("tests/unit/layers", "tests/unit/catalog/test_merge.py"),
           ("ringfence.layers.analyzer.*", "ringfence.layers.merge.*",
            "ringfence.layers.walk.x_walk_tar*", "ringfence.layers.walk.x__kind*")),
    Module("digests",
           ("src/ringfence/image/registry.py", "src/ringfence/image/manifest.py",
            "src/ringfence/layers/streams.py", "src/ringfence/cache/layer_cache.py"),
           ("tests/unit/image/test_mutants_digests.py", "tests/unit/image/test_registry.py",
            "tests/unit/image/test_registry_cache.py", "tests/unit/layers/test_hostile.py",
            "tests/unit/hostile_image/test_cache_poisoning.py"),
           ("ringfence.image.registry.xǁBlobStream*",
            "ringfence.image.registry.xǁRegistryBlobStoreǁopen*",
            "ringfence.image.registry.xǁRegistryBlobStoreǁread*",
            "ringfence.image.registry.x__check_digest*",
            "ringfence.image.registry.x_fetch_top_manifest*",
            "ringfence.image.manifest.x_verify_bytes*",
            "ringfence.layers.streams.xǁHashingReader*",
            "ringfence.cache.layer_cache.*")),
    Module("exit", ("src/ringfence/cli/common.py",),
           ("tests/unit/cli",),
           ("ringfence.cli.common.x_finish*", "ringfence.cli.common.xǁReportOptions*",
            "ringfence.cli.common.x_finding_severities*")),
    Module("webhook", ("src/ringfence/admission/evaluate.py",),
           ("tests/unit/admission/test_evaluate.py",
            "tests/unit/admission/test_mutants_evaluate.py")),
    # the linear-time checks on 1 MiB hostile inputs take 5-40 s per rule
    Module("secrets", ("src/ringfence/secretscan/*.py",),
           ("tests/unit/secretscan",),
           pytest_args=("-k", "not test_work_is_one_anchored_run and not test_rule_is_linear"),
           exclude=(("ringfence.secretscan.rules.x__rule__*", IMPORT_TIME),
                    ("ringfence.secretscan.checks.x__check__*", IMPORT_TIME))),
    # the rules and the control x version table they gate on (pss_table.py)
    Module("pss", (K + "rules/pss.py", K + "pss_table.py"),
           (*K8S_TESTS, "tests/unit/k8s/test_podview_pss.py", "tests/unit/k8s/test_mutants_pss.py"),
           exclude=(("ringfence.k8s.rules.pss.x_pod_check__*", IMPORT_TIME),
                    ("ringfence.k8s.rules.pss.x_pss_check__*", IMPORT_TIME),
                    ("ringfence.k8s.rules.pss.x__rule__*", IMPORT_TIME),
                    ("ringfence.k8s.pss_table.x__rev__*", IMPORT_TIME))),
    Module("workload", (K + "rules/workload.py",),
           (*K8S_TESTS, "tests/unit/k8s/test_mutants_workload.py",
            "tests/unit/k8s/test_mutants_workload_conditions.py"),
           exclude=(("ringfence.k8s.rules.workload.x__r__*", IMPORT_TIME),
                    ("ringfence.k8s.rules.workload.x__limit__*", IMPORT_TIME))),
    Module("controlplane", (K + "rules/controlplane.py",),
           (*K8S_TESTS, "tests/unit/k8s/test_mutants_controlplane.py"),
           exclude=(("ringfence.k8s.rules.controlplane.x__apiserver_check__*", IMPORT_TIME),
                    ("ringfence.k8s.rules.controlplane.x__kubelet_check__*", IMPORT_TIME),
                    ("ringfence.k8s.rules.controlplane.x__source_hit__*", IMPORT_TIME),
                    ("ringfence.k8s.rules.controlplane.x__r__*", IMPORT_TIME))),
    # the authorizer (RuleAllows, scopes, names, aggregation, bindings); the escalation
    # graph built on it (edges.py, graph.py) is left to its own tests
    Module("rbac", (K + "rbac/request.py", K + "rbac/effective.py"),
           ("tests/unit/k8s/rbac/test_authorizer_table.py",
            "tests/unit/k8s/rbac/test_semantics.py", "tests/unit/k8s/rbac/test_named_grants.py",
            "tests/unit/k8s/rbac/test_mutants_rbac.py")),
)
BY_NAME = {m.name: m for m in MODULES}


@dataclass
class Result:
    module: str
    statuses: dict[str, str] = field(default_factory=dict)  # mutant -> status
    diffs: dict[str, str] = field(default_factory=dict)  # survivors' diffs
    equivalent: dict[str, str] = field(default_factory=dict)  # mutant -> reason
    stale: list[str] = field(default_factory=list)
    error: str | None = None
    seconds: float = 0.0

    def count(self, *status: str) -> int:
        return sum(1 for s in self.statuses.values() if s in status)

    @property
    def survivors(self) -> list[str]:
        return sorted(k for k, s in self.statuses.items()
                      if s in ("survived", "no tests") and k not in self.equivalent)

    @property
    def score(self) -> float:
        counted = (len(self.statuses) - len(self.equivalent) - self.count("excluded")
                   - self.count("not checked"))
        if counted <= 0:
            return 0.0
        return 100.0 * self.count("killed", "timeout") / counted


STATUS = {1: "killed", 3: "killed", 0: "survived", 5: "no tests", 33: "no tests",
          34: "skipped", 36: "timeout", 24: "timeout", -24: "timeout", 152: "timeout",
          255: "timeout", 37: "caught by type check"}

# Run inside the temporary copy (mutmut reads its configuration from the cwd at import).
_DIFFS = """
import json, sys
from mutmut.mutation.diff_apply import get_diff_for_mutant
names = json.load(sys.stdin)
print(json.dumps({n: get_diff_for_mutant(n, path=p) for n, p in names.items()}))
"""


BASELINE_TESTS = "test_mutants_*.py"  # the tests written to kill the survivors


def _limit_memory() -> None:
    resource.setrlimit(resource.RLIMIT_DATA, (MEMORY_LIMIT, MEMORY_LIMIT))


def _copy_tree(work: Path, baseline: bool) -> None:
    patterns = ["__pycache__", "*.egg-info", ".mypy_cache", ".ruff_cache", ".pytest_cache",
                "mutants", *([BASELINE_TESTS] if baseline else [])]
    by_pattern = shutil.ignore_patterns(*patterns)

    def ignore(directory: str, names: list[str]) -> set[str]:
        # mutmut copies the tree again following links: a case's dangling absolute link
        # (systemd enablement links in tests/cases/HOST-112) would abort every run
        dangling = {n for n in names
                    if os.path.islink(os.path.join(directory, n))
                    and not os.path.exists(os.path.join(directory, n))}
        return set(by_pattern(directory, names)) | dangling

    for name in ("src", "tests"):
        shutil.copytree(REPO / name, work / name, ignore=ignore, symlinks=True)
    text = (REPO / "pyproject.toml").read_text(encoding="utf-8")
    (work / "pyproject.toml").write_text(text, encoding="utf-8")


def _mutmut_table(module: Module) -> str:
    def arr(items: tuple[str, ...] | list[str]) -> str:
        return "[" + ", ".join(json.dumps(i) for i in items) + "]"
    return "\n".join([
        "", "[tool.mutmut]",
        'source_paths = ["src"]',
        f"only_mutate = {arr(module.files)}",
        f"pytest_add_cli_args_test_selection = {arr(module.tests)}",
        f"pytest_add_cli_args = {arr(['-p', 'no:cacheprovider', '-q', *module.pytest_args])}",
        "use_git_change_detection = false",
        "use_setproctitle = false",
        "",
    ])


def _statuses(work: Path, module: Module) -> tuple[dict[str, str], dict[str, str]]:
    statuses: dict[str, str] = {}
    paths: dict[str, str] = {}
    for meta in sorted((work / "mutants" / "src").rglob("*.py.meta")):
        source = str(meta.relative_to(work / "mutants"))[: -len(".meta")]
        if not any(fnmatch.fnmatch(source, g) for g in module.files):
            continue
        data = json.loads(meta.read_text(encoding="utf-8"))
        for name, code in data["exit_code_by_key"].items():
            if not any(fnmatch.fnmatch(name, p) for p in module.funcs):
                continue
            if any(fnmatch.fnmatch(name, p) for p, _ in module.exclude):
                statuses[name] = "excluded"
            else:
                statuses[name] = "not checked" if code is None else STATUS.get(code,
                                                                              "suspicious")
            paths[name] = source
    return statuses, paths


def _equivalents() -> list[dict[str, str]]:
    if not EQUIVALENT_FILE.exists():
        return []
    doc = tomllib.loads(EQUIVALENT_FILE.read_text(encoding="utf-8"))
    return list(doc.get("equivalent", []))


def _added_lines(diff: str) -> set[str]:
    return {line[1:].strip() for line in diff.splitlines()
            if line.startswith("+") and not line.startswith("+++")}


def _collect(work: Path, module: Module, result: Result, env: dict[str, str]) -> None:
    """Statuses from mutmut's .meta files in ``work``, survivors' diffs, equivalents."""
    result.statuses, paths = _statuses(work, module)
    if not result.statuses:
        result.error = f"no mutants of {module.name} in {work}"
        return
    open_ones = {k: paths[k] for k, s in result.statuses.items()
                 if s not in ("killed", "timeout", "excluded", "not checked")}
    if open_ones:
        out_json = subprocess.run([sys.executable, "-c", _DIFFS], cwd=work, env=env,
                                  input=json.dumps(open_ones), capture_output=True,
                                  text=True, check=False)
        if out_json.returncode != 0:
            result.error = f"diffs failed: {out_json.stderr[-2000:]}"
            return
        result.diffs = json.loads(out_json.stdout)
    for entry in _equivalents():
        if entry.get("module") != module.name:
            continue
        name, line = entry["mutant"], entry["line"].strip()
        status = result.statuses.get(name)
        if status in ("survived", "no tests") and line in _added_lines(
                result.diffs.get(name, "")):
            result.equivalent[name] = entry["reason"]
        elif status not in ("killed", "timeout", "not checked"):
            result.stale.append(name)  # explanation no longer matches this mutant


def run_module(module: Module, jobs: int, keep: bool, baseline: bool = False) -> Result:
    result = Result(module.name)
    work = Path(tempfile.mkdtemp(prefix=f"rf-mutation-{module.name}-"))
    start = time.monotonic()
    try:
        _copy_tree(work, baseline)
        with (work / "pyproject.toml").open("a", encoding="utf-8") as fh:
            fh.write(_mutmut_table(module))
        env = {k: v for k, v in os.environ.items() if k not in ("CI", "MUTANT_UNDER_TEST")}
        env["PYTHONDONTWRITEBYTECODE"] = "1"
        argv = [sys.executable, "-m", "mutmut", "run", "--max-children", str(jobs)]
        if module.funcs != ("*",):
            argv += list(module.funcs)
        log = work / "mutmut.log"
        with log.open("w", encoding="utf-8") as out:
            proc = subprocess.run(["nice", "-n", "15", *argv], cwd=work, env=env,
                                  stdout=out, stderr=subprocess.STDOUT, check=False,
                                  preexec_fn=_limit_memory)
        if proc.returncode != 0:
            tail = log.read_text(encoding="utf-8", errors="replace")[-3000:]
            result.error = f"mutmut exited {proc.returncode}:\n{tail}"
            return result
        _collect(work, module, result, env)
    finally:
        result.seconds = time.monotonic() - start
        if keep:
            print(f"[{module.name}] kept {work}", file=sys.stderr)
        else:
            shutil.rmtree(work, ignore_errors=True)
    return result


def _changed(diff: str) -> str:
    """The changed lines of a mutant's diff (without the file headers and context)."""
    return "\n".join("    " + line for line in diff.splitlines()
                     if line[:1] in "+-" and not line.startswith(("+++", "---")))


def _table(results: list[Result]) -> str:
    head = ("module", "mutants", "killed", "survived", "timeout", "equivalent", "excluded",
            "unchecked", "score %", "time s")
    rows = [head]
    for r in results:
        if r.error:
            rows.append((r.module, "error", "", "", "", "", "", "", "", f"{r.seconds:.0f}"))
            continue
        rows.append((r.module, str(len(r.statuses)), str(r.count("killed")),
                     str(len(r.survivors)), str(r.count("timeout")), str(len(r.equivalent)),
                     str(r.count("excluded")), str(r.count("not checked")), f"{r.score:.1f}",
                     f"{r.seconds:.0f}"))
    widths = [max(len(row[i]) for row in rows) for i in range(len(head))]
    return "\n".join("  ".join(c.ljust(w) if i == 0 else c.rjust(w)
                               for i, (c, w) in enumerate(zip(row, widths, strict=True)))
                     for row in rows)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--module", action="append", choices=sorted(BY_NAME),
                        help="run this module only (repeatable); default: all")
    parser.add_argument("--jobs", type=int, default=2,
                        help="mutmut --max-children (default 2)")
    parser.add_argument("--keep", action="store_true",
                        help="keep each temporary copy (inspect with `mutmut show NAME` there)")
    parser.add_argument("--baseline", action="store_true",
                        help=f"leave out the tests written for mutation testing ({BASELINE_TESTS}):"
                        " the score before them")
    parser.add_argument("--report", type=Path, metavar="DIR",
                        help="no run: the table of a directory kept by --keep (with one "
                        "--module), e.g. of a run stopped early: unchecked mutants are "
                        "counted apart, the score is over the checked ones")
    parser.add_argument("--list", action="store_true",
                        help="list the modules, their files and tests, and exit")
    parser.add_argument("--json", type=Path, help="also write the results to this JSON file")
    args = parser.parse_args(argv)
    chosen = [BY_NAME[n] for n in args.module] if args.module else list(MODULES)
    if args.list:
        for m in chosen:
            print(f"{m.name}: files {', '.join(m.files)}; tests {', '.join(m.tests)}; "
                  f"functions {', '.join(m.funcs)}")
        return 0
    if shutil.which("nice") is None:
        print("nice(1) is needed", file=sys.stderr)
        return 2
    try:
        import mutmut  # noqa: F401
    except ImportError:
        print("mutmut is not installed: pip install -e '.[mutation]'", file=sys.stderr)
        return 2
    results = []
    if args.report is not None:
        if len(chosen) != 1:
            print("--report needs exactly one --module", file=sys.stderr)
            return 2
        result = Result(chosen[0].name)
        _collect(args.report.resolve(), chosen[0], result, dict(os.environ))
        chosen = []
        results.append(result)
        if not result.error:
            for name in result.survivors:
                print(f"--- {result.module}: {result.statuses[name]} {name}")
                print(_changed(result.diffs.get(name, "")))
    for module in chosen:
        print(f"[{module.name}] running mutmut ...", file=sys.stderr, flush=True)
        results.append(run_module(module, args.jobs, args.keep, args.baseline))
        r = results[-1]
        if r.error:
            print(f"[{module.name}] ERROR {r.error}", file=sys.stderr)
            continue
        for name in r.survivors:
            print(f"--- {module.name}: {r.statuses[name]} {name}")
            print(_changed(r.diffs.get(name, "")))
        for name in r.stale:
            print(f"--- {module.name}: stale equivalence entry {name} (line changed)")
    print(_table(results))
    if args.json:
        args.json.write_text(json.dumps([{
            "module": r.module, "error": r.error, "mutants": len(r.statuses),
            "killed": r.count("killed"), "timeout": r.count("timeout"),
            "excluded": r.count("excluded"),
            "survived": r.survivors, "equivalent": r.equivalent, "stale": r.stale,
            "score": round(r.score, 2)} for r in results], indent=2), encoding="utf-8")
    if any(r.error for r in results):
        return 2
    low = [r.module for r in results if r.score < BY_NAME[r.module].threshold]
    if low:
        print(f"below {THRESHOLD:.0f} %: {', '.join(low)}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
