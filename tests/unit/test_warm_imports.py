"""A warm ``sbom -f json`` served whole from the image cache loads only what it needs.

Issue 12: a warm run's time was Python start-up and imports. The CLI runs in a subprocess
(a fresh interpreter: this test process has imported everything) which writes the
modules it loaded; the cold run of the same command is the control that proves the probe
sees the cold path's modules at all. A guard on what is loaded, not a timing.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from tests.imagebuilder import DPKG_STATUS, OS_RELEASE, Layer, Member, build_oci

# loaded by a cold scan, never by a whole-image cache hit rendered as JSON
COLD_ONLY = (
    "ringfence.catalog.registry",     # every cataloger
    "ringfence.layers.analyze",
    "ringfence.layers.walk",
    "ringfence.layers.tarstream",
    "ringfence.layers.streams",
    "ringfence.layers.merge",
    "isal",                           # decompression
    "concurrent.futures.thread",      # the layer pool
)
# never needed to render a cached inventory as ringfence JSON (nor by the cold run here)
NEVER = (
    "rich",                           # tables and progress bars (stderr is not a terminal)
    "cyclonedx",
    "spdx_tools",
    "ringfence.sbom.cyclonedx",
    "ringfence.vulndb.match",
    "ringfence.image.docker_archive",  # other transports' readers
    "ringfence.image.oci_archive",
    "ringfence.image.registry",
    "tarfile",
)

PROBE = """
import json, sys
from ringfence.cli.main import main
code = main(sys.argv[2:])
with open(sys.argv[1], "w") as f:
    json.dump(sorted(sys.modules), f)
sys.exit(code)
"""


def _modules(tmp_path: Path, image: Path, name: str) -> set[str]:
    dump = tmp_path / f"{name}.modules.json"
    out = tmp_path / f"{name}.json"
    proc = subprocess.run(
        [sys.executable, "-c", PROBE, str(dump), "sbom", f"oci:{image}", "-f", "json",
         "-o", str(out), "--cache-dir", str(tmp_path / "cache")],
        capture_output=True, text=True, timeout=300, check=False)
    assert proc.returncode == 0, proc.stderr
    assert json.loads(out.read_text())["packages"], "the scan found the dpkg packages"
    return set(json.loads(dump.read_text()))


def _loaded(modules: set[str], names: tuple[str, ...]) -> list[str]:
    return [n for n in names if n in modules or any(m.startswith(n + ".") for m in modules)]


def test_a_warm_json_sbom_imports_no_cold_path_module(tmp_path: Path) -> None:
    image = build_oci(tmp_path / "img", [Layer([Member("etc/os-release", OS_RELEASE),
                                                Member("var/lib/dpkg/status", DPKG_STATUS)])])
    cold = _modules(tmp_path, image, "cold")
    warm = _modules(tmp_path, image, "warm")
    assert _loaded(cold, COLD_ONLY) == list(COLD_ONLY), "the probe sees the cold path"
    assert _loaded(warm, COLD_ONLY) == []
    assert _loaded(warm, NEVER) == []
    assert _loaded(cold, NEVER) == []
    assert (tmp_path / "cold.json").read_bytes() == (tmp_path / "warm.json").read_bytes()
