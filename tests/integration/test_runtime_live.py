"""`runtime --live` against real containers: runc bundles on a busybox-static rootfs (weak,
default, hardened) and podman containers. Effective state is checked against /proc read here
independently, the blocked syscalls against the profiles the containers were started with and
against busybox `unshare` run inside, and every seeded declared/effective mismatch must fire."""

from __future__ import annotations

import json
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from ringfence.checks.engine import run_checks
from ringfence.cli.main import main
from ringfence.runtime import caps, seccomp_bpf
from ringfence.runtime.facts import RuntimeFacts
from ringfence.runtime.live import LiveContainer, gather_live
from ringfence.runtime.rules import RT_CHECKS

BUSYBOX = Path("/bin/busybox")
BLOCK = ["mount", "umount2", "unshare", "setns", "bpf", "keyctl", "add_key", "kexec_load",
         "init_module", "finit_module", "open_by_handle_at", "perf_event_open", "userfaultfd"]
pytestmark = pytest.mark.skipif(not shutil.which("runc") or not BUSYBOX.exists(),
                                reason="needs runc and busybox-static (apt-get install)")


def _rootfs(base: Path) -> Path:
    root = base / "rootfs"
    for d in ("bin", "proc", "sys", "dev", "tmp", "etc"):
        (root / d).mkdir(parents=True, exist_ok=True)
    shutil.copy(BUSYBOX, root / "bin" / "busybox")
    for applet in ("sh", "sleep", "true", "unshare"):
        (root / "bin" / applet).symlink_to("busybox")
    return root


def _profile() -> dict[str, Any]:
    return {"defaultAction": "SCMP_ACT_ALLOW", "architectures": ["SCMP_ARCH_X86_64"],
            "syscalls": [{"names": BLOCK, "action": "SCMP_ACT_ERRNO", "errnoRet": 1},
                         {"names": ["ptrace"], "action": "SCMP_ACT_KILL_PROCESS"}]}


def _config(bundle: Path, rootfs: Path, variant: str) -> dict[str, Any]:
    subprocess.run(["runc", "spec", "--bundle", str(bundle)], check=True)
    cfg: dict[str, Any] = json.loads((bundle / "config.json").read_text())
    cfg["root"] = {"path": str(rootfs), "readonly": variant == "hardened"}
    cfg["process"].update(terminal=False, args=["sleep", "300"])
    capset = cfg["process"]["capabilities"]
    if variant == "weak":
        for key in ("bounding", "effective", "permitted"):
            capset[key] = [*capset[key], "CAP_SYS_ADMIN"]
        cfg["linux"]["namespaces"] = [n for n in cfg["linux"]["namespaces"]
                                      if n["type"] not in ("ipc", "uts")]
        cfg.pop("hostname", None)  # runc refuses a hostname without a private UTS namespace
    else:
        cfg["linux"]["seccomp"] = _profile()
    if variant == "hardened":
        cfg["process"].update(noNewPrivileges=True, user={"uid": 1000, "gid": 1000})
        cfg["process"]["capabilities"] = {k: ["CAP_NET_BIND_SERVICE"] for k in capset}
        cfg["linux"]["resources"] = {"memory": {"limit": 64 << 20}, "pids": {"limit": 32}}
    return cfg


@pytest.fixture(scope="module")
def runc_env(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, dict[str, Path]]]:
    base = tmp_path_factory.mktemp("rt")
    state, rootfs = base / "state", _rootfs(base)
    bundles: dict[str, Path] = {}
    try:
        for variant in ("weak", "default", "hardened"):
            bundle = base / variant
            bundle.mkdir()
            cfg = _config(bundle, rootfs, variant)
            (bundle / "config.json").write_text(json.dumps(cfg))
            bundles[variant] = bundle  # torn down even if `run` fails half-way
            subprocess.run(["runc", "--root", str(state), "run", "-d", "--bundle", str(bundle),
                            f"rf-{variant}"], check=True, stdin=subprocess.DEVNULL,
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=30)
        yield state, bundles
    finally:
        for variant in bundles:
            subprocess.run(["runc", "--root", str(state), "delete", "-f", f"rf-{variant}"],
                           capture_output=True, timeout=30)


