"""``ringfence fix`` applied for real (issue 13, done means): on bookworm-py, the plan's pip
and npm upgrades are downloaded from the package registries at test time and installed
into a new layer (umoci unpack, the old distributions uninstalled by their RECORD, pip
install --target, npm pack, umoci repack); the rebuilt image is scanned from scratch and
every finding the plan named for an upgraded package is gone, nothing new appeared on
those packages, and the findings of the packages left alone are unchanged.

The registries are allowed and needed: an unreachable one fails this test (no skip).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tarfile
from pathlib import Path
from typing import Any

import pytest

from ringfence.cli.main import main
from ringfence.vulndb.build import import_paths

pytestmark = pytest.mark.images

SOURCES = ("osv/PyPI.zip", "nodejs-security-wg.tar.gz", "debian-security-tracker/DSA-list",
           "debian-security-tracker/DLA-list")
SITE = "usr/local/lib/python3.11/dist-packages"
# PyYAML 5.4's sdist (the smallest release that clears PyYAML 5.3's advisories; it has
# no wheel for Python 3.11) does not build with Cython 3 (yaml/pyyaml#601): pin the
# build's Cython, and build the pure-Python module (no compiler needed)
BUILD_ENV = {"PYYAML_FORCE_LIBYAML": "0"}


def _run(argv: list[str], tmp: Path) -> tuple[int, dict[str, Any]]:
    out = tmp / "out.json"
    out.unlink(missing_ok=True)
    code = main([*argv, "-q", "-f", "json", "-o", str(out)])
    return code, json.loads(out.read_text())


def _uninstall(site: Path, dist_info: Path) -> None:
    """What ``pip uninstall`` removes: every file the distribution's RECORD lists (inside
    site-packages only), then the directories left empty."""
    for line in (dist_info / "RECORD").read_text().splitlines():
        rel = line.rsplit(",", 2)[0]
        path = (site / rel).resolve()
        if path.is_relative_to(site.resolve()) and path.is_file():
            path.unlink()
    shutil.rmtree(dist_info, ignore_errors=True)
    for d in sorted((p for p in site.rglob("*") if p.is_dir()), key=lambda p: -len(p.parts)):
        if not any(d.iterdir()):
            d.rmdir()


def _umoci(*argv: str) -> None:
    rootless = ["--rootless"] if os.geteuid() != 0 and argv[0] == "unpack" else []
    subprocess.run(["umoci", argv[0], *rootless, *argv[1:]], check=True,
                   capture_output=True)


def test_plan_applied_for_real_clears_what_it_promises(
        images_dir: Path, data_dir: Path, tmp_path: Path) -> None:
    db = tmp_path / "db.sqlite"
    import_paths([data_dir / "advisories" / s for s in SOURCES], db)
    layout = tmp_path / "img.oci"
    shutil.copytree(images_dir / "bookworm-py.oci", layout)
    code, plan = _run(["fix", f"oci:{layout}:latest", "--db", str(db), "--no-cache"],
                      tmp_path)
    assert code == 0
    pip = [u for u in plan["upgrades"] if u["type"] == "pypi" and u["target"]]
    npm = [u for u in plan["upgrades"] if u["type"] == "npm" and u["target"]]
    assert len(pip) >= 5 and npm, "bookworm-py's plan has pip and npm upgrades"

    bundle = tmp_path / "bundle"
    _umoci("unpack", "--image", f"{layout}:latest", str(bundle))
    root = bundle / "rootfs"
    site = root / SITE
    for u in pip:  # uninstall the old distributions
        dist_info = root / Path(u["location"]).parent.relative_to("/")
        assert dist_info.parent == site, u["location"]
        _uninstall(site, dist_info)
    constraints = tmp_path / "constraints.txt"
    constraints.write_text("cython<3\n")
    target = tmp_path / "wheels"
    subprocess.run([sys.executable, "-m", "pip", "install", "--no-deps", "--no-compile",
                    "--no-cache-dir", "--disable-pip-version-check", "--target", str(target),
                    *(f"{u['advisory_name']}=={u['target']}" for u in pip)],
                   check=True, capture_output=True,
                   env={**os.environ, **BUILD_ENV, "PIP_CONSTRAINT": str(constraints)})
    shutil.rmtree(target / "bin", ignore_errors=True)
    shutil.copytree(target, site, dirs_exist_ok=True)
    for u in npm:
        packed = subprocess.run(["npm", "pack", "--silent", f"{u['advisory_name']}@{u['target']}"],
                                cwd=tmp_path, check=True, capture_output=True, text=True)
        module = root / Path(u["location"]).parent.relative_to("/")
        shutil.rmtree(module)
        with tarfile.open(tmp_path / packed.stdout.strip().splitlines()[-1]) as tgz:
            tgz.extractall(tmp_path / "npm" / u["package"], filter="data")
        shutil.copytree(tmp_path / "npm" / u["package"] / "package", module)
    _umoci("repack", "--image", f"{layout}:fixed", str(bundle))

    code, before = _run(["image", f"oci:{layout}:latest", "--db", str(db), "--no-cache",
                         "--scanners", "vuln"], tmp_path)
    assert code == 0
    code, after = _run(["image", f"oci:{layout}:fixed", "--db", str(db), "--no-cache",
                        "--scanners", "vuln"], tmp_path)
    assert code == 0
    upgraded = {(u["type"], u["package"].lower()): u for u in pip + npm}
    installed = {(p["type"], p["name"].lower()): p["version"] for p in after["packages"]}
    for key, u in upgraded.items():
        assert installed.get(key) == u["target"], (key, installed.get(key))
    promised = {(u["type"], u["package"].lower(), f["id"]) for u in pip + npm
                for f in u["findings"]}
    left = {(v["purl"].split("/")[0][4:], v["package"].lower(), v["id"])
            for v in after["vulnerabilities"]}
    assert not promised & left
    on_upgraded = [v for v in after["vulnerabilities"]
                   if (v["purl"].split("/")[0][4:], v["package"].lower()) in upgraded]
    assert on_upgraded == []  # nothing new on the upgraded packages
    untouched = {(v["purl"], v["id"]) for v in before["vulnerabilities"]
                 if (v["purl"].split("/")[0][4:], v["package"].lower()) not in upgraded}
    assert {(v["purl"], v["id"]) for v in after["vulnerabilities"]} == untouched
    assert len(before["vulnerabilities"]) - len(after["vulnerabilities"]) == sum(
        u["cleared"] for u in pip + npm) > 0
    # the rebuilt image's own plan has nothing left to upgrade on those packages
    code, again = _run(["fix", f"oci:{layout}:fixed", "--db", str(db), "--no-cache"], tmp_path)
    assert code == 0
    assert not {(u["type"], u["package"].lower()) for u in again["upgrades"]} & upgraded.keys()


def test_base_advice_and_compare_on_the_fixture_images(
        images_dir: Path, data_dir: Path, tmp_path: Path) -> None:
    """bookworm-py is built on bookworm-min (its first layer): the store names it as the
    base; compare shows what bookworm-py's layers did (python3 and the pip packages added,
    tzdata purged)."""
    db = tmp_path / "db.sqlite"
    import_paths([data_dir / "advisories" / s for s in SOURCES], db)
    store = f"sqlite:///{tmp_path / 'store.sqlite'}"
    refs = [f"oci:{images_dir / n}.oci:latest" for n in ("bookworm-min", "bookworm-py",
                                                        "bullseye-big")]
    code, added = _run(["inventory", "add", *refs, "--store", store, "--db", str(db),
                        "--no-cache"], tmp_path)
    assert code == 0
    digest = {a["ref"]: a["digest"] for a in added["added"]}
    code, plan = _run(["fix", digest[refs[1]], "--store", store, "--db", str(db)], tmp_path)
    assert code == 0 and plan["image"]["stored"] is True
    assert plan["base"]["image"]["digest"] == digest[refs[0]]
    assert all(c["findings"] < plan["base"]["image"]["findings"]
               for c in plan["base"]["candidates"])
    assert digest[refs[1]] not in {c["digest"] for c in plan["base"]["candidates"]}
    code, plan = _run(["fix", digest[refs[0]], "--store", store, "--db", str(db)], tmp_path)
    assert plan["base"]["image"] is None  # nothing stored below bookworm-min
    code, cmp = _run(["compare", digest[refs[0]], digest[refs[1]], "--store", store,
                      "--db", str(db)], tmp_path)
    assert code == 0
    added_names = {p["name"].lower() for p in cmp["packages"]["added"]}
    assert {"python3", "django", "lodash"} <= added_names
    assert "tzdata" in {p["name"] for p in cmp["packages"]["removed"]}
    introduced = {v["package"].lower() for v in cmp["vulnerabilities"]["introduced"]}
    assert {"django", "lodash"} <= introduced and cmp["vulnerabilities"]["fixed"] == []
