#!/usr/bin/env python3
"""Write NAME.contents.txt for a fixture image built by build-images.sh.

    image_contents.py OUTDIR NAME ROOTFS > OUTDIR/NAME.contents.txt

What the image holds, measured with tools independent of ringfence: its manifest and config,
each layer's sizes and entry counts (read from the gzip blobs), the merged root filesystem,
and the exact package lists (``dpkg-query`` on the image's dpkg database; ``pip list`` run by
the image's own python3 in a chroot; ``npm ls`` and the lockfile for /app). Tests compare
ringfence's answers with the ``## dpkg packages``, ``## python distributions visible``,
``## npm tree in /app`` and ``## /app/package-lock.json`` sections: keep those titles.
"""

from __future__ import annotations

import gzip
import json
import os
import stat
import subprocess
import sys
import tarfile
import time
from pathlib import Path
from typing import Any

CHROOT_ENV = ["/usr/bin/env", "-i", "HOME=/root", "LANG=C.UTF-8", "PYTHONDONTWRITEBYTECODE=1",
              "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"]


def blob(layout: Path, digest: str) -> Path:
    algo, hexa = digest.split(":", 1)
    return layout / "blobs" / algo / hexa


def load(path: Path) -> Any:
    return json.loads(path.read_text())


def output(cmd: list[str], cwd: Path | None = None) -> str:
    """stdout and stderr of a command whose failure is itself worth recording."""
    done = subprocess.run(cmd, cwd=cwd, capture_output=True, text=True, check=False)
    return (done.stdout + done.stderr).rstrip("\n")


def layer_row(path: Path) -> tuple[int, int, int, int, int, int, int, int]:
    """compressed, uncompressed, entries, files, dirs, links, whiteouts, file bytes."""
    counts = dict.fromkeys(("entries", "files", "dirs", "links", "wh", "bytes"), 0)
    with gzip.open(path, "rb") as stream, tarfile.open(fileobj=stream, mode="r|") as tar:
        for member in tar:
            counts["entries"] += 1
            if os.path.basename(member.name.rstrip("/")).startswith(".wh."):
                counts["wh"] += 1
            elif member.isreg():
                counts["files"] += 1
                counts["bytes"] += member.size
            elif member.isdir():
                counts["dirs"] += 1
            elif member.issym() or member.islnk():
                counts["links"] += 1
    uncompressed = 0
    with gzip.open(path, "rb") as stream:
        while chunk := stream.read(1 << 20):
            uncompressed += len(chunk)
    return (path.stat().st_size, uncompressed, counts["entries"], counts["files"],
            counts["dirs"], counts["links"], counts["wh"], counts["bytes"])


def image_sections(layout: Path, name: str) -> list[str]:
    index = load(layout / "index.json")
    mdesc = index["manifests"][0]
    manifest = load(blob(layout, mdesc["digest"]))
    config = load(blob(layout, manifest["config"]["digest"]))
    out = [f"## image (OCI layout {name}.oci, tag latest)",
           f"manifest {mdesc['digest']}",
           f"config   {manifest['config']['digest']}",
           f"os/arch  {config.get('os')}/{config.get('architecture')}",
           "config.config " + json.dumps(config.get("config", {}), sort_keys=True),
           "history:"]
    for step in config.get("history", []):
        kind = "(empty)" if step.get("empty_layer") else "(layer)"
        out.append(f"   {kind} {step.get('created_by', step.get('comment', ''))}")
    out += ["", "## layers (compressed = gzip blob bytes; uncompressed = tar stream bytes)",
            f"{'#':<3} {'digest':<19} {'compressed':>12} {'uncompressed':>12} {'entries':>8} "
            f"{'files':>8} {'dirs':>6} {'links':>6} {'wh':>6} {'fileBytes':>9}"]
    total = [0, 0, 0, 0]
    for number, desc in enumerate(manifest["layers"], 1):
        row = layer_row(blob(layout, desc["digest"]))
        total = [t + v for t, v in zip(total, row[:4], strict=True)]
        out.append(f"{number:<3} {desc['digest'][:19]:<19} {row[0]:>12} {row[1]:>12} {row[2]:>8} "
                   f"{row[3]:>8} {row[4]:>6} {row[5]:>6} {row[6]:>6} {row[7]:>9}")
    out.append(f"{'all':<3} {'':<19} {total[0]:>12} {total[1]:>12} {total[2]:>8} {total[3]:>8}")
    return out


def rootfs_sections(outdir: Path, name: str, rootfs: Path) -> list[str]:
    entries = files = size = 0
    for top, dirs, names in os.walk(rootfs):
        for item in dirs + names:
            mode_size = os.lstat(os.path.join(top, item))
            entries += 1
            size += mode_size.st_size
            files += stat.S_ISREG(mode_size.st_mode)
    out = ["## merged root filesystem",
           f"entries {entries}  regular files {files}  apparent bytes {size}", "",
           "## archives"]
    out += [f"{(outdir / f).stat().st_size} {outdir / f}"
            for f in (f"{name}.docker.tar", f"{name}.oci.tar")]
    admindir = str(rootfs / "var/lib/dpkg")
    debs = output(["dpkg-query", f"--admindir={admindir}", "-W",
                   "-f=${Package} ${Version} ${Architecture}\n"]).splitlines()
    out += ["", f"## dpkg packages ({len(debs)})", *debs]
    if (rootfs / "usr/bin/python3").exists():
        pip = [*CHROOT_ENV, "python3", "-m", "pip"]
        out += ["", "## python distributions visible to the image's python3 (pip list)",
                output(["chroot", str(rootfs), *pip, "list", "--format=freeze"]),
                "", "## pip check", output(["chroot", str(rootfs), *pip, "check"])]
    lock = rootfs / "app/package-lock.json"
    if lock.is_file():
        out += ["", "## npm tree in /app (npm ls --all, run on the build host)",
                output(["npm", "ls", "--all"], cwd=lock.parent),
                "", "## /app/package-lock.json entries (path version)"]
        out += [f"{path} {meta.get('version')}"
                for path, meta in load(lock)["packages"].items() if path]
    return out


def main() -> int:
    outdir, name, rootfs = Path(sys.argv[1]), sys.argv[2], Path(sys.argv[3])
    built = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
    lines = [f"# {name}  (built {built} by .ci/build-images.sh)", "",
             *image_sections(outdir / f"{name}.oci", name), "",
             *rootfs_sections(outdir, name, rootfs)]
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    sys.exit(main())
