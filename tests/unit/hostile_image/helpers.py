"""Hostile images built at test time, and the CLI run the way CI runs it.

``run_cli`` runs ``ringfence`` in-process through ``main()`` (exit code and stderr);
``run_cli_capped`` runs it in a child process under RLIMIT_AS/RLIMIT_CPU, so a memory
blow-up or a hang fails the test instead of the machine (the caps are resource limits,
not timing assertions).
"""

from __future__ import annotations

import json
import os
import resource
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from ringfence.cli.main import main
from tests.imagebuilder import sha, write_blob

REPO = Path(__file__).resolve().parents[3]


def run_cli(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


def run_cli_capped(*args: str, mem_mib: int = 1536, cpu_s: int = 120,
                   env: dict[str, str] | None = None) -> tuple[int, str, str]:
    """The CLI in a child under RLIMIT_AS and RLIMIT_CPU; the child is always reaped."""

    def limit() -> None:
        resource.setrlimit(resource.RLIMIT_AS, (mem_mib << 20, mem_mib << 20))
        resource.setrlimit(resource.RLIMIT_CPU, (cpu_s, cpu_s))

    code = ("import sys; from ringfence.cli.main import main; sys.exit(main(sys.argv[1:]))")
    proc = subprocess.Popen([sys.executable, "-c", code, *args], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, preexec_fn=limit,
                            cwd=REPO, env={**os.environ, **(env or {})})
    try:
        out, err = proc.communicate(timeout=cpu_s * 2)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
    return proc.returncode, out, err


def assert_one_error(err: str, *names: str) -> str:
    """stderr holds one ``error:`` line naming the input (causes/hints may follow,
    indented) and no traceback."""
    assert "Traceback" not in err, err
    lines = [line for line in err.splitlines() if line and not line.startswith("  ")]
    assert len(lines) == 1 and lines[0].startswith("error: "), err
    for name in names:
        assert name in lines[0], (name, err)
    return lines[0]


def sbom(ref: str, cache: Path | None = None) -> list[str]:
    args = ["sbom", ref, "-f", "json"]
    return args + (["--cache-dir", str(cache)] if cache else ["--no-cache"])


# --- editing a built OCI layout -----------------------------------------------------------

def _blob(root: Path, digest: str) -> Path:
    return root / "blobs" / "sha256" / digest.split(":")[1]


def load_layout(root: Path) -> tuple[dict[str, Any], dict[str, Any], dict[str, Any]]:
    index = json.loads((root / "index.json").read_text())
    manifest = json.loads(_blob(root, index["manifests"][0]["digest"]).read_bytes())
    config = json.loads(_blob(root, manifest["config"]["digest"]).read_bytes())
    return index, manifest, config


def store_layout(root: Path, index: dict[str, Any], manifest: dict[str, Any],
                 config: dict[str, Any] | Any, rewrite_config: bool = True) -> None:
    """Write ``config`` and ``manifest`` as new blobs and point the index at them."""
    cfg = json.dumps(config).encode()
    if rewrite_config and isinstance(manifest.get("config"), dict):
        manifest["config"]["digest"] = write_blob(root, cfg)
        manifest["config"]["size"] = len(cfg)
    mbytes = json.dumps(manifest).encode()
    index["manifests"][0]["digest"] = write_blob(root, mbytes)
    index["manifests"][0]["size"] = len(mbytes)
    (root / "index.json").write_text(json.dumps(index))


def layer_blob(root: Path, i: int = 0) -> Path:
    return _blob(root, load_layout(root)[1]["layers"][i]["digest"])


__all__ = ["sha", "write_blob"]
