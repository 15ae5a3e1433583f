"""Batched calls to the real version comparators (one process for many pairs)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from itertools import pairwise
from pathlib import Path
from typing import NoReturn

import pytest

from .corpus import Pair

SYSTEM_PYTHON = "/usr/bin/python3"

_APT = """
import apt_pkg, json, sys
apt_pkg.init_system()
json.dump([apt_pkg.version_compare(a, b) for a, b in json.load(sys.stdin)], sys.stdout)
"""
_RPM = """
import json, rpm, sys
json.dump([rpm.labelCompare(tuple(a), tuple(b)) for a, b in json.load(sys.stdin)], sys.stdout)
"""
# One shell for many pairs: lt and gt exit codes (0 true, 1 false, 2 syntax error).
_DPKG = """
while IFS= read -r a && IFS= read -r b; do
  dpkg --compare-versions -- "$a" lt "$b" 2>/dev/null; lt=$?
  dpkg --compare-versions -- "$a" gt "$b" 2>/dev/null; echo "$lt $?"
done
"""
# One shell for many strings: the exit code and dpkg's message, one line each.
_DPKG_VALIDATE = """
while IFS= read -r v; do
  msg=$(dpkg --validate-version -- "$v" 2>&1); echo "$? $msg"
done
"""
_NODE = """
const semver = require(process.argv[1]);
let buf = '';
process.stdin.on('data', d => { buf += d; });
process.stdin.on('end', () => {
  const parse = v => { try { return new semver.SemVer(v); } catch (e) { return null; } };
  process.stdout.write(JSON.stringify(JSON.parse(buf).map(([a, b]) => {
    const va = parse(a), vb = parse(b);
    return va === null || vb === null ? [va !== null, vb !== null, null]
                                      : [true, true, va.compare(vb)];
  })));
});
"""


def _sign(n: int) -> int:
    return (n > 0) - (n < 0)


def _system_python(code: str, module: str, payload: object) -> list[int]:
    probe = subprocess.run([SYSTEM_PYTHON, "-c", f"import {module}"], capture_output=True,
                           check=False) if Path(SYSTEM_PYTHON).exists() else None
    if probe is None or probe.returncode:
        pytest.skip(f"{SYSTEM_PYTHON} lacks the {module} module (Debian python3-{module})")
    out = subprocess.run([SYSTEM_PYTHON, "-c", code], input=json.dumps(payload),
                         capture_output=True, text=True, check=True, timeout=120)
    return [_sign(n) for n in json.loads(out.stdout)]


def apt_pkg_compare(pairs: list[Pair]) -> list[int]:
    """Debian's python3-apt: apt's own copy of dpkg's algorithm, no syntax checks."""
    return _system_python(_APT, "apt_pkg", pairs)


def rpm_label_compare(triples: list[tuple[tuple[str, str, str], tuple[str, str, str]]],
                      ) -> list[int]:
    return _system_python(_RPM, "rpm", triples)


def dpkg_compare(pairs: list[Pair]) -> list[int | None]:
    """`dpkg --compare-versions` itself: -1/0/1, None for a syntax error."""
    if shutil.which("dpkg") is None:
        pytest.skip("dpkg is not installed")
    assert not any("\n" in v for p in pairs for v in p)
    text = "".join(f"{a}\n{b}\n" for a, b in pairs)
    out = subprocess.run(["sh", "-c", _DPKG], input=text, capture_output=True, text=True,
                         check=True, timeout=300).stdout.split("\n")
    codes = [tuple(int(c) for c in line.split()) for line in out if line]
    return [None if 2 in c else (-1 if c[0] == 0 else 1 if c[1] == 0 else 0) for c in codes]


def dpkg_validate(versions: list[str]) -> list[str | None]:
    """`dpkg --validate-version` itself on each raw string: None when it accepts it, else the
    reason it gives (an error or a warning: both refuse the version)."""
    if shutil.which("dpkg") is None:
        pytest.skip("dpkg is not installed")
    assert not any("\n" in v or "\r" in v for v in versions)
    text = "".join(f"{v}\n" for v in versions)
    out = subprocess.run(["sh", "-c", _DPKG_VALIDATE], input=text, capture_output=True,
                         text=True, check=True, timeout=600).stdout.split("\n")
    lines = [line for line in out if line]
    assert len(lines) == len(versions), out[-5:]
    reasons: list[str | None] = []
    for v, line in zip(versions, lines, strict=True):
        code, _, msg = line.partition(" ")
        assert (code == "0") == (msg == ""), (v, line)
        assert code == "0" or "has bad syntax: " in msg, (v, line)
        reasons.append(msg.rpartition("has bad syntax: ")[2] if msg else None)
    return reasons