def _ours(state: Path) -> dict[str, LiveContainer]:
    live, unknowns = gather_live(roots=(str(state),))
    assert not [u for u in unknowns if "rf-" in u.location]
    return {c.id[3:]: c for c in live if c.id.startswith("rf-")}


def _proc_status(pid: int) -> dict[str, str]:
    lines = Path(f"/proc/{pid}/status").read_text().splitlines()
    return {k: v.strip() for k, _, v in (ln.partition(":") for ln in lines)}


def _rt1(containers: dict[str, LiveContainer]) -> set[tuple[str, str]]:
    run = run_checks(RT_CHECKS, RuntimeFacts(live=tuple(containers.values())))
    names = {c.id[:12]: n for n, c in containers.items()}
    return {(f.rule_id, names[f.message.split()[0]]) for f in run.findings
            if f.rule_id.startswith("RT-1")}


def test_effective_state_is_what_proc_and_the_filter_show(runc_env: Any) -> None:
    state, _ = runc_env
    containers = _ours(state)
    assert set(containers) == {"weak", "default", "hardened"}
    for name, c in containers.items():
        status, eff = _proc_status(c.effective.pid), c.effective
        assert caps.to_mask(eff.cap_eff) == int(status["CapEff"], 16), name
        assert caps.to_mask(eff.cap_bnd) == int(status["CapBnd"], 16), name
        assert int(eff.no_new_privs) == int(status["NoNewPrivs"]), name
        assert eff.seccomp_mode == int(status["Seccomp"]), name
    weak, default, hard = containers["weak"].effective, containers["default"].effective, \
        containers["hardened"].effective
    assert "CAP_SYS_ADMIN" in weak.cap_eff and weak.seccomp_mode == 0 and not weak.blocked
    assert {"ipc", "uts"} <= weak.host_namespaces and "pid" not in weak.host_namespaces
    assert hard.cap_bnd == {"CAP_NET_BIND_SERVICE"} and hard.cap_eff == frozenset()
    assert hard.no_new_privs and hard.root_read_only and hard.uids[1] == 1000
    assert (hard.memory_limit, hard.pids_limit) == (64 << 20, 32)
    expected = {p.label for p in seccomp_bpf.DANGEROUS_PROBES
                if p.syscall in (*BLOCK, "ptrace")}
    assert default.blocked == hard.blocked == expected
    assert default.verdicts is not None and default.verdicts["ptrace"] == "KILL_PROCESS"
    assert default.verdicts["mount"] == "ERRNO(1)" and default.verdicts["reboot"] == "ALLOW"


def test_blocked_unshare_fails_inside_and_allowed_one_runs(runc_env: Any) -> None:
    state, _ = runc_env
    out = {v: subprocess.run(["runc", "--root", str(state), "exec", f"rf-{v}", "unshare", "-m",
                              "true"], capture_output=True, text=True, timeout=30)
           for v in ("weak", "default")}
    assert out["weak"].returncode == 0, out["weak"].stderr
    assert out["default"].returncode != 0 and "not permitted" in out["default"].stderr


def test_no_mismatch_until_seeded_then_every_seed_fires(runc_env: Any) -> None:
    state, bundles = runc_env
    assert _rt1(_ours(state)) == set()

    def edit(variant: str, change: Any) -> None:
        path = bundles[variant] / "config.json"
        cfg = json.loads(path.read_text())
        change(cfg)
        path.write_text(json.dumps(cfg))

    def seed_default(cfg: dict[str, Any]) -> None:
        cfg["process"]["noNewPrivileges"] = False  # RT-102 (runc spec sets it true)
        cfg["process"]["capabilities"]["bounding"].remove("CAP_KILL")  # RT-101
        cfg["linux"]["seccomp"]["syscalls"][0]["names"].remove("bpf")  # RT-104
        cfg["root"]["readonly"] = True  # RT-105
        cfg["process"]["user"] = {"uid": 1000, "gid": 1000}  # RT-107

    edit("default", seed_default)
    edit("weak", lambda c: c["linux"].__setitem__("seccomp", _profile()))  # RT-103, RT-104
    edit("weak", lambda c: c["linux"]["namespaces"].append({"type": "uts"}))  # RT-106
    # a real effective change: the runtime raises the pids limit of the running container
    subprocess.run(["runc", "--root", str(state), "update", "--pids-limit", "64",
                    "rf-hardened"], check=True, capture_output=True, timeout=30)  # RT-108
    assert _rt1(_ours(state)) == {
        ("RT-101", "default"), ("RT-102", "default"), ("RT-104", "default"),
        ("RT-105", "default"), ("RT-107", "default"), ("RT-103", "weak"),
        ("RT-104", "weak"), ("RT-106", "weak"), ("RT-108", "hardened")}


