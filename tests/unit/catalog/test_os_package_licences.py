"""rpm ``License`` and apk ``L:`` through the one normaliser (catalog/licenses.py).

Oracles: Fedora/RHEL's legacy short names (``GPLv2+``, ``ASL 2.0``, ``LGPLv2.1``) as its
licence list defined them, Alpine's pre-SPDX names and space-separated lists as Syft 1.18
reads them (``GPL2+`` -> ``GPL-2.0-or-later``; ``MIT BSD GPL2+`` -> three licences), and
Syft's ``spdxExpression`` for the tags that already are SPDX. Every raw tag below is one
found in the rpm/apk databases under ``tests/data/pkgdb``. A tag with a name that has no
SPDX identifier (``BSD``, ``Public Domain``) is kept exactly as written.
"""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest

from ringfence.catalog.apk.cataloger import ApkCataloger
from ringfence.catalog.licenses import normalize
from ringfence.catalog.rpm import bdb, ndb, sqlite
from ringfence.catalog.rpm.cataloger import RpmCataloger
from ringfence.catalog.rpm.header import parse_header

RPM_DBS = ("pkgdb/rpm/syft/Packages", "pkgdb/rpm/go-rpmdb/libuuid/Packages",
           "pkgdb/rpm/go-rpmdb/sle15-bci/Packages.db", "pkgdb/rpm/scalibr/Packages_epoch",
           "pkgdb/rpm/go-rpmdb/cbl-mariner-2.0/rpmdb.sqlite")


@pytest.mark.parametrize(("raw", "spdx"), [
    ("GPLv2+", "GPL-2.0-or-later"), ("GPLv3", "GPL-3.0-only"), ("GPL+ AND MIT",
                                                                "GPL-1.0-or-later AND MIT"),
    ("LGPLv2", "LGPL-2.0-only"), ("LGPLv2.1 AND GPLv2", "LGPL-2.1-only AND GPL-2.0-only"),
    ("ASL 2.0", "Apache-2.0"), ("MPLv2.0", "MPL-2.0"),
    ("GPLv2+ OR LGPLv3+", "GPL-2.0-or-later OR LGPL-3.0-or-later"),
    ("(LGPLv3+ or GPLv2+) and GPLv3+",
     "(LGPL-3.0-or-later OR GPL-2.0-or-later) AND GPL-3.0-or-later"),
    ("GPLv3+ AND (GPLv2+ OR LGPLv3+)",
     "GPL-3.0-or-later AND (GPL-2.0-or-later OR LGPL-3.0-or-later)"),
    ("GPL-2.0+ and LGPL-2.1+", "GPL-2.0-or-later AND LGPL-2.1-or-later"),
    ("BSD-3-Clause or GPL-2.0", "BSD-3-Clause OR GPL-2.0-only"),
    ("zlib", "Zlib"), ("openssl", "OpenSSL"),  # SPDX ids are case-insensitive (Syft too)
    ("GPL2", "GPL-2.0-only"), ("GPL2+", "GPL-2.0-or-later"),  # Alpine, as Syft maps them
    ("( Apache-2.0 OR MIT ) AND MPL-2.0", "(Apache-2.0 OR MIT) AND MPL-2.0"),
    ("LGPL-2.1-or-later AND LGPL-2.1-or-later WITH GCC-exception-2.0 AND GPL-2.0-or-later",
     "LGPL-2.1-or-later AND LGPL-2.1-or-later WITH GCC-exception-2.0 AND GPL-2.0-or-later"),
])
def test_rpm_and_apk_names_become_spdx(raw: str, spdx: str) -> None:
    assert normalize(raw) == spdx


@pytest.mark.parametrize("raw", [
    "BSD", "Public Domain", "GPLv2+ AND LGPLv2+ AND BSD",  # BSD: which clause count?
    "BSD AND Public Domain AND (ASL 2.0 OR CC0 1.0 OR OpenSSL)", "GPLv2+ WITH exceptions",
    "SUSE-GPL-2.0-with-OSI-exception", "GNU General Public License", "Public-Domain",
    "GPLv2+ and (", "and or with", "(((((" * 50, "ASL 2.0\x00 and MIT",
])
def test_names_without_an_spdx_id_stay_as_written(raw: str) -> None:
    assert normalize(raw) == raw.strip()


def test_rpm_databases_carry_normalised_licences(data_dir: Path) -> None:
    converted: dict[str, str] = {}
    kept: set[str] = set()
    for rel in RPM_DBS:  # their headers give the raw tag
        data = (data_dir / rel).read_bytes()
        reader = (sqlite.read_blobs if rel.endswith(".sqlite")
                  else {b"RpmP": ndb.read_blobs}.get(data[:4], bdb.read_blobs))
        raw = {h.name: h.license for h in (parse_header(b) for _, b in
                                              reader(data).records)}
        name = "rpmdb.sqlite" if rel.endswith(".sqlite") else Path(rel).name
        for pkg in RpmCataloger().parse(f"/var/lib/rpm/{name}", data).packages:
            tag = raw[pkg.name]
            assert pkg.licenses == ((normalize(tag),) if tag else ())
            if tag and pkg.licenses[0] != tag:
                converted[tag] = pkg.licenses[0]
            elif tag:
                kept.add(tag)
    assert converted["GPLv2+ and LGPLv2+"] == "GPL-2.0-or-later AND LGPL-2.0-or-later"
    assert converted["ASL 2.0"] == "Apache-2.0"
    assert len(converted) >= 15, converted
    # what stays raw names a licence SPDX has no id for (or is SPDX already)
    assert all(normalize(k) == k for k in kept)
    assert {k for k in kept if "GPLv" in k or "ASL " in k} <= {
        k for k in kept if "BSD" in k or "Public Domain" in k or "exceptions" in k}