def node_semver(module_dir: Path, pairs: list[Pair]) -> list[tuple[bool, bool, int | None]]:
    out = subprocess.run(["node", "-e", _NODE, str(module_dir)], input=json.dumps(pairs),
                         capture_output=True, text=True, check=True, timeout=120)
    return [(a, b, c) for a, b, c in json.loads(out.stdout)]


# where .ci/deps installs node's semver 7 once (RINGFENCE_NODE_SEMVER_PREFIX overrides)
NODE_ORACLES = Path("/opt/ringfence-oracles/node")


def _semver_major(module: Path) -> int | None:
    try:
        version = json.loads((module / "package.json").read_bytes())["version"]
        return int(str(version).split(".")[0])
    except (OSError, ValueError, KeyError, TypeError):
        return None


def _missing(reason: str, oracle: str = f"node's semver 7 (into {NODE_ORACLES})") -> NoReturn:
    """Under CI=true .ci/deps installed the oracle, so its absence is a failure."""
    if os.environ.get("CI") == "true":
        pytest.fail(f"the oracle {oracle} is missing under CI (.ci/deps installs it): {reason}")
    pytest.skip(reason)


def install_node_semver(tmp: Path) -> Path:
    """node's semver 7: the copy .ci/deps installed, else `npm install semver@7` into tmp.
    Without node, or when npm cannot install it, the test fails under CI and skips elsewhere."""
    if shutil.which("node") is None:
        _missing("node is not installed")
    prefix = Path(os.environ.get("RINGFENCE_NODE_SEMVER_PREFIX") or NODE_ORACLES)
    module = prefix / "node_modules" / "semver"
    if _semver_major(module) == 7:
        return module
    if shutil.which("npm") is None:
        _missing(f"npm is not installed and {module} holds no semver 7")
    done = subprocess.run(["npm", "install", "--no-audit", "--no-fund", "--prefix", str(tmp),
                           "semver@7"], capture_output=True, text=True, check=False,
                          timeout=180)
    module = tmp / "node_modules" / "semver"
    if done.returncode or _semver_major(module) != 7:
        _missing(f"npm install semver@7 failed (exit {done.returncode}): "
                 f"{done.stderr[-300:]}")
    return module


# Maven's own ComparableVersion: Debian's maven (libmaven3-core-java 3.8.7), installed by .ci/deps
MAVEN_JARS = (Path("/usr/share/maven/lib/maven-artifact-3.x.jar"),
              Path("/usr/share/java/maven3-artifact.jar"))
_MAVEN_MAIN = "org.apache.maven.artifact.versioning.ComparableVersion"


def maven_compare_chain(chain: list[str]) -> list[int]:
    """Signs of chain[i] against chain[i + 1] as Maven's ComparableVersion answers them, the raw
    strings given to Java as arguments (its main compares each with the next). Without Java
    or the jar the test fails under CI and skips elsewhere."""
    jar = next((j for j in MAVEN_JARS if j.is_file()), None)
    if shutil.which("java") is None or jar is None:
        _missing("java or maven-artifact's jar is not installed", "Maven (Debian's maven)")
    assert not any("\n" in v or "\r" in v for v in chain)
    out = subprocess.run(["java", "-cp", str(jar), _MAVEN_MAIN, *chain], capture_output=True,
                         text=True, check=True, timeout=300).stdout
    # "   A < B", "   A == B", "   A > B" after each "N. A -> canonical; tokens: ..." line
    lines = [line for line in out.split("\n") if line.startswith("   ")]
    assert len(lines) == len(chain) - 1, out[-2000:]
    signs = []
    for (a, b), line in zip(pairwise(chain), lines, strict=True):
        found = [s for op, s in (("<", -1), ("==", 0), (">", 1)) if line == f"   {a} {op} {b}"]
        assert len(found) == 1, (a, b, line)
        signs.append(found[0])
    return signs
