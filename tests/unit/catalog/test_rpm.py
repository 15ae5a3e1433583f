"""rpm cataloger: real rpmdb files of go-rpmdb, Syft, osv-scalibr and claircore.

Oracles: go-rpmdb's expected list for the SLE 15 NDB database (Debian's rpm is built
without NDB), Syft's expected package for its BDB fixture, and Debian's ``rpm`` itself
for every database it can open (SQLite and Berkeley DB, on copies in a temp dir).
"""

from __future__ import annotations

import contextlib
import json
import random
import shutil
import sqlite3
import struct
import subprocess
import time
from pathlib import Path

import pytest

from ringfence.catalog import purls
from ringfence.catalog.interface import CatalogError, Parsed
from ringfence.catalog.licenses import normalize
from ringfence.catalog.rpm import bdb, ndb
from ringfence.catalog.rpm.cataloger import RpmCataloger, split_sourcerpm, to_parsed
from ringfence.catalog.rpm.header import Blobs, RpmHeader, parse_header
from ringfence.catalog.rpm.sqlite import read_blobs as sqlite_blobs

RPM = "pkgdb/rpm"
NDB = f"{RPM}/go-rpmdb/sle15-bci/Packages.db"
SQLITE = f"{RPM}/go-rpmdb/cbl-mariner-2.0/rpmdb.sqlite"
BDB = (f"{RPM}/go-rpmdb/libuuid/Packages", f"{RPM}/syft/Packages",
       f"{RPM}/scalibr/Packages_epoch")
HEADER = f"{RPM}/claircore/package.header"
FIELDS = ("EPOCH", "NAME", "VERSION", "RELEASE", "ARCH", "SOURCERPM", "LICENSE", "VENDOR",
          "MODULARITYLABEL", "SIZE", "SIGMD5")


def _headers(data: bytes) -> list[RpmHeader]:
    reader = {b"RpmP": ndb.read_blobs}.get(data[:4], bdb.read_blobs)
    blobs = reader(data)
    assert blobs.problems == ()
    return [parse_header(blob) for _, blob in blobs.records]


def _as_rpm_prints(h: RpmHeader) -> tuple[str, ...]:
    values = (h.epoch, h.name, h.version, h.release, h.arch, h.sourcerpm, h.license,
              h.vendor, h.modularitylabel, h.size, h.sigmd5)
    return tuple("(none)" if v is None else str(v) for v in values)


def _rpm_qa(dbpath: Path, backend: str) -> list[tuple[str, ...]]:
    if shutil.which("rpm") is None:
        pytest.skip("rpm is not installed (apt-get install rpm)")
    qf = "|".join(f"%{{{f}}}" for f in FIELDS) + r"\n"
    out = subprocess.run(["rpm", "--dbpath", str(dbpath), "--define", f"_db_backend {backend}",
                          "-qa", "--qf", qf], capture_output=True, text=True, check=True)
    return sorted(tuple(line.split("|")) for line in out.stdout.splitlines())


def _copy(src: Path, dst_dir: Path, name: str) -> Path:
    dst_dir.mkdir()
    shutil.copyfile(src, dst_dir / name)
    return dst_dir


# --- ground truth -------------------------------------------------------------------

def test_ndb_matches_go_rpmdb_expected_list(data_dir: Path) -> None:
    golden = json.loads((data_dir / "golden/go-rpmdb/sle15-bci.Packages.db.expected.json")
                        .read_text())["packages"]
    got = _headers((data_dir / NDB).read_bytes())
    assert len(got) == len(golden) == 35
    for h, want in zip(got, golden, strict=True):  # same order: rpm lists by package index
        assert (h.epoch, h.name, h.version, h.release, h.arch, h.sourcerpm, h.size,
                h.license, h.vendor, h.summary, h.sigmd5) == (
            want["epoch"], want["name"], want["version"], want["release"], want["arch"],
            want["sourcerpm"], want["size"], want["license"], want["vendor"],
            want["summary"], want["sigmd5"])
        # go-rpmdb writes an absent MODULARITYLABEL as ""; we keep it absent (None).
        assert (h.modularitylabel or "") == want["modularitylabel"]


