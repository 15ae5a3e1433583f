"""rpm ``License`` and apk ``L:`` through the one normaliser (catalog/licenses.py).

Oracles: Fedora/RHEL's legacy short names (``GPLv2+``, ``ASL 2.0``, ``LGPLv2.1``) as its
licence list defined them, Alpine's pre-SPDX names and space-separated lists as Syft 1.18
reads them (``GPL2+`` -> ``GPL-2.0-or-later``; ``MIT BSD GPL2+`` -> three licences), and
Syft's ``spdxExpression`` for the tags that already are SPDX. Every raw tag below is one
found in the rpm/apk databases under ``tests/data/pkgdb``. A tag with a name that has no
SPDX identifier (``BSD``, ``Public Domain``) is kept exactly as written.
"""

from __future__ import annotations

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
