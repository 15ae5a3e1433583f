"""A cold ``sbom`` of an image loads only the catalogers' parsers it needs (issue 12).

The first scan in a process paid for importing every cataloger's parser and the libraries
behind them before reading a byte. The CLI runs in a subprocess (a fresh interpreter: this
test process has imported everything) which writes the modules it loaded; each module kept
off the path has its control, a run that needs it and loads it. A guard on what is
loaded, not a timing.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from tests.imagebuilder import DPKG_STATUS, OS_RELEASE, Layer, Member, build_oci

# never loaded by a cold sbom of an image without Python packages, each with its reason
# (and its `python -X importtime` cost in a cold sbom of bookworm-min before it was cut)
NO_PYTHON_METADATA = (
    "packaging",        # canonical PyPI names: only for a METADATA/PKG-INFO file (8 ms)
    "email.parser",     # core metadata headers: only for a METADATA/PKG-INFO file (7 ms)
)
# never loaded by a cold sbom of an image without a pom.xml inside a jar
NO_POM = (
    "ringfence.catalog.java.pomxml",  # a jar's pom.xml licences (catalog/java/archive.py)
    "defusedxml",                     # its XML parser, with xml.etree (~4 ms)
)
# never loaded by an image scan: lock files and manifests are read on dir: sources only
# (catalog/registry.py DECLARED, made on first use; ~5 ms with their patterns)
DECLARED_ONLY = (
    "ringfence.catalog.python.lockfile",
    "ringfence.catalog.npm.lockfile",
    "ringfence.catalog.ruby.gemfile_lock",
    "ringfence.catalog.misc.yarn",
    "ringfence.catalog.misc.hackage",
    "ringfence.catalog.misc.hex",
    "ringfence.catalog.misc.otp",
    "ringfence.catalog.misc.opam",
    "ringfence.catalog.misc.pub",
    "ringfence.catalog.misc.terraform",
)

PROBE = """
import json, sys
from ringfence.cli.main import main
code = main(sys.argv[2:])
with open(sys.argv[1], "w") as f:
    json.dump(sorted(sys.modules), f)
sys.exit(code)
"""

METADATA = b"Metadata-Version: 2.1\nName: Requests\nVersion: 2.31.0\nLicense: Apache-2.0\n"


def _cold(tmp_path: Path, source: str, name: str) -> tuple[set[str], list[str]]:
    """Modules loaded by a cold ``sbom -f json`` of ``source`` and the packages found."""
    dump = tmp_path / f"{name}.modules.json"
    out = tmp_path / f"{name}.json"
    proc = subprocess.run(
        [sys.executable, "-c", PROBE, str(dump), "sbom", source, "-f", "json",
         "-o", str(out), "--cache-dir", str(tmp_path / f"{name}.cache")],
        capture_output=True, text=True, timeout=300, check=False)
    assert proc.returncode == 0, proc.stderr
    names = sorted(p["name"] for p in json.loads(out.read_text())["packages"])
    return set(json.loads(dump.read_text())), names


def _loaded(modules: set[str], names: tuple[str, ...]) -> list[str]:
    return [n for n in names if n in modules or any(m.startswith(n + ".") for m in modules)]


def test_a_cold_image_sbom_loads_no_parser_it_does_not_need(tmp_path: Path) -> None:
    image = build_oci(tmp_path / "img", [Layer([Member("etc/os-release", OS_RELEASE),
                                                Member("var/lib/dpkg/status", DPKG_STATUS),
                                                Member("app/requirements.txt",
                                                       b"flask==3.0.0\n")])])
    modules, names = _cold(tmp_path, f"oci:{image}", "plain")
    assert names, "the scan found the dpkg packages"
    assert "ringfence.catalog.registry" in modules, "the probe sees the cold path"
    assert "flask" not in names  # a lock file in an image is not read (nor its parser loaded)
    assert _loaded(modules, NO_PYTHON_METADATA) == []
    assert _loaded(modules, DECLARED_ONLY) == []
    assert _loaded(modules, NO_POM) == []


def test_a_jar_with_a_pom_in_an_image_loads_the_xml_parser(tmp_path: Path) -> None:
    """The control of NO_POM: a jar whose pom.properties has a pom.xml beside it."""
    import io
    import zipfile

    buf = io.BytesIO()
    meta = "META-INF/maven/org.example/lib/"
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr(meta + "pom.properties", "groupId=org.example\nartifactId=lib\n"
                   "version=1.0.0\n")
        z.writestr(meta + "pom.xml", "<project><licenses><license><name>Apache-2.0</name>"
                   "</license></licenses></project>")
    image = build_oci(tmp_path / "img", [Layer([
        Member("etc/os-release", OS_RELEASE), Member("var/lib/dpkg/status", DPKG_STATUS),
        Member("opt/app/lib-1.0.0.jar", buf.getvalue())])])
    modules, names = _cold(tmp_path, f"oci:{image}", "jar")
    assert "org.example:lib" in names
    assert _loaded(modules, NO_POM) == list(NO_POM)


def test_python_metadata_in_an_image_loads_its_parser(tmp_path: Path) -> None:
    """The control of NO_PYTHON_METADATA: the same image with a dist-info METADATA."""
    image = build_oci(tmp_path / "img", [Layer([
        Member("etc/os-release", OS_RELEASE), Member("var/lib/dpkg/status", DPKG_STATUS),
        Member("usr/lib/python3/dist-packages/requests-2.31.0.dist-info/METADATA",
               METADATA)])])
    modules, names = _cold(tmp_path, f"oci:{image}", "python")
    assert "Requests" in names
    assert _loaded(modules, NO_PYTHON_METADATA) == list(NO_PYTHON_METADATA)
    assert _loaded(modules, DECLARED_ONLY) == []


def test_a_directory_sbom_loads_the_lock_file_catalogers(tmp_path: Path) -> None:
    """The control of DECLARED_ONLY: a dir: source runs them (and finds the lock file's)."""
    root = tmp_path / "root"
    (root / "app").mkdir(parents=True)
    (root / "app" / "requirements.txt").write_bytes(b"flask==3.0.0\n")
    modules, names = _cold(tmp_path, f"dir:{root}", "dir")
    assert names == ["flask"]
    assert _loaded(modules, DECLARED_ONLY) == list(DECLARED_ONLY)
    assert "packaging" in modules  # the requirement parser