def test_ndb_cataloger_packages(data_dir: Path) -> None:
    golden = json.loads((data_dir / "golden/go-rpmdb/sle15-bci.Packages.db.expected.json")
                        .read_text())["packages"]
    parsed = RpmCataloger().parse("/var/lib/rpm/Packages.db", (data_dir / NDB).read_bytes())
    assert parsed.problems == ()
    got = {(p.name, p.version, p.arch, p.licenses) for p in parsed.packages}
    # licences through the one normaliser (the golden file has the raw tag)
    assert got == {(w["name"], f"{w['version']}-{w['release']}", w["arch"],
                    (normalize(w["license"]),)) for w in golden}
    libstdcxx = next(p for p in parsed.packages if p.name == "libstdc++6")
    assert (libstdcxx.source_name, libstdcxx.source_version) == ("gcc11", "11.2.1+git610-1.3.9")


def test_syft_bdb_expected_package(data_dir: Path) -> None:
    cases = json.loads((data_dir / "golden/syft-image-pkg-coverage.expected.json")
                       .read_text())["cases"]["commonTestCases"]
    want = next(c for c in cases if c["pkgType"] == "RpmPkg")["packages"]
    parsed = RpmCataloger().parse("/var/lib/rpm/Packages", (data_dir / BDB[1]).read_bytes())
    assert {p.name: p.version for p in parsed.packages} == want


# --- Debian's rpm as the oracle ------------------------------------------------------

def test_sqlite_matches_rpm(data_dir: Path, tmp_path: Path) -> None:
    data = (data_dir / SQLITE).read_bytes()
    want = _rpm_qa(_copy(data_dir / SQLITE, tmp_path / "db", "rpmdb.sqlite"), "sqlite")
    parsed = RpmCataloger().parse("/var/lib/rpm/rpmdb.sqlite", data)
    assert parsed.problems == ()
    got = sorted(_as_rpm_prints(parse_header(b)) for _, b in sqlite_blobs(data).records)
    assert len(got) == len(parsed.packages) == 129
    assert got == want


@pytest.mark.parametrize("rel", BDB)
def test_bdb_matches_rpm(data_dir: Path, tmp_path: Path, rel: str) -> None:
    want = _rpm_qa(_copy(data_dir / rel, tmp_path / "db", "Packages"), "bdb_ro")
    got = sorted(_as_rpm_prints(h) for h in _headers((data_dir / rel).read_bytes()))
    assert len(got) == 1
    assert got == want


def test_claircore_header_matches_rpm(data_dir: Path, tmp_path: Path) -> None:
    """Wrap the lone header in a fresh sqlite rpmdb so that rpm can read it."""
    blob = (data_dir / HEADER).read_bytes()
    db = tmp_path / "db"
    if shutil.which("rpm") is None:
        pytest.skip("rpm is not installed")
    subprocess.run(["rpm", "--dbpath", str(db), "--define", "_db_backend sqlite", "--initdb"],
                   check=True)
    with sqlite3.connect(db / "rpmdb.sqlite") as conn:
        conn.execute("INSERT INTO Packages (hnum, blob) VALUES (1, ?)", (blob,))
    conn.close()
    assert [_as_rpm_prints(parse_header(blob))] == _rpm_qa(db, "sqlite")


def test_epoch_in_version_and_purl(data_dir: Path, tmp_path: Path) -> None:
    rel = BDB[2]
    epoch, name, version, release, *_ = _rpm_qa(
        _copy(data_dir / rel, tmp_path / "db", "Packages"), "bdb_ro")[0]
    assert epoch != "(none)"
    (pkg,) = RpmCataloger().parse("/var/lib/rpm/Packages", (data_dir / rel).read_bytes()).packages
    assert pkg.version == f"{epoch}:{version}-{release}"
    assert pkg.source_version == f"{epoch}:{version}-{release}"
    assert f"@{version}-{release}?" in pkg.purl and f"epoch={epoch}" in pkg.purl
    requalified = purls.with_distro(pkg.purl, "rocky", "rocky-9")
    assert requalified.startswith(f"pkg:rpm/rocky/{name}@") and "distro=rocky-9" in requalified


