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
from typing import Any

import pytest

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

# never needed to write a cached inventory as CycloneDX or SPDX (issue 11): what a licence
# is was decided by the cataloger, and the purls are canonical where they are made
NEVER_SBOM = (
    "license_expression",             # the SPDX licence list (0.02-0.04 s)
    "cyclonedx",
    "spdx_tools",
    "packageurl",
    "rich",
    "ringfence.vulndb.match",
    "tarfile",
)
# kept off every warm sbom (json, cyclonedx, spdx) for start-up (issues 11 and 12: a warm run
# is mostly interpreter start-up and imports; each figure is that module's own time in
# `python -X importtime` of a warm bullseye-big run before it was cut)
STARTUP = (
    "ringfence.model.advisory",   # advisories and matches: `image` with a database (4.2 ms)
    "ringfence.model.coverage",   # what a database covered: `image` with a database (1.4 ms)
    "ringfence.model.finding",    # findings and Severity: with --fail-on or rules (1.6 ms)
    "ringfence.layers.result",    # layer results: a whole-image hit decodes none (1.5 ms)
    "ringfence.model.evidence",   # what a layer result carries (0.8 ms)
    "ringfence.report.text",      # the control-character filter: an error, a terminal (1.4 ms)
    "ringfence.report.json_report",  # ringfence's own report: only for -f json
)
# libc6's copyright (DEP-5): a WITH expression beside ids, normalised on the cold path
COPYRIGHT = b"""Format: https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/

Files: *
License: LGPL-2.1+

Files: manual/*
License: GPL-2+ with Texinfo exception

Files: debian/*
License: MIT
"""

PROBE = """
import json, sys
from ringfence.cli.main import main
code = main(sys.argv[2:])
with open(sys.argv[1], "w") as f:
    json.dump(sorted(sys.modules), f)
sys.exit(code)
"""


def _modules(tmp_path: Path, image: Path, name: str, fmt: str = "json",
             *extra: str) -> set[str]:
    dump = tmp_path / f"{name}.modules.json"
    out = tmp_path / f"{name}.json"
    proc = subprocess.run(
        [sys.executable, "-c", PROBE, str(dump), "sbom", f"oci:{image}", "-f", fmt,
         "-o", str(out), "--cache-dir", str(tmp_path / "cache"), *extra],
        capture_output=True, text=True, timeout=300, check=False)
    assert proc.returncode == 0, proc.stderr
    doc = json.loads(out.read_text())
    assert doc.get("packages") or doc.get("components"), "the scan found the dpkg packages"
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
    assert _loaded(warm, STARTUP) == ["ringfence.report.json_report"]  # -f json writes it
    assert (tmp_path / "cold.json").read_bytes() == (tmp_path / "warm.json").read_bytes()


def _stable(doc: dict[str, Any]) -> dict[str, Any]:
    """The document without what changes on every run (serial, timestamps, namespace)."""
    doc.pop("serialNumber", None)
    doc.pop("documentNamespace", None)
    doc.get("metadata", {}).pop("timestamp", None)
    doc.get("creationInfo", {}).pop("created", None)
    return doc


@pytest.mark.parametrize("fmt", ["cyclonedx", "spdx"])
def test_a_warm_cyclonedx_or_spdx_sbom_loads_no_licence_list_nor_purl_parser(
        tmp_path: Path, fmt: str) -> None:
    """The cold run normalises libc6's licences (loading the SPDX list); the warm run writes
    the same document from the cache without it."""
    image = build_oci(tmp_path / "img", [Layer([
        Member("etc/os-release", OS_RELEASE), Member("var/lib/dpkg/status", DPKG_STATUS),
        Member("usr/share/doc/libc6/copyright", COPYRIGHT)])])
    cold = _modules(tmp_path, image, "cold", fmt)
    warm = _modules(tmp_path, image, "warm", fmt)
    assert _loaded(cold, COLD_ONLY) == list(COLD_ONLY), "the probe sees the cold path"
    assert "license_expression" in cold, "the cold run normalised the licences"
    assert _loaded(warm, COLD_ONLY) == []
    assert _loaded(warm, NEVER_SBOM) == []
    assert _loaded(warm, STARTUP) == []
    cold_doc = _stable(json.loads((tmp_path / "cold.json").read_text()))
    assert _stable(json.loads((tmp_path / "warm.json").read_text())) == cold_doc
    expected = ("GPL-2.0-or-later WITH Texinfo-exception AND LGPL-2.1-or-later AND MIT")
    if fmt == "cyclonedx":
        libc = next(c for c in cold_doc["components"] if c["name"] == "libc6")
        assert libc["licenses"] == [{"expression": expected}]
    else:
        libc = next(p for p in cold_doc["packages"] if p["name"] == "libc6")
        assert libc["licenseDeclared"] == expected


def test_a_warm_sbom_loads_the_finding_model_only_to_gate(tmp_path: Path) -> None:
    """The control of STARTUP: the same warm run with --fail-on parses a severity, and the
    probe sees the finding model loaded -- still without the rest of the model package."""
    image = build_oci(tmp_path / "img", [Layer([Member("etc/os-release", OS_RELEASE),
                                                Member("var/lib/dpkg/status", DPKG_STATUS)])])
    _modules(tmp_path, image, "cold")
    gated = _modules(tmp_path, image, "gated", "json", "--fail-on", "critical")
    assert _loaded(gated, STARTUP) == ["ringfence.model.finding",
                                       "ringfence.report.json_report"]


MODEL_PROBE = """
import json, sys
import ringfence.model.finding
loaded = sorted(m for m in sys.modules if m.startswith("ringfence.model."))
import ringfence.model as model
names = {n: getattr(model, n).__module__ for n in model.__all__}
try:
    model.NoSuchName
    missing = "found"
except AttributeError as exc:
    missing = str(exc)
print(json.dumps({"loaded": loaded, "names": names, "missing": missing, "dir": dir(model)}))
"""


def test_the_model_package_loads_a_name_where_it_is_defined_on_first_use() -> None:
    """Importing one model module no longer loads them all (the package's __init__ runs
    first), and every name the package lists is still there, from its defining module."""
    proc = subprocess.run([sys.executable, "-c", MODEL_PROBE], capture_output=True,
                          text=True, timeout=120, check=True)
    got = json.loads(proc.stdout)
    assert got["loaded"] == ["ringfence.model.finding"]
    assert got["names"]["Severity"] == "ringfence.model.finding"
    assert got["names"]["Package"] == "ringfence.model.package"
    assert got["names"]["VulnerabilityMatch"] == "ringfence.model.advisory"
    assert set(got["names"]) <= set(got["dir"])
    assert len(got["names"]) == 18
    assert all(home.startswith("ringfence.model.") for home in got["names"].values())
    assert "NoSuchName" in got["missing"]
