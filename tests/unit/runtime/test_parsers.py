"""Parsers against inspect JSON and config.json captured from real podman 4.3.1 containers
(tests/unit/runtime/fixtures: podman inspect, docker inspect through podman's Docker API, and
the config.json podman handed runc) for four containers: default, weak (cap-add SYS_ADMIN and
SYS_PTRACE, seccomp=unconfined, label=disable, ipc/uts host, /etc and rshared /run binds),
hardened (cap-drop ALL + NET_BIND_SERVICE, no-new-privileges, read-only, user 1000, memory,
pids, cpus) and priv (--privileged), plus socky (a docker.sock bind, --pids-limit -1)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from ringfence.errors import InputError
from ringfence.runtime import caps
from ringfence.runtime.load import load_file, parse_document
from ringfence.runtime.parse_oci import SpecError

FX = Path(__file__).parent / "fixtures"
FORMATS = ("docker", "podman", "oci")


def _one(name: str) -> object:
    (spec,) = load_file(FX / f"{name}.json")
    return spec


@pytest.mark.parametrize("fmt", FORMATS)
def test_the_three_formats_agree_on_each_container(fmt: str) -> None:
    default, weak, hard, priv = (load_file(FX / f"{fmt}-{n}.json")[0]
                                 for n in ("default", "weak", "hardened", "priv"))
    assert default.capabilities == caps.PODMAN_DEFAULT
    assert weak.capabilities == caps.PODMAN_DEFAULT | {"CAP_SYS_ADMIN", "CAP_SYS_PTRACE"}
    assert hard.capabilities == {"CAP_NET_BIND_SERVICE"}
    # root here lacks CAP_SYS_RESOURCE, so podman drops it even for --privileged
    assert priv.privileged and priv.capabilities == caps.ALL - {"CAP_SYS_RESOURCE"}
    assert weak.seccomp.mode == priv.seccomp.mode == "unconfined"
    assert default.seccomp.mode == ("profile" if fmt == "oci" else "default")
    assert weak.selinux_disabled and not default.selinux_disabled
    assert (hard.no_new_privileges, hard.read_only_rootfs, hard.runs_as_root) == (True, True,
                                                                                 False)
    assert (default.no_new_privileges, default.read_only_rootfs, default.runs_as_root) == (
        False, False, True)
    assert hard.limits is not None and (hard.limits.memory, hard.limits.pids,
                                        hard.limits.cpu_quota) == (64 << 20, 50, 50000)
    assert default.limits is not None and default.limits.pids == 2048  # podman's default
    binds = {(m.source, m.destination, m.propagation) for m in weak.mounts if m.is_bind
             and m.source in ("/etc", "/run")}
    assert binds == {("/etc", "/host-etc", "rprivate"), ("/run", "/host-run", "rshared")}


def test_namespaces_and_podmans_inspect_ipc_mode() -> None:
    # podman 4.3.1 reports IpcMode "shareable" for --ipc host; its config.json has no ipc
    # namespace, so the container does share the host's (the live audit sees it too)
    assert _one("oci-weak").host_namespaces == {"ipc", "uts"}
    assert _one("podman-weak").host_namespaces == {"uts"}
    assert _one("docker-weak").host_namespaces == {"uts"}
    assert _one("oci-default").host_namespaces == frozenset()
    assert _one("oci-default").user_namespace is False
    assert _one("podman-default").user_namespace is None


def test_devices_sockets_and_oci_seccomp_profile() -> None:
    assert len(_one("oci-priv").devices) == 102 and _one("oci-default").devices == ()
    socky = _one("podman-socky")
    assert [(m.source, m.destination) for m in socky.mounts] == [
        ("/tmp/rtcap/docker.sock", "/var/run/docker.sock")]
    assert socky.limits is not None and not socky.limits.has_pids
    profile = _one("oci-default").seccomp.profile
    assert profile is not None and profile.default_action == "ERRNO"
    assert sum(len(r.names) for r in profile.rules) > 300


def test_crictl_envelope_around_a_real_runtime_spec() -> None:
    # crictl is not installed here: the envelope (status/info) is built in the test around
    # the real config.json, in the shape containerd's CRI plugin returns
    spec = json.loads((FX / "oci-hardened.json").read_text())
    doc = {"status": {"id": "f" * 64, "metadata": {"name": "app"},
                      "image": {"image": "docker.io/library/busybox:1.36"}},
           "info": {"pid": 4242, "runtimeSpec": spec,
                    "config": {"linux": {"security_context": {"privileged": True}}}}}
    (crictl,) = parse_document(doc, "crictl.json")
    assert (crictl.source, crictl.name, crictl.pid, crictl.privileged) == (
        "crictl", "app", 4242, True)
    assert crictl.capabilities == {"CAP_NET_BIND_SERVICE"} and crictl.read_only_rootfs
    with pytest.raises(SpecError):
        parse_document({"status": {}, "info": {}}, "x.json")


def test_unreadable_inputs_become_input_errors(tmp_path: Path) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text("{not json")
    with pytest.raises(InputError):
        load_file(bad)
    bad.write_text('{"kind": "Pod"}')
    with pytest.raises(InputError):
        load_file(bad)
    with pytest.raises(InputError):
        load_file(tmp_path / "missing.json")