def test_database_without_packages_table_is_unknown(data_dir: Path) -> None:
    data = (data_dir / f"{RPM}/claircore/no_packages.sqlite").read_bytes()
    with pytest.raises(CatalogError, match="no Packages table"):
        RpmCataloger().parse("/var/lib/rpm/rpmdb.sqlite", data)


# --- synthetic headers and edge cases ---------------------------------------------------

def _blob(*entries: tuple[int, int, bytes, int]) -> bytes:
    """An rpm header blob from ``(tag, type, payload, count)``, with INT32 data aligned."""
    index, data = b"", b""
    for tag, type_, payload, count in entries:
        if type_ == 4:
            data += b"\0" * (-len(data) % 4)
        index += struct.pack(">iIiI", tag, type_, len(data), count)
        data += payload
    return struct.pack(">II", len(entries), len(data)) + index + data


def _s(tag: int, text: str) -> tuple[int, int, bytes, int]:
    return (tag, 6, text.encode() + b"\0", 1)


def test_gpg_pubkey_is_kept_like_syft_and_trivy() -> None:
    blob = _blob(_s(1000, "gpg-pubkey"), _s(1001, "5323552a"), _s(1002, "6112bcdc"),
                 _s(1014, "pubkey"))
    (pkg,) = to_parsed("/var/lib/rpm/rpmdb.sqlite", Blobs(((1, blob),))).packages
    assert (pkg.name, pkg.version, pkg.arch, pkg.source_name) == (
        "gpg-pubkey", "5323552a-6112bcdc", None, None)
    assert pkg.purl == "pkg:rpm/redhat/gpg-pubkey@5323552a-6112bcdc"


def test_later_dribble_entry_replaces_earlier_and_epoch_zero_is_kept() -> None:
    blob = _blob(_s(1000, "old"), _s(1001, "1.0"), _s(1002, "1"),
                 (1003, 4, struct.pack(">i", 0), 1), _s(1000, "new"))
    h = parse_header(blob)
    assert (h.name, h.epoch) == ("new", 0)
    (pkg,) = to_parsed("/p", Blobs(((1, blob),))).packages
    assert pkg.version == "0:1.0-1"  # an explicit epoch 0 is printed, as Syft does


@pytest.mark.parametrize(("blob", "match"), [
    (b"\0\0\0", "too short"),
    (struct.pack(">II", 0, 0), "implausible"),
    (struct.pack(">II", 0x10000, 0), "implausible"),
    (struct.pack(">II", 1, 100) + b"\0" * 16, "truncated"),
    (_blob((1000, 6, b"no-nul", 1)), "not terminated"),
    (_blob((1000, 6, b"x\0", 1), (1001, 12, b"", 1)), "corrupt"),
    (_blob(_s(1001, "1"), _s(1002, "1")), "without NAME"),
    (_blob(_s(1000, "n"), _s(1001, "1"), _s(1002, "1"), (1003, 6, b"1\0", 1)), "not an int"),
])
def test_bad_headers_raise_catalog_error(blob: bytes, match: str) -> None:
    with pytest.raises(CatalogError, match=match):
        parse_header(blob)


def test_misaligned_int_is_rejected() -> None:
    blob = bytearray(_blob(_s(1000, "n"), (1003, 4, b"\0\0\0\1", 1)))
    struct.pack_into(">i", blob, 8 + 16 + 8, 1)  # EPOCH offset 4 -> 1
    with pytest.raises(CatalogError, match="misaligned"):
        parse_header(bytes(blob))


def test_split_sourcerpm() -> None:
    assert split_sourcerpm("util-linux-2.32.1-42.el8_8.src.rpm") == ("util-linux",
                                                                     "2.32.1-42.el8_8")
    assert split_sourcerpm("kernel-5.14-1.nosrc.rpm") == ("kernel", "5.14-1")
    assert split_sourcerpm("broken.src.rpm") is None
    assert split_sourcerpm("a-1.src.rpm") is None


