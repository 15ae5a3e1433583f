"""The probe: stdlib only, its syscall numbers right, and — run inside real runc/crun
containers — reporting exactly the capabilities, NoNewPrivs, seccomp mode and blocked
syscalls that the container's config and its seccomp profile say."""

from __future__ import annotations

import ast
import json
import sys
from pathlib import Path
from typing import Any

import pytest

import ringfence.probe as probe
from ringfence.runtime.seccomp_profile import evaluate, parse_profile
from ringfence.seccomp.syscalls import SYSCALLS_AARCH64, SYSCALLS_X86_64
from tests.integration.oci_bundle import busybox_bundle, run_bundle, runtime_params

PROBE = Path(probe.__file__)
PODMAN_DEFAULT = Path("/usr/share/containers/seccomp.json")


def test_probe_imports_only_the_standard_library() -> None:
    tree = ast.parse(PROBE.read_text())
    modules = {alias.name.split(".")[0] for node in ast.walk(tree)
               if isinstance(node, ast.Import) for alias in node.names}
    modules |= {node.module.split(".")[0] for node in ast.walk(tree)
                if isinstance(node, ast.ImportFrom) and node.module}
    assert modules and modules <= set(sys.stdlib_module_names) | {"__future__"}, modules


def test_probe_syscall_numbers_match_the_tables() -> None:
    for name, (x86, arm, _) in probe.SYSCALLS.items():
        assert SYSCALLS_X86_64[name] == x86, name
        assert SYSCALLS_AARCH64.get(name, -1) == arm, name


def test_probe_on_this_host_agrees_with_proc() -> None:
    found = probe.gather()
    status = Path("/proc/self/status").read_text()
    eff = next(ln.split()[1] for ln in status.splitlines() if ln.startswith("CapEff:"))
    assert found["capabilities"]["eff"] == probe.cap_names(eff)
    assert found["namespaces"]["pid"] == str(Path("/proc/self/ns/pid").readlink())
    assert all(v["errno"] is None or v["errno"].isupper() for v in found["syscalls"].values())


def _python_bundle(where: Path, edit: Any) -> Path:
    def config(c: dict[str, Any]) -> None:
        c["process"]["args"] = ["/usr/bin/python3", "-I", "/probe.py"]
        c["mounts"] += [{"destination": "/usr", "type": "bind", "source": "/usr",
                         "options": ["rbind", "ro"]},
                        {"destination": "/probe.py", "type": "bind", "source": str(PROBE),
                         "options": ["bind", "ro"]}]
        edit(c)
    bundle = busybox_bundle(where, [], config)
    rootfs = bundle / "rootfs"
    (rootfs / "usr").mkdir()
    (rootfs / "probe.py").touch()
    for link in ("lib", "lib64"):
        (rootfs / link).symlink_to(f"usr/{link}")
    return bundle


def _probe_in(tmp: Path, runtime: str, edit: Any) -> dict[str, Any]:
    if not Path("/usr/bin/python3").exists():
        pytest.skip("the container borrows the host's /usr/bin/python3")
    done = run_bundle(_python_bundle(tmp / "b", edit), runtime)
    assert done.returncode == 0, done.stderr
    result: dict[str, Any] = json.loads(done.stdout)
    return result


@pytest.mark.parametrize("runtime", runtime_params())
def test_probe_in_a_container_without_seccomp(tmp_path: Path, runtime: str) -> None:
    def edit(c: dict[str, Any]) -> None:
        c["linux"].pop("seccomp", None)
        c["process"]["noNewPrivileges"] = False
    found = _probe_in(tmp_path, runtime, edit)
    assert found["seccomp"] == {"mode": 0, "filters": 0}
    assert found["no_new_privs"] is False
    assert found["read_only_root"] is True  # runc spec: root.readonly
    assert "/usr" in found["read_only_mounts"]
    # runc spec grants AUDIT_WRITE, KILL, NET_BIND_SERVICE to root
    assert found["capabilities"]["eff"] == ["CAP_KILL", "CAP_NET_BIND_SERVICE",
                                           "CAP_AUDIT_WRITE"]
    assert found["runtime_sockets"] == []


@pytest.mark.skipif(not PODMAN_DEFAULT.exists(), reason="containers-common is not installed")
@pytest.mark.parametrize("runtime", runtime_params())
def test_probe_reports_what_the_profile_blocks(tmp_path: Path, runtime: str) -> None:
    caps = {"CAP_KILL", "CAP_NET_BIND_SERVICE", "CAP_AUDIT_WRITE"}  # runc spec's
    doc = _resolve(json.loads(PODMAN_DEFAULT.read_text()), caps)
    found = _probe_in(tmp_path, runtime, lambda c: c["linux"].__setitem__("seccomp", doc))
    assert set(found["capabilities"]["eff"]) == caps
    assert found["seccomp"]["mode"] == 2 and found["no_new_privs"] is True
    profile = parse_profile(doc, caps=found["capabilities"]["eff"])
    errnos = {1: "EPERM", 38: "ENOSYS"}
    blocked = checked = 0
    for name, (_, _, args) in probe.SYSCALLS.items():
        verdict = evaluate(profile, probe_data(name, args))
        seen = found["syscalls"][name]
        if verdict.action == "ERRNO":  # the filter answers before the kernel looks
            assert seen["errno"] == errnos[verdict.data] and seen["denied"], name
            blocked += 1
        checked += 1
    assert checked == len(probe.SYSCALLS) and blocked >= 10


def _resolve(doc: dict[str, Any], caps: set[str]) -> dict[str, Any]:
    """What podman writes into config.json: includes/excludes resolved for the container's
    capabilities on amd64 (runc and crun do not read them)."""
    def keep(entry: dict[str, Any]) -> bool:
        inc, exc = entry.get("includes") or {}, entry.get("excludes") or {}
        return (set(inc.get("caps") or ()) <= caps and not set(exc.get("caps") or ()) & caps
                and (not inc.get("arches") or "amd64" in inc["arches"])
                and "amd64" not in (exc.get("arches") or ()))
    x86 = next(m for m in doc["archMap"] if m["architecture"] == "SCMP_ARCH_X86_64")
    return {"defaultAction": doc["defaultAction"], "defaultErrnoRet": doc["defaultErrnoRet"],
            "architectures": [x86["architecture"], *x86["subArchitectures"]],
            "syscalls": [{k: v for k, v in e.items() if k not in ("includes", "excludes")}
                         for e in doc["syscalls"] if keep(e)]}


def probe_data(name: str, args: tuple[int, ...]) -> Any:
    from ringfence.runtime.seccomp_bpf import SeccompData
    return SeccompData.for_syscall(name, *args)
