"""dockerd's command line from docker.service and its drop-ins, docker.socket listeners."""

from __future__ import annotations

from pathlib import Path

import pytest

from ringfence.checks.engine import run_checks
from ringfence.host.dockerd_unit import SERVICE, SOCKET, dockerd_unit, is_tcp
from ringfence.host.gather import gather_host_facts
from ringfence.host.rules import HOST_CHECKS

UNIT = "/lib/systemd/system/docker.service"
DROPIN = "/etc/systemd/system/docker.service.d/override.conf"


def _service(*texts: str) -> list[tuple[str, str]]:
    return [(UNIT, texts[0]), *((DROPIN, t) for t in texts[1:])]


@pytest.mark.parametrize(("address", "tcp"), [
    ("tcp://0.0.0.0:2375", True), ("0.0.0.0:2375", True), (":2375", True),
    ("unix:///var/run/docker.sock", False), ("fd://", False), ("ssh://me@host", False),
    ("", False)])
def test_is_tcp_as_dockerd_parses_hosts(address: str, tcp: bool) -> None:
    assert is_tcp(address) is tcp


@pytest.mark.parametrize("flags", [
    "-H tcp://0.0.0.0:2375", "-H=tcp://0.0.0.0:2375", "-Htcp://0.0.0.0:2375",
    "--host tcp://0.0.0.0:2375", "--host=0.0.0.0:2375", "-H fd:// --tlsverify=false -H :2375"])
def test_every_spelling_of_a_tcp_host_is_read(flags: str) -> None:
    unit = dockerd_unit(_service(f"[Service]\nExecStart=/usr/bin/dockerd {flags}\n"), [])
    assert unit is not None and len(unit.tcp_hosts) == 1 and not unit.tls_verify
    assert unit.tcp_hosts[0][1:] == (UNIT, SERVICE)


def test_drop_in_reset_and_continuation_lines() -> None:
    unit = dockerd_unit(_service(
        "[Service]\nExecStart=/usr/bin/dockerd -H tcp://0.0.0.0:2375\n",
        "[Service]\nExecStart=\nExecStart=-/usr/bin/dockerd -H fd:// \\\n"
        "  -H tcp://10.1.1.1:2376 \\\n  --tlsverify\n"), [])
    assert unit is not None and unit.tls_verify
    assert unit.tcp_hosts == (("tcp://10.1.1.1:2376", DROPIN, SERVICE),)


def test_unsplittable_exec_start_reads_no_host() -> None:
    unit = dockerd_unit(_service("[Service]\nExecStart=/usr/bin/dockerd -H 'tcp://x:1\n"), [])
    assert unit is not None and unit.tcp_hosts == ()


def test_socket_listeners_and_reset() -> None:
    sock = "/lib/systemd/system/docker.socket"
    drop = "/etc/systemd/system/docker.socket.d/tcp.conf"
    unit = dockerd_unit([], [(sock, "[Socket]\nListenStream=/run/docker.sock\n"
                                    "ListenStream=2375\n"),
                             (drop, "[Socket]\nListenStream=[::]:2376\nListenStream=@abstract\n")])
    assert unit is not None
    assert unit.tcp_hosts == (("tcp://2375", sock, SOCKET), ("tcp://[::]:2376", drop, SOCKET))
    reset = dockerd_unit([], [(sock, "[Socket]\nListenStream=2375\n"),
                              (drop, "[Socket]\nListenStream=\n")])
    assert reset is not None and reset.tcp_hosts == ()


def test_no_units_is_none() -> None:
    assert dockerd_unit([], []) is None


def test_options_set_only_as_flags_hold(tmp_path: Path) -> None:
    """dockerd refuses an option both in daemon.json and as a flag: a unit that sets the CIS
    options as flags beside a daemon.json without them is a hardened daemon."""
    (tmp_path / "etc/docker").mkdir(parents=True)
    (tmp_path / "etc/docker/daemon.json").write_text('{"log-level": "info"}\n')
    unit = tmp_path / "lib/systemd/system/docker.service"
    unit.parent.mkdir(parents=True)
    unit.write_text("[Service]\nExecStart=/usr/bin/dockerd -H fd:// --icc=false "
                    "--userns-remap default --no-new-privileges --live-restore "
                    "--log-driver=journald -H tcp://0.0.0.0:2376 --tlsverify\n")
    checks = [c for c in HOST_CHECKS if "HOST-030" <= c.rule.id <= "HOST-035"]
    run = run_checks(checks, gather_host_facts(tmp_path, live=False))
    assert len(run.evaluated) == 6 and run.findings == ()
    unit.write_text("[Service]\nExecStart=/usr/bin/dockerd -H fd:// -H tcp://0.0.0.0:2376\n")
    run = run_checks(checks, gather_host_facts(tmp_path, live=False))
    assert run.failed() == {"HOST-030", "HOST-031", "HOST-032", "HOST-033", "HOST-035"}
