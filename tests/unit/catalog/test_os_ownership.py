"""Which files each OS package owns (dpkg ``info/*.list``, rpm header file lists, apk
``F:``/``R:``), joined after the layer squash to the language packages whose metadata an OS
package installed; and Debian licences from ``copyright`` joined the same way.

Oracle for rpm: Debian's ``rpm`` itself (``%{FILENAMES}``) on the real databases of
tests/data/pkgdb/rpm. The rest is built here, hostile variants included.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from ringfence.catalog import ownership
from ringfence.catalog.apk.cataloger import ApkCataloger
from ringfence.catalog.dpkg.cataloger import DpkgCataloger
from ringfence.catalog.python.cataloger import PythonInstalledCataloger
from ringfence.catalog.rpm.cataloger import RpmCataloger
from ringfence.layers.merge import merge_layers
from ringfence.layers.result import FileRecord, LayerResult
from ringfence.model.evidence import Evidence
from ringfence.model.package import Location, Package

STATUS = b"""Package: python3-requests
Status: install ok installed
Architecture: all
Version: 2.28.1+dfsg-1
Source: requests

Package: libc6
Status: install ok installed
Architecture: amd64
Multi-Arch: same
Version: 2.36-9

Package: gone
Status: deinstall ok config-files
Architecture: all
Version: 1.0
"""
DIST = "/usr/lib/python3/dist-packages/requests-2.28.1.egg-info"
PIP = "/usr/local/lib/python3.11/dist-packages/requests-2.31.0.dist-info"
LIST = f"/.\n/usr\n/usr/lib/python3/dist-packages\n{DIST}\n{DIST}/PKG-INFO\n".encode()
PKG_INFO = b"Metadata-Version: 2.1\nName: requests\nVersion: 2.28.1\n"
METADATA = b"Metadata-Version: 2.1\nName: requests\nVersion: 2.31.0\n"


def _record(cat: DpkgCataloger | PythonInstalledCataloger | ApkCataloger, path: str,
            data: bytes) -> FileRecord:
    parsed = cat.parse(path, data)
    assert parsed.problems == ()
    return FileRecord(path, cat.name, parsed.packages, parsed.evidence)


def _layer(diff_id: str, *records: FileRecord, whiteouts: tuple[str, ...] = (),
           links: tuple[tuple[str, str], ...] = ()) -> LayerResult:
    return LayerResult(diff_id, records=records, whiteouts=whiteouts,
                       files=tuple(r.path for r in records), links=links)


def _by_path(packages: tuple[Package, ...]) -> dict[str, Package]:
    return {p.locations[0].path: p for p in packages}


def _debian_layer() -> LayerResult:
    dpkg, py = DpkgCataloger(), PythonInstalledCataloger()
    return _layer("sha256:a",
                  _record(dpkg, "/var/lib/dpkg/status", STATUS),
                  _record(dpkg, "/var/lib/dpkg/info/python3-requests.list", LIST),
                  _record(py, f"{DIST}/PKG-INFO", PKG_INFO))


def test_dpkg_wants_list_and_copyright_files_only() -> None:
    dpkg = DpkgCataloger()
    assert dpkg.wants("/var/lib/dpkg/info/libc6:amd64.list", 10)
    assert dpkg.wants("/usr/share/doc/bash/copyright", 10)
    assert dpkg.wants("/srv/chroot/usr/share/doc/bash/copyright", 10)  # a nested root
    assert not dpkg.wants("/var/lib/dpkg/info/libc6:amd64.md5sums", 10)
    assert not dpkg.wants("/var/lib/dpkg/info/sub/x.list", 10)
    assert not dpkg.wants("/usr/share/doc/ca-certificates/examples/x/debian/copyright", 10)
    assert not dpkg.wants("/etc/apt/sources.list", 10)


def test_debian_owned_python_package_gets_its_owner_pip_installed_one_does_not() -> None:
    pip_layer = _layer("sha256:b", _record(PythonInstalledCataloger(), f"{PIP}/METADATA",
                                           METADATA))
    inv = merge_layers([_debian_layer(), pip_layer])
    found = _by_path(inv.packages)
    owner = found["/var/lib/dpkg/status"]
    assert owner.name == "python3-requests"  # sorted first; libc6 is the other deb
    debian = found[f"{DIST}/PKG-INFO"]
    assert debian.owner == owner.purl and debian.owner.startswith("pkg:deb/")
    assert debian.to_dict()["owner"] == owner.purl
    assert found[f"{PIP}/METADATA"].owner is None
    assert Package.from_dict(debian.to_dict()) == debian


def test_ownership_ends_when_a_later_layer_removes_the_list_or_the_package() -> None:
    # the .list whited out: no evidence any more
    gone_list = _layer("sha256:b", whiteouts=("/var/lib/dpkg/info/python3-requests.list",))
    inv = merge_layers([_debian_layer(), gone_list])
    assert _by_path(inv.packages)[f"{DIST}/PKG-INFO"].owner is None
    # the package is no longer installed (its status paragraph is gone): no owner either
    status = STATUS.replace(b"install ok installed\nArchitecture: all",
                            b"deinstall ok config-files\nArchitecture: all", 1)
    removed = _layer("sha256:c", _record(DpkgCataloger(), "/var/lib/dpkg/status", status))
    inv = merge_layers([_debian_layer(), removed])
    assert _by_path(inv.packages)[f"{DIST}/PKG-INFO"].owner is None


def test_a_file_rewritten_after_the_claim_is_not_the_os_packages() -> None:
    # pip --force-reinstall over Debian's egg-info in a later layer: same path, pip's file
    newer = PKG_INFO.replace(b"2.28.1", b"2.31.0")
    overwrite = _layer("sha256:b", _record(PythonInstalledCataloger(), f"{DIST}/PKG-INFO",
                                           newer))
    inv = merge_layers([_debian_layer(), overwrite])
    (pkg,) = [p for p in inv.packages if p.type == "pypi"]
    assert pkg.version == "2.31.0" and pkg.owner is None
    # the database rewritten in a later layer (another package installed; rpm and apk
    # rewrite their one database file every time) still owns the older file
    status = STATUS + b"\nPackage: curl\nStatus: install ok installed\nVersion: 7.88\n" \
                      b"Architecture: amd64\n"
    dpkg = DpkgCataloger()
    later_db = _layer("sha256:c", _record(dpkg, "/var/lib/dpkg/status", status),
                      _record(dpkg, "/var/lib/dpkg/info/python3-requests.list", LIST))
    inv = merge_layers([_debian_layer(), later_db])
    assert _by_path(inv.packages)[f"{DIST}/PKG-INFO"].owner is not None


def test_a_nested_root_owns_nothing_of_the_image_root() -> None:
    # a chroot's dpkg database lists /usr/...: those paths are inside the chroot
    dpkg = DpkgCataloger()
    chroot = _layer("sha256:b",
                    _record(dpkg, "/srv/root/var/lib/dpkg/status", STATUS),
                    _record(dpkg, "/srv/root/var/lib/dpkg/info/python3-requests.list", LIST),
                    _record(PythonInstalledCataloger(), f"/srv/root{DIST}/PKG-INFO",
                            PKG_INFO))
    image_py = _layer("sha256:a", _record(PythonInstalledCataloger(), f"{DIST}/PKG-INFO",
                                          PKG_INFO))
    inv = merge_layers([image_py, chroot])
    found = _by_path(inv.packages)
    assert found[f"{DIST}/PKG-INFO"].owner is None
    assert found[f"/srv/root{DIST}/PKG-INFO"].owner == \
        found["/srv/root/var/lib/dpkg/status"].purl


def test_multiarch_list_names_and_hostile_list_lines() -> None:
    dpkg = DpkgCataloger()
    parsed = dpkg.parse("/var/lib/dpkg/info/libc6:amd64.list",
                        b"/.\n/lib\n/lib/x86_64-linux-gnu/libc.so.6\nrelative/ignored\n"
                        b"\xff\xfe/not-utf8\n/usr/lib/\xff\n")
    (ev,) = parsed.evidence
    assert (ev.type, ev.name, ev.root) == ("deb", "libc6:amd64", "")
    assert ev.files[:2] == ("/lib", "/lib/x86_64-linux-gnu/libc.so.6")
    assert len(ev.files) == 3  # the non-UTF-8 path is kept, the relative lines are not
    libc = Package("libc6", "2.36-9", "deb", "pkg:deb/debian/libc6@2.36-9?arch=amd64",
                   "dpkg", arch="amd64", locations=(Location("/var/lib/dpkg/status"),))
    so = Package("x", "1", "pypi", "pkg:pypi/x@1", "python",
                 locations=(Location("/lib/x86_64-linux-gnu/libc.so.6"),))
    out = ownership.apply([libc, so], [ev])
    assert out[1].owner == libc.purl


def test_too_many_list_lines_is_a_problem_not_unbounded_memory(
        monkeypatch: pytest.MonkeyPatch) -> None:
    from ringfence.catalog.dpkg import cataloger as mod

    monkeypatch.setattr(mod, "MAX_LIST_LINES", 3)
    parsed = DpkgCataloger().parse("/var/lib/dpkg/info/big.list",
                                   b"".join(b"/f%d\n" % i for i in range(10)))
    assert parsed.evidence == () and "more than 3 paths" in parsed.problems[0]


def test_apk_file_lists() -> None:
    db = (b"P:py3-requests\nV:2.31.0-r0\nA:x86_64\nL:Apache-2.0\no:py3-requests\n"
          b"F:usr/lib/python3.11/site-packages/requests-2.31.0.dist-info\nR:METADATA\n"
          b"R:../../escape\nF:usr/bin\nR:req\n\n"
          b"P:musl\nV:1.2.4-r2\nL:MIT\n")
    parsed = ApkCataloger().parse("/lib/apk/db/installed", db)
    (ev,) = parsed.evidence
    assert ev.name == "py3-requests" and ev.files == (
        "/usr/lib/python3.11/site-packages/requests-2.31.0.dist-info/METADATA", "/usr/bin/req")
    assert [p.licenses for p in parsed.packages] == [("Apache-2.0",), ("MIT",)]


def test_apk_real_database_file_count(data_dir: Path) -> None:
    data = (data_dir / "pkgdb/apk/scalibr/installed").read_bytes()
    parsed = ApkCataloger().parse("/lib/apk/db/installed", data)
    r_lines = sum(1 for line in data.decode().splitlines() if line.startswith("R:"))
    assert r_lines > 0
    assert sum(len(e.files) for e in parsed.evidence) == r_lines
    assert all(f.startswith("/") and "//" not in f for e in parsed.evidence for f in e.files)


@pytest.mark.parametrize(("rel", "backend"), [
    ("go-rpmdb/cbl-mariner-2.0/rpmdb.sqlite", "sqlite"),
    ("go-rpmdb/libuuid/Packages", "bdb_ro"),
    ("syft/Packages", "bdb_ro"),
])
def test_rpm_file_lists_equal_rpms_own(data_dir: Path, tmp_path: Path, rel: str,
                                       backend: str) -> None:
    if shutil.which("rpm") is None:
        pytest.skip("rpm is not installed (apt-get install rpm)")
    src = data_dir / "pkgdb/rpm" / rel
    shutil.copy(src, tmp_path / src.name)
    out = subprocess.run(["rpm", "--dbpath", str(tmp_path), "--define",
                          f"_db_backend {backend}", "-qa", "--qf",
                          r"[%{=NAME}\t%{FILENAMES}\n]"],
                         capture_output=True, text=True, check=True)
    want: dict[str, set[str]] = {}
    for line in out.stdout.splitlines():
        name, _, path = line.partition("\t")
        if path and path != "(none)":
            want.setdefault(name, set()).add(path)
    parsed = RpmCataloger().parse("/var/lib/rpm/" + src.name, src.read_bytes())
    got: dict[str, set[str]] = {}
    for ev in parsed.evidence:
        got.setdefault(ev.name, set()).update(ev.files)
    assert want and got == want


def test_rpm_inconsistent_file_list_is_a_problem() -> None:
    from ringfence.catalog.rpm.header import _files, _Reader

    class Fake(_Reader):
        def __init__(self) -> None:
            pass

        def strings(self, tag: int) -> list[str]:
            return {1117: ["a", "b"], 1118: ["/usr/"]}.get(tag, [])

        def int32s(self, tag: int) -> list[int]:
            return [0, 5]  # index 5 of one directory

    from ringfence.catalog.interface import CatalogError

    with pytest.raises(CatalogError, match="inconsistent"):
        _files(Fake())


DEP5 = """Format: https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/
Upstream-Name: demo
License: GPL-2+