def test_wants() -> None:
    c = RpmCataloger()
    for path in ("/var/lib/rpm/Packages", "/var/lib/rpm/Packages.db",
                 "/var/lib/rpm/rpmdb.sqlite", "/usr/lib/sysimage/rpm/rpmdb.sqlite",
                 "/usr/lib/sysimage/rpm/Packages", "/x/var/lib/rpm/Packages"):
        assert c.wants(path, 1)  # nested roots too, as Syft's **/var/lib/rpm/Packages
    for path in ("/var/lib/rpm/rpmdb.sqlite-wal", "/var/lib/rpm/Name",
                 "/var/lib/rpmPackages"):
        assert not c.wants(path, 1)


def test_unknown_format_is_catalog_error() -> None:
    with pytest.raises(CatalogError, match="not an rpm database"):
        RpmCataloger().parse("/var/lib/rpm/Packages", b"\0" * 8192)


# --- corrupt and truncated databases: CatalogError or problems, never a crash or hang ---

def _survives(data: bytes) -> Parsed | None:
    try:
        return RpmCataloger().parse("/var/lib/rpm/Packages", data)
    except CatalogError:
        return None


@pytest.mark.parametrize("rel", [NDB, SQLITE, *BDB])
def test_truncated_databases(data_dir: Path, rel: str) -> None:
    data = (data_dir / rel).read_bytes()
    for cut in (0, 10, 40, 100, 4096, len(data) // 3, len(data) // 2, len(data) - 1):
        _survives(data[:cut])


@pytest.mark.parametrize("rel", [NDB, *BDB, HEADER])
def test_random_corruption_is_bounded(data_dir: Path, rel: str) -> None:
    data = (data_dir / rel).read_bytes()
    rng = random.Random(rel)  # noqa: S311 -- a reproducible fuzz seed, not cryptography
    started = time.monotonic()
    for _ in range(150):
        bad = bytearray(data)
        for _ in range(rng.randint(1, 8)):
            bad[rng.randrange(len(bad))] = rng.randrange(256)
        if rel == HEADER:
            with contextlib.suppress(CatalogError):
                parse_header(bytes(bad))
        else:
            _survives(bytes(bad))
    assert time.monotonic() - started < 10


def test_corrupt_sqlite_is_catalog_error_or_problems(data_dir: Path) -> None:
    data = (data_dir / SQLITE).read_bytes()
    rng = random.Random(7)  # noqa: S311 -- a reproducible fuzz seed, not cryptography
    for _ in range(15):
        bad = bytearray(data)
        start = rng.randrange(100, len(bad) - 4096)
        bad[start:start + 4096] = rng.randbytes(4096)
        _survives(bytes(bad))


def test_bdb_overflow_loop_is_a_problem(data_dir: Path) -> None:
    data = bytearray((data_dir / BDB[0]).read_bytes())
    size = struct.unpack_from("<I", data, 20)[0]
    looped = 0
    for pgno in range(1, len(data) // size):
        off = pgno * size
        if data[off + 25] == 7 and struct.unpack_from("<I", data, off + 16)[0]:
            struct.pack_into("<I", data, off + 16, pgno)  # next page -> itself
            looped += 1
    assert looped
    parsed = RpmCataloger().parse("/var/lib/rpm/Packages", bytes(data))
    assert parsed.packages == ()
    assert any("overflow chain" in p for p in parsed.problems)


def test_ndb_blob_outside_file_is_a_problem(data_dir: Path) -> None:
    data = bytearray((data_dir / NDB).read_bytes())
    struct.pack_into("<I", data, 32 + 8, 0x0FFFFFFF)  # first slot's block offset
    parsed = RpmCataloger().parse("/var/lib/rpm/Packages.db", bytes(data))
    assert len(parsed.packages) == 34
    assert any("outside the file" in p for p in parsed.problems)
