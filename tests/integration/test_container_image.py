"""The Containerfile: buildah builds ringfence's image from the local wheel, podman runs it the
way `ringfence webhook manifest` deploys it (non-root, read-only root, no capabilities, no new
privileges), and the manifest that points at it passes ringfence's own PSS restricted check.

The base is the bookworm-min fixture image (Debian bookworm from this machine's mirror), so
the build needs only the Debian mirror and PyPI, no container registry.
"""

from __future__ import annotations

import json
import secrets
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from ringfence import __version__

pytestmark = [pytest.mark.slow, pytest.mark.images]

REPO = Path(__file__).resolve().parents[2]
TAG = f"localhost/ringfence:{__version__}"
HOST_CA = Path("/etc/ssl/certs/ca-certificates.crt")
# as the webhook Deployment runs it; explicit ulimits: root lacks CAP_SYS_RESOURCE here
CONFINED = ["--network", "none", "--read-only", "--cap-drop", "all", "--security-opt",
            "no-new-privileges", "--ulimit", "nofile=1024:1024", "--ulimit", "nproc=1024:1024"]


def _unmount_under(base: Path) -> None:
    mounts = [line.split()[1] for line in Path("/proc/self/mounts").read_text().splitlines()]
    for point in sorted((m for m in mounts if m.startswith(f"{base}/")), reverse=True):
        subprocess.run(["umount", "-l", point], capture_output=True, check=False)


@pytest.fixture(scope="module")
def engines() -> Iterator[tuple[list[str], list[str], Path]]:
    """buildah and podman commands sharing one vfs store in a private temp dir."""
    for tool in ("buildah", "podman", "runc"):
        if shutil.which(tool) is None:
            pytest.skip(f"{tool} is not installed (.ci/run installs it)")
    # podman wants a runroot under 50 chars, and the fixture is reached through this
    # directory as an image name: mkdtemp's "_" can follow the "-" ("rfc-_4cj..."), which
    # is not a valid reference component; lower-case hex always is
    base = Path(tempfile.gettempdir()) / f"rfc{secrets.token_hex(6)}"
    base.mkdir(mode=0o700)
    store = ["--root", str(base / "root"), "--runroot", str(base / "run"),
             "--storage-driver", "vfs"]
    buildah = ["buildah", *store]
    podman = ["podman", *store, "--tmpdir", str(base / "tmp"), "--runtime", "runc",
              "--cgroup-manager", "cgroupfs", "--events-backend", "none"]
    try:
        yield buildah, podman, base
    finally:
        subprocess.run([*podman, "rm", "--all", "--force"], capture_output=True, check=False,
                       timeout=120)
        subprocess.run([*buildah, "rm", "--all"], capture_output=True, check=False, timeout=120)
        _unmount_under(base)
        shutil.rmtree(base, ignore_errors=True)


@pytest.fixture(scope="module")
def image(engines: tuple[list[str], list[str], Path], images_dir: Path) -> str:
    buildah, _, base = engines
    context = base / "context"
    (context / "dist").mkdir(parents=True)
    shutil.copy(REPO / "Containerfile", context / "Containerfile")
    wheel = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "-q",
         "-w", str(context / "dist"), str(REPO)],
        capture_output=True, text=True, timeout=300, check=False)
    assert wheel.returncode == 0, wheel.stderr
    ca = (["-v", f"{HOST_CA.parent}:/run/host-certs:ro",
           "--build-arg", f"PIP_CERT=/run/host-certs/{HOST_CA.name}"] if HOST_CA.is_file() else [])
    # a path component that starts with a dot (~/.cache) is not a valid image name for
    # buildah: reach the fixture through a link in the private temp dir
    layout = base / "bookworm-min.oci"
    layout.symlink_to(images_dir / "bookworm-min.oci")
    build = subprocess.run(
        [*buildah, "bud", "--runtime", "runc", "--network", "host", *ca,
         "--build-arg", f"BASE=oci:{layout}:latest",
         "-t", TAG, "-f", str(context / "Containerfile"), str(context)],
        capture_output=True, text=True, timeout=900, check=False)
    assert build.returncode == 0, build.stdout[-3000:] + build.stderr[-3000:]
    return TAG


def _run(engines: tuple[list[str], list[str], Path], image: str, *args: str,
         ) -> subprocess.CompletedProcess[str]:
    _, podman, _ = engines
    return subprocess.run([*podman, "run", "--rm", *CONFINED, image, *args],
                          capture_output=True, text=True, timeout=300, check=False)


def test_image_is_non_root_with_ringfence_as_entrypoint(
        engines: tuple[list[str], list[str], Path], image: str) -> None:
    buildah, _, _ = engines
    done = subprocess.run([*buildah, "inspect", "--type", "image", image],
                          capture_output=True, text=True, timeout=60, check=True)
    config = json.loads(done.stdout)["OCIv1"]["config"]
    assert config["User"] == "65532:65532"
    assert config["Entrypoint"] == ["ringfence"]


def test_version_runs_confined(engines: tuple[list[str], list[str], Path], image: str) -> None:
    done = _run(engines, image, "--version")
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == f"ringfence, version {__version__}"


def test_probe_sees_the_confinement(engines: tuple[list[str], list[str], Path],
                                    image: str) -> None:
    done = _run(engines, image, "probe")
    assert done.returncode == 0, done.stderr
    seen: dict[str, Any] = json.loads(done.stdout)
    assert seen["runtime"] == "podman"
    assert seen["read_only_root"] is True
    assert seen["no_new_privs"] is True
    assert seen["capabilities"]["eff"] == [] and seen["capabilities"]["bnd"] == []
    assert seen["seccomp"]["mode"] == 2


def test_webhook_manifest_points_at_the_image_and_is_restricted(tmp_path: Path) -> None:
    manifest = tmp_path / "webhook.yaml"
    done = subprocess.run(
        [sys.executable, "-m", "ringfence.cli.main", "webhook", "manifest", "--namespace",
         "ringfence-system", "--generate-tls"],
        capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stderr
    manifest.write_text(done.stdout)
    assert f"image: {TAG}" in done.stdout
    report = subprocess.run(
        [sys.executable, "-m", "ringfence.cli.main", "k8s", str(manifest), "-f", "json"],
        capture_output=True, text=True, timeout=120, check=False)
    assert report.returncode == 0, report.stderr
    levels = {w["ref"]: w["pss"] for w in json.loads(report.stdout)["workloads"]}
    assert levels == {"Deployment/ringfence-system/ringfence-webhook": "restricted"}