def test_cli_live_json(runc_env: Any, capsys: pytest.CaptureFixture[str]) -> None:
    state, _ = runc_env
    assert main(["runtime", "--live", "--state-root", str(state), "-f", "json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    mine = {c["id"]: c for c in doc["live"] if c["id"].startswith("rf-")}
    assert mine["rf-hardened"]["effective"]["cap_bnd"] == ["CAP_NET_BIND_SERVICE"]
    assert mine["rf-weak"]["effective"]["seccomp_mode"] == 0
    assert any(f["rule"] == "RT-001" or f["rule"] == "RT-002" for f in doc["findings"])


@pytest.fixture(scope="module")
def podman_env(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[list[str], Path]]:
    if not shutil.which("podman"):
        pytest.skip("podman not installed")
    base = tmp_path_factory.mktemp("pm")
    rootfs = _rootfs(base)
    cmd = ["podman", "--root", str(base / "root"), "--runroot", str(base / "run"), "--tmpdir",
           str(base / "tmp"), "--cgroup-manager", "cgroupfs", "--runtime", "runc",
           "--events-backend", "none", "--storage-driver", "vfs"]  # overlay leaves a mount
    common = ["run", "-d", "--network", "none", "--ulimit", "nofile=1024:1024", "--ulimit",
              "nproc=1024:1024"]
    flags = {"pm-weak": ["--cap-add", "SYS_ADMIN", "--security-opt", "seccomp=unconfined",
                         "--uts", "host", "-v", "/etc:/host-etc"],
             "pm-hardened": ["--cap-drop", "ALL", "--security-opt", "no-new-privileges",
                             "--read-only", "--user", "1000:1000", "--memory", "64m",
                             "--pids-limit", "50"]}
    try:
        for name, extra in flags.items():
            subprocess.run([*cmd, *common, "--name", name, *extra, "--rootfs", str(rootfs),
                            "sleep", "300"], check=True, capture_output=True, timeout=60)
        yield cmd, base
    finally:
        subprocess.run([*cmd, "rm", "-f", "-t", "0", *flags], capture_output=True, timeout=60)


def test_podman_containers_live_and_inspect(podman_env: Any) -> None:
    cmd, base = podman_env
    inspect = subprocess.run([*cmd, "inspect", "pm-weak", "pm-hardened"], check=True,
                             capture_output=True, timeout=60).stdout
    (base / "inspect.json").write_bytes(inspect)
    ids = {d["Id"]: d["Name"] for d in json.loads(inspect)}
    live, _ = gather_live()
    mine = {ids[c.id]: c for c in live if c.id in ids}
    assert set(mine) == {"pm-weak", "pm-hardened"}
    for c in mine.values():
        status = _proc_status(c.effective.pid)
        assert caps.to_mask(c.effective.cap_bnd) == int(status["CapBnd"], 16)
        assert c.effective.seccomp_mode == int(status["Seccomp"])
        assert c.runtime == "podman" and c.declared is not None
    assert mine["pm-hardened"].effective.cap_bnd == frozenset()
    assert mine["pm-hardened"].effective.no_new_privs
    assert _rt1(mine) == set()  # podman applied what it declared
    run = run_checks(RT_CHECKS, RuntimeFacts(specs=tuple(c.declared for c in mine.values()
                                                         if c.declared)))
    fired = {(f.rule_id, f.message.split(":")[0]) for f in run.findings}
    weak_id = next(i for i, n in ids.items() if n == "pm-weak")[:12]
    assert {("RT-002", weak_id), ("RT-004", weak_id), ("RT-009", weak_id),
            ("RT-012", weak_id)} <= fired
    assert main(["runtime", str(base / "inspect.json"), "-f", "json", "--fail-on",
                 "high"]) == 1
