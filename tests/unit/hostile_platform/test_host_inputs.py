"""Hostile host configuration under ``ringfence host --root DIR`` (issue 18): sshd
``Include`` fan-out and recursion, deep and wrongly typed runtime configs (containerd
config.toml, registries.conf, daemon.json). Each is an Unknown naming the file, in bounded
time, and never a traceback."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from tests.unit.hostile_platform.cli import run_child


def _host(root: Path) -> tuple[int, dict[str, Any], str]:
    got = run_child("host", "--root", str(root), "-f", "json", "--strict", timeout=120)
    assert "Traceback" not in got.err, got.err[-3000:]
    return got.rc, got.json(), got.err


def _sshd(root: Path, main: str) -> Path:
    ssh = root / "etc" / "ssh"
    ssh.mkdir(parents=True)
    (ssh / "sshd_config").write_text(main)
    return ssh


def test_self_including_glob_is_an_unknown(tmp_path: Path) -> None:
    ssh = _sshd(tmp_path, "Include sshd_config.d/*.conf\nPermitRootLogin no\n")
    (ssh / "sshd_config.d").mkdir()
    for i in range(10):  # each includes all ten: 10**16 files before sshd's depth limit
        (ssh / "sshd_config.d" / f"{i}.conf").write_text(
            "Include /etc/ssh/sshd_config.d/*.conf\n")
    rc, doc, _ = _host(tmp_path)
    assert rc == 4
    (unknown,) = [u for u in doc["unknowns"] if "/etc/ssh" in u["location"]]
    assert "Include nested deeper than 16 levels" in unknown["reason"]


def test_layered_fan_out_is_capped(tmp_path: Path) -> None:
    ssh = _sshd(tmp_path, "Include l0/*.conf\n")
    for level in range(15):  # 10 files per level, each including all of the next level
        d = ssh / f"l{level}"
        d.mkdir()
        for i in range(10):
            (d / f"{i}.conf").write_text(f"Include /etc/ssh/l{level + 1}/*.conf\n"
                                         "PermitRootLogin yes\n")
    rc, doc, _ = _host(tmp_path)
    assert rc == 4
    (unknown,) = [u for u in doc["unknowns"] if "/etc/ssh" in u["location"]]
    assert "Include fan-out: more than 1024 files" in unknown["reason"]


def test_glob_matching_thousands_of_files_is_capped(tmp_path: Path) -> None:
    ssh = _sshd(tmp_path, "Include many/*.conf\n")
    (ssh / "many").mkdir()
    for i in range(5_000):
        (ssh / "many" / f"{i:05d}.conf").write_text("X11Forwarding yes\n")
    rc, doc, _ = _host(tmp_path)
    assert rc == 4
    (unknown,) = [u for u in doc["unknowns"] if "/etc/ssh" in u["location"]]
    assert "more than 1024 files" in unknown["reason"]


def test_a_few_includes_still_parse(tmp_path: Path) -> None:
    ssh = _sshd(tmp_path, "Include a/*.conf\nInclude a/*.conf\n")
    (ssh / "a").mkdir()
    (ssh / "a" / "1.conf").write_text("PermitRootLogin yes\n")
    _, doc, _ = _host(tmp_path)
    assert not [u for u in doc["unknowns"] if "/etc/ssh" in u["location"]]
    assert any(f["rule"].startswith("HOST") and "PermitRootLogin" in f["message"]
               for f in doc["findings"]), doc["findings"]


# built in the test: a huge parameter would also end up in PYTEST_CURRENT_TEST
DEEP: dict[str, tuple[str, Callable[[], str]]] = {
    "toml-arrays": ("etc/containerd/config.toml",
                    lambda: "a = " + "[" * 50_000 + "]" * 50_000 + "\n"),
    "toml-tables": ("etc/containerd/config.toml",
                    lambda: "a = " + "{b = " * 5_000 + "1" + "}" * 5_000 + "\n"),
    "json": ("etc/docker/daemon.json", lambda: "[" * 100_000 + "]" * 100_000),
}


@pytest.mark.parametrize("kind", sorted(DEEP))
def test_deep_runtime_configs_are_unknowns(tmp_path: Path, kind: str) -> None:
    path, text = DEEP[kind]
    f = tmp_path / path
    f.parent.mkdir(parents=True)
    f.write_text(text())
    rc, doc, _ = _host(tmp_path)
    assert rc == 4
    (unknown,) = [u for u in doc["unknowns"] if u["location"] == "/" + path]
    assert "nested too deeply" in unknown["reason"]


def test_wrongly_typed_registries_conf_is_read_without_a_traceback(tmp_path: Path) -> None:
    f = tmp_path / "etc/containers/registries.conf"
    f.parent.mkdir(parents=True)
    f.write_text('unqualified-search-registries = [["a", ["b"]], 1]\n'
                 'short-name-mode = ["x"]\n'
                 '[[registry]]\nlocation = [[[[1]]]]\ninsecure = true\nmirror = 5\n'
                 '[[registry]]\nprefix = "ok"\nmirror = "x"\n')
    d = tmp_path / "etc/docker/daemon.json"
    d.parent.mkdir(parents=True)
    d.write_text('{"hosts": {"a": 1}, "log-driver": [[[]]], "userns-remap": {"x": 1}, '
                 '"insecure-registries": [{"a": [1]}]}')
    rc, doc, err = _host(tmp_path)
    assert rc in (0, 1, 4), err
    assert not [u for u in doc["unknowns"] if "registries.conf" in u["location"]
                or "daemon.json" in u["location"]]