def test_apk_space_separated_list_is_one_licence_per_name(data_dir: Path) -> None:
    rel = "pkgdb/rootfs/syft-image-pkg-coverage/lib/apk/db/installed"
    parsed = ApkCataloger().parse("/lib/apk/db/installed", (data_dir / rel).read_bytes())
    lists = [p.licenses for p in parsed.packages if len(p.licenses) > 1]
    # Syft 1.18 on the same database: BSD, GPL2+ (GPL-2.0-or-later), MIT
    assert lists and all(lic == ("MIT", "BSD", "GPL-2.0-or-later") for lic in lists)
    db = (b"P:x\nV:1\nL:GPL-2.0-only OR MIT\n\nP:y\nV:1\nL:MIT  zlib\n\nP:z\nV:1\nL: \n\n"
          b"P:w\nV:1\nL:" + b"(" * 5000 + b"\n")
    got = {p.name: p.licenses for p in ApkCataloger().parse("/lib/apk/db/installed",
                                                            db).packages}
    assert got == {"x": ("GPL-2.0-only OR MIT",), "y": ("MIT", "Zlib"), "z": (),
                   "w": ("(" * 5000,)}
    # 200,000 distinct "names" on one L: line: one raw value, not 200,000 parses
    names = " ".join(f"n{i}" for i in range(200_000))
    hostile = ApkCataloger().parse("/lib/apk/db/installed",
                                   f"P:h\nV:1\nL:{names}\n".encode()).packages
    assert [p.licenses for p in hostile] == [(names,)]


@pytest.mark.peers
@pytest.mark.slow
def test_rpm_and_apk_licences_against_syft(data_dir: Path, tmp_path: Path) -> None:
    """Syft 1.18 on the same databases: where it gives an SPDX expression ringfence gives
    the same one, and ringfence gives one for more packages (the Fedora/RHEL names Syft
    keeps raw). Measured: rpm 55 of 55 equal, 123 vs 55 SPDX; apk 25 of 25, 27 vs 25."""
    dbs = {f"r{i}/var/lib/rpm/{'rpmdb.sqlite' if r.endswith('.sqlite') else 'Packages'}": r
           for i, r in enumerate(RPM_DBS)}
    dbs |= {f"a{i}/lib/apk/db/installed": r for i, r in enumerate((
        "pkgdb/apk/scalibr/installed", "pkgdb/apk/trivy/lib/apk/db/installed",
        "pkgdb/rootfs/syft-image-pkg-coverage/lib/apk/db/installed"))}
    ours: dict[tuple[str, str], tuple[str, ...]] = {}
    for dest, rel in dbs.items():
        (tmp_path / "root" / dest).parent.mkdir(parents=True)
        (tmp_path / "root" / dest).write_bytes((data_dir / rel).read_bytes())
        cataloger = ApkCataloger() if dest.endswith("installed") else RpmCataloger()
        for pkg in cataloger.parse("/" + dest.split("/", 1)[1],
                                   (data_dir / rel).read_bytes()).packages:
            ours[(dest.split("/")[0], pkg.name)] = pkg.licenses
    out = subprocess.run(["syft", "scan", f"dir:{tmp_path / 'root'}", "-q", "-o", "syft-json"],
                         check=True, capture_output=True, text=True, timeout=600,
                         env={**os.environ, "SYFT_CHECK_FOR_APP_UPDATE": "false"}).stdout
    theirs = {(a["locations"][0]["path"].split("/")[1], a["name"]):
              [lic.get("spdxExpression") or "" for lic in a.get("licenses", [])]
              for a in json.loads(out)["artifacts"] if a["type"] in ("rpm", "apk")}
    # Syft also lists trivy's record without a V: line, which ringfence reports as a problem
    assert set(theirs) - set(ours) == {("a1", "invalidPackageWithoutAVersion")}
    assert set(ours) <= set(theirs)
    spdx_by_syft = {k: v for k, v in theirs.items() if v and all(v)}
    assert {k: sorted(ours[k]) for k in spdx_by_syft} == {
        k: sorted(normalize(x) for x in v) for k, v in spdx_by_syft.items()}
    ours_spdx = [k for k, v in ours.items() if v and all(_is_spdx(x) for x in v)]
    assert len(ours_spdx) > len(spdx_by_syft) + 60  # 150 vs 80
    assert len(spdx_by_syft) >= 70


def _is_spdx(text: str) -> bool:
    from license_expression import get_spdx_licensing  # type: ignore[import-untyped]

    licensing = get_spdx_licensing()
    try:
        expr = licensing.parse(text, validate=True, strict=True)
    except Exception:
        return False
    return expr is not None and not licensing.unknown_license_keys(expr)
