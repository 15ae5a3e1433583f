"""Progress on a terminal, nothing otherwise: the CLI runs in a child whose stderr is a
pseudo-terminal (``pty.openpty``, 100 columns) or a pipe, and what reaches stderr is read
back. On the terminal the bar names its stage (``files`` for a directory walk, ``layers``
for an image, the feed file for ``db import``); on a pipe, or with ``-q``, stderr is empty.
"""

from __future__ import annotations

import fcntl
import http.server
import json
import os
import pty
import re
import select
import struct
import subprocess
import sys
import termios
import threading
import time
from pathlib import Path

import pytest

from tests.imagebuilder import DPKG_STATUS, OS_RELEASE, Layer, Member, build_oci

REPO = Path(__file__).resolve().parents[3]


def _run(args: list[str], *, tty: bool, timeout: float = 120) -> tuple[int, bytes]:
    """Exit code and everything the command wrote to stderr."""
    env = {**os.environ, "TERM": "xterm-256color"}
    env.pop("NO_COLOR", None)
    env.pop("RINGFENCE_PASSPHRASE", None)  # the test's keys are not encrypted
    cmd = [sys.executable, "-m", "ringfence.cli.main", *args]
    if not tty:
        proc = subprocess.run(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                              stderr=subprocess.PIPE, env=env, cwd=REPO, timeout=timeout,
                              check=False)
        return proc.returncode, proc.stderr
    master, slave = pty.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 100, 0, 0))
    chunks: list[bytes] = []
    try:
        child = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                 stderr=slave, env=env, cwd=REPO)
        os.close(slave)
        slave = -1
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            ready, _, _ = select.select([master], [], [], 0.5)
            if ready:
                try:
                    data = os.read(master, 65536)
                except OSError:  # EIO: the child closed the terminal
                    break
                if not data:
                    break
                chunks.append(data)
            elif child.poll() is not None:
                break
        code = child.wait(timeout=max(1.0, deadline - time.monotonic()))
    finally:
        if slave >= 0:
            os.close(slave)
        os.close(master)
    return code, b"".join(chunks)


