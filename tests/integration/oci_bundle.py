"""Real OCI bundles for container tests: a busybox-static rootfs, ``runc spec`` config, and a
runner for runc or crun that always tears the container down."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import uuid
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import pytest

BUSYBOX = Path("/bin/busybox")
# crun refuses this machine's hybrid cgroups unless the unified controllers file is hidden
CRUN_WRAPPER = ("unshare", "-m", "--", "sh", "-c",
                "mount --bind /dev/null /sys/fs/cgroup/unified/cgroup.controllers 2>/dev/null;"
                ' exec "$@"', "sh")


def runtime_params() -> list[Any]:
    marks = {rt: pytest.mark.skipif(os.geteuid() != 0 or shutil.which(rt) is None
                                    or not BUSYBOX.is_file(),
                                    reason=f"needs root, {rt} and busybox-static")
             for rt in ("runc", "crun")}
    return [pytest.param(rt, marks=marks[rt], id=rt) for rt in ("runc", "crun")]


def wrapper(runtime: str) -> tuple[str, ...]:
    return CRUN_WRAPPER if runtime == "crun" else ()


def busybox_bundle(where: Path, args: Sequence[str],
                   edit: Callable[[dict[str, Any]], None] | None = None) -> Path:
    rootfs = where / "rootfs"
    (rootfs / "bin").mkdir(parents=True)
    for d in ("proc", "dev", "sys", "tmp", "etc"):
        (rootfs / d).mkdir()
    shutil.copy2(BUSYBOX, rootfs / "bin" / "busybox")
    applets = subprocess.run([str(BUSYBOX), "--list"], capture_output=True, text=True,
                             check=True).stdout.split()
    for applet in applets:
        if applet != "busybox":
            (rootfs / "bin" / applet).symlink_to("busybox")
    subprocess.run(["runc", "spec"], cwd=where, check=True)
    config = json.loads((where / "config.json").read_text())
    config["process"]["terminal"] = False
    config["process"]["args"] = list(args)
    config["mounts"].append({"destination": "/tmp", "type": "tmpfs", "source": "tmpfs",
                             "options": ["nosuid", "nodev", "mode=1777", "size=8m"]})
    if edit is not None:
        edit(config)
    (where / "config.json").write_text(json.dumps(config, indent=1))
    return where


def set_config(bundle: Path, edit: Callable[[dict[str, Any]], None]) -> None:
    config = json.loads((bundle / "config.json").read_text())
    edit(config)
    (bundle / "config.json").write_text(json.dumps(config, indent=1))


def run_bundle(bundle: Path, runtime: str, timeout: float = 60,
               ) -> subprocess.CompletedProcess[str]:
    state = bundle.parent / f"state-{runtime}"
    cid = f"rf-test-{uuid.uuid4().hex[:10]}"
    base = [*wrapper(runtime), runtime, "--root", str(state)]
    try:
        return subprocess.run([*base, "run", "--bundle", str(bundle), cid],
                              capture_output=True, text=True, timeout=timeout,
                              stdin=subprocess.DEVNULL, check=False)
    finally:
        subprocess.run([*base, "delete", "-f", cid], capture_output=True, check=False)