Files: *
Copyright: 2020 Someone
License: GPL-2+ or Artistic

Files: lib/*
Copyright: 2021 Other
License: LGPL-2.1+ with OpenSSL exception
 Long text that names /usr/share/common-licenses/LGPL-2.1 as where the text is.

License: BSD-3-clause
 Text of a licence no Files paragraph uses.
"""


def test_dep5_header_and_files_paragraphs_only() -> None:
    from ringfence.catalog.dpkg import copyright as cp

    # SPDX where every name has an SPDX id; kept as written otherwise (no SPDX id for the
    # OpenSSL exception)
    assert cp.licenses(DEP5) == ("GPL-2.0-or-later", "GPL-2.0-or-later OR Artistic-1.0",
                                 "LGPL-2.1+ with OpenSSL exception")
    # not machine-readable: License: lines and the licences it points at, as Syft and Trivy
    free = ("This package is under the GPL, see /usr/share/common-licenses/GPL-2.\n"
            "Docs: /usr/share/common-licenses/GFDL-1.3 and /usr/share/common-licenses/GPL-2\n"
            "License: BSD-3-clause\n")
    assert cp.licenses(free) == ("BSD-3-Clause", "GPL-2.0-only", "GFDL-1.3-only")
    assert cp.licenses("") == () and cp.licenses("\x00\xff garbage\n\n") == ()
    # "License: none" (generated data, "No copyright to license") grants no licence
    none = DEP5 + "\nFiles: tables/*\nCopyright: none\nLicense: none\n No copyright.\n"
    assert cp.licenses(none) == cp.licenses(DEP5)
    assert "nonesuch" in cp.licenses(none.replace("License: none", "License: nonesuch"))
    assert cp.licenses("Format: copyright-format/1.0\nLicense: " + "x" * 500 + "\n") == ()
    # a 1 MiB "licence name" the exception pattern could backtrack over (unbounded, it
    # took seconds per 28 KiB, quadratic): no SPDX id at once, and no licence
    hostile = "a-with-" * (1 << 17) + "b"
    assert cp.to_spdx(hostile) is None
    assert cp.licenses(f"see /usr/share/common-licenses/{hostile}\n") == ()


@pytest.mark.parametrize(("dep5", "spdx"), [
    ("GPL-2+", "GPL-2.0-or-later"), ("GPL-2", "GPL-2.0-only"), ("LGPL-2", "LGPL-2.0-only"),
    ("GPL-2.0+", "GPL-2.0-or-later"), ("GFDL-NIV-1.3+", "GFDL-1.3-no-invariants-or-later"),
    ("Expat", "MIT"), ("BSD-3-clause", "BSD-3-Clause"), ("zlib", "Zlib"),
    ("Apache-2", "Apache-2.0"), ("ISC", "ISC"),
    ("GPL-3+ with Bison exception", "GPL-3.0-or-later WITH Bison-exception-2.2"),
    ("GPL-2 with Linux-syscall-note exception", "GPL-2.0-only WITH Linux-syscall-note"),
    ("Artistic or GPL-1+", "Artistic-1.0 OR GPL-1.0-or-later"),
    ("GPL-2+ or Artistic, and BSD-3-clause",
     "(GPL-2.0-or-later OR Artistic-1.0) AND BSD-3-Clause"),
    ("GPL-3+ and ISC", "GPL-3.0-or-later AND ISC"),
    ("Perl", "(Artistic-1.0-Perl OR GPL-1.0-or-later)"),
    # exceptions SPDX names "<keyword>-exception"; perl's hyphenated spelling
    ("GPL-2+ with Texinfo exception", "GPL-2.0-or-later WITH Texinfo-exception"),
    ("GPL-3+-WITH-BISON-EXCEPTION", "GPL-3.0-or-later WITH Bison-exception-2.2"),
    ("MPL-2", "MPL-2.0"), ("CC-BY-SA-3", "CC-BY-SA-3.0"),  # major only: the ".0" release
    ("CC0 license", "CC0-1.0"), ("Boost", "BSL-1.0"), ("EDL-1.0", "BSD-3-Clause"),
    ("GPL-2+ with distribution exception", None),  # no such SPDX exception
    # no SPDX id: kept as written by the caller
    ("public-domain", None), ("GPL", None), ("GPL-2+ or public-domain", None),
    ("LGPL-2.1+ with OpenSSL exception", None), ("", None),
])
def test_dep5_names_to_spdx(dep5: str, spdx: str | None) -> None:
    from ringfence.catalog.dpkg.copyright import to_spdx

    assert to_spdx(dep5) == spdx


def test_copyright_licences_join_to_the_package_and_through_doc_symlinks() -> None:
    dpkg = DpkgCataloger()
    status = STATUS + b"\nPackage: libgcc-s1\nStatus: install ok installed\n" \
                      b"Architecture: amd64\nVersion: 12.2.0-14\n"
    layer = _layer("sha256:a", _record(dpkg, "/var/lib/dpkg/status", status),
                   _record(dpkg, "/usr/share/doc/python3-requests/copyright", DEP5.encode()),
                   _record(dpkg, "/usr/share/doc/gcc-12-base/copyright", DEP5.encode()),
                   links=(("/usr/share/doc/libgcc-s1", "gcc-12-base"),))
    found = {p.name: p.licenses for p in merge_layers([layer]).packages}
    assert found["python3-requests"] == ("GPL-2.0-or-later", "GPL-2.0-or-later OR Artistic-1.0",
                                         "LGPL-2.1+ with OpenSSL exception")
    assert found["libgcc-s1"] == found["python3-requests"]
    assert found["libc6"] == ()  # no copyright file: no licence, and no guess


def test_doc_symlink_chains_are_followed_and_loops_end() -> None:
    dpkg = DpkgCataloger()
    status = STATUS + b"".join(
        b"\nPackage: %s\nStatus: install ok installed\nArchitecture: amd64\nVersion: 1\n" % n
        for n in (b"binutils-x86-64-linux-gnu", b"libbinutils", b"loop-a", b"loop-b"))
    layer = _layer("sha256:a", _record(dpkg, "/var/lib/dpkg/status", status),
                   _record(dpkg, "/usr/share/doc/binutils-common/copyright", DEP5.encode()),
                   links=(("/usr/share/doc/binutils-x86-64-linux-gnu", "libbinutils"),
                          ("/usr/share/doc/libbinutils", "binutils-common"),
                          ("/usr/share/doc/loop-a", "loop-b"),
                          ("/usr/share/doc/loop-b", "loop-a")))
    found = {p.name: p.licenses for p in merge_layers([layer]).packages}
    assert found["binutils-x86-64-linux-gnu"] == found["libbinutils"] == (
        "GPL-2.0-or-later", "GPL-2.0-or-later OR Artistic-1.0", "LGPL-2.1+ with OpenSSL exception")
    assert found["loop-a"] == found["loop-b"] == ()


def test_evidence_round_trips_through_the_layer_cache_shape() -> None:
    layer = _debian_layer()
    again = LayerResult.from_dict(layer.to_dict())
    assert again == layer
    assert any(r.evidence for r in again.records)
    ev = Evidence("rpm", "bash", "/x", files=("/x/bin/bash",), licenses=("GPLv3+",))
    assert Evidence.from_dict(ev.to_dict()) == ev


def test_owner_is_a_cyclonedx_property_and_survives_reading_the_sbom_back(
        tmp_path: Path) -> None:
    from ringfence.model.result import ScanResult, Target
    from ringfence.sbom.cyclonedx import OWNER, CycloneDxRenderer
    from ringfence.sbom.ingest import read_sbom

    inv = merge_layers([_debian_layer()])
    text = CycloneDxRenderer().render(ScanResult(Target("image", "x"), inv))
    assert f'"name": "{OWNER}"' in text
    path = tmp_path / "bom.cdx.json"
    path.write_text(text)
    back = {p.name: p.owner for p in read_sbom(str(path)).packages}
    assert back["requests"] == _by_path(inv.packages)["/var/lib/dpkg/status"].purl
    assert back["python3-requests"] is None