@pytest.fixture(scope="module")
def tree(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("rootfs")
    (root / "etc").mkdir()
    (root / "etc" / "os-release").write_bytes(OS_RELEASE)
    (root / "var" / "lib" / "dpkg").mkdir(parents=True)
    (root / "var" / "lib" / "dpkg" / "status").write_bytes(DPKG_STATUS)
    data = root / "data"
    data.mkdir()
    for i in range(5000):  # more than one tick (4096 entries) of a directory walk
        (data / f"f{i}").write_bytes(b"x")
    return root


def test_sbom_dir_shows_file_progress_on_a_terminal_only(tree: Path, tmp_path: Path) -> None:
    out = tmp_path / "sbom.json"
    args = ["sbom", f"dir:{tree}", "-f", "json", "-o", str(out)]
    code, err = _run(args, tty=True)
    assert code == 0 and b"files" in err, err[-500:]
    assert json.loads(out.read_text())["packages"]
    code, err = _run(args, tty=False)
    assert code == 0 and err == b""
    code, err = _run([*args, "-q"], tty=True)
    assert code == 0 and b"files" not in err


def test_image_sbom_shows_layer_progress_on_a_terminal_only(tmp_path: Path) -> None:
    img = build_oci(tmp_path / "img", [Layer([Member("etc/os-release", OS_RELEASE),
                                              Member("var/lib/dpkg/status", DPKG_STATUS)])])
    args = ["sbom", f"oci:{img}", "-f", "json", "-o", str(tmp_path / "o.json"), "--no-cache"]
    code, err = _run(args, tty=True)
    assert code == 0 and b"layers" in err, err[-500:]
    code, err = _run(args, tty=False)
    assert code == 0 and err == b""


def test_diff_shows_progress_on_a_terminal_only(tree: Path, tmp_path: Path) -> None:
    args = ["diff", f"dir:{tree}", str(tree), "-f", "json", "-o", str(tmp_path / "d.json")]
    code, err = _run(args, tty=True)
    assert code == 0 and b"files" in err, err[-500:]
    code, err = _run(args, tty=False)
    assert code == 0 and err == b""
    code, err = _run([*args, "-q"], tty=True)
    assert code == 0 and b"files" not in err


def test_db_import_shows_the_feed_file_on_a_terminal_only(tmp_path: Path) -> None:
    feed = tmp_path / "feed-one.json"
    feed.write_text(json.dumps({"id": "X-1", "modified": "2024-01-01T00:00:00Z",
                                "affected": []}))
    args = ["db", "import", str(feed), "--db", str(tmp_path / "db.sqlite")]
    code, err = _run(args, tty=True)
    assert code == 0 and b"feed-one.json" in err, err[-500:]
    code, err = _run(args, tty=False)
    assert code == 0 and b"feed-one.json" not in err
    code, err = _run([*args, "-q"], tty=True)
    assert code == 0 and b"feed-one.json" not in err


class _Feed(http.server.BaseHTTPRequestHandler):
    body = b""

    def do_GET(self) -> None:
        if self.path != "/alpine-secdb/v3.10/main.json":
            self.send_error(404)
            return
        self.send_response(200)
        self.send_header("Content-Length", str(len(self.body)))
        self.end_headers()
        self.wfile.write(self.body)

    def log_message(self, *args: object) -> None:
        pass


def test_db_update_shows_the_source_on_a_terminal_only(tmp_path: Path) -> None:
    secdb = {"distroversion": "v3.10", "reponame": "main", "packages": [
        {"pkg": {"name": "zlib", "secfixes": {"1.2.11-r2": ["CVE-2018-25032"]}}}]}
    handler = type("H", (_Feed,), {"body": json.dumps(secdb).encode()})
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        args = ["db", "update", "--url-base", f"http://127.0.0.1:{server.server_address[1]}",
                "--source", "alpine-secdb:v3.10/main", "--db", str(tmp_path / "db.sqlite")]
        code, err = _run(args, tty=True)
        assert code == 0 and b"alpine-secdb:v3.10/main" in err, err[-500:]
        code, err = _run(args, tty=False)
        assert code == 0 and b"alpine-secdb:v3.10/main" not in err, err[-500:]
        code, err = _run([*args, "-q"], tty=True)
        assert code == 0 and b"alpine-secdb:v3.10/main" not in err, err[-500:]
    finally:
        server.shutdown()
        server.server_close()


def test_scan_shows_each_image_and_its_layers_on_a_terminal_only(tmp_path: Path) -> None:
    img = build_oci(tmp_path / "img", [Layer([Member("etc/os-release", OS_RELEASE),
                                              Member("var/lib/dpkg/status", DPKG_STATUS)])])
    manifest = tmp_path / "pod.yaml"
    manifest.write_text("apiVersion: v1\nkind: Pod\nmetadata: {name: web, namespace: app}\n"
                        "spec:\n  containers:\n  - {name: web, image: 'shop/web:1'}\n")
    args = ["scan", "--k8s", str(manifest), "--image-map", f"shop/web:1=oci:{img}",
            "-f", "json", "-o", str(tmp_path / "s.json")]
    code, err = _run(args, tty=True)
    assert code == 0 and b"image 1/1 layers" in err, err[-500:]
    doc = json.loads((tmp_path / "s.json").read_text())
    assert doc["workloads"], "the pod was scanned"
    code, err = _run(args, tty=False)
    assert code == 0 and err == b"", err[-500:]
    code, err = _run([*args, "-q"], tty=True)
    assert code == 0 and b"image 1/1" not in err


def _tiny_image(tmp_path: Path) -> Path:
    return build_oci(tmp_path / "img", [Layer([Member("etc/os-release", OS_RELEASE),
                                              Member("var/lib/dpkg/status", DPKG_STATUS)])])


def test_image_shows_layer_progress_on_a_terminal_only(tmp_path: Path) -> None:
    img = _tiny_image(tmp_path)
    args = ["image", f"oci:{img}", "--no-cache", "--scanners", "secret", "-f", "json",
            "-o", str(tmp_path / "i.json")]
    code, err = _run(args, tty=True)
    assert code == 0 and b"layers" in err, err[-500:]
    assert json.loads((tmp_path / "i.json").read_text())["packages"]
    code, err = _run(args, tty=False)
    assert code == 0 and b"layers" not in err, err[-500:]
    code, err = _run([*args, "-q"], tty=True)
    assert code == 0 and b"layers" not in err, err[-500:]


def test_fleet_shows_its_stages_on_a_terminal_only(tmp_path: Path) -> None:
    img = _tiny_image(tmp_path)
    args = ["fleet", f"oci:{img}", "--workers", "1", "--no-cache", "--scanners", "secret",
            "-f", "json", "-o", str(tmp_path / "f.json")]
    code, err = _run(args, tty=True, timeout=300)
    assert code == 0 and b"images resolved" in err, err[-500:]
    assert json.loads((tmp_path / "f.json").read_text())["images"]
    code, err = _run(args, tty=False, timeout=300)
    assert code == 0 and b"images resolved" not in err, err[-500:]
    code, err = _run([*args, "-q"], tty=True, timeout=300)
    assert code == 0 and b"images resolved" not in err, err[-500:]


def test_host_baseline_create_shows_each_source_on_a_terminal_only(tree: Path,
                                                                   tmp_path: Path) -> None:
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ec

    key = tmp_path / "key.pem"
    key.write_bytes(ec.generate_private_key(ec.SECP256R1()).private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption()))
    out = tmp_path / "baseline.json"
    args = ["host", "baseline", "create", "--root", str(tree), "--key", str(key), "-o",
            str(out)]
    stage = re.compile(rb"host [a-z_]+ .*[0-9]+/[0-9]+")  # a source and its count
    code, err = _run(args, tty=True)
    assert code == 0 and stage.search(err), err[-500:]
    assert out.stat().st_size > 0
    code, err = _run(args, tty=False)
    assert code == 0 and not stage.search(err) and b"baseline of" in err, err[-500:]
    code, err = _run([*args, "-q"], tty=True)
    assert code == 0 and not stage.search(err), err[-500:]
