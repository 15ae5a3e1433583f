"""Hardening decisions: user, capabilities, tmpfs heuristic, limits, seccomp profile."""

from __future__ import annotations

import pytest

from ringfence.checks.engine import run_checks
from ringfence.errors import UsageError
from ringfence.harden.plan import (
    DEFAULT_MEMORY,
    DEFAULT_PIDS,
    NONROOT,
    HardenOptions,
    hardened_profile,
    make_plan,
)
from ringfence.harden.workload import (
    ImageFiles,
    Workload,
    parse_passwd,
    port_numbers,
    workload_from_config,
    workload_from_spec,
)
from ringfence.harden.writable import normalise, programs
from ringfence.runtime.load import parse_document
from ringfence.runtime.seccomp_bpf import DANGEROUS_PROBES
from ringfence.runtime.seccomp_profile import evaluate, parse_profile
from ringfence.seccomp.lint import profile_facts
from ringfence.seccomp.rules import SECCOMP_CHECKS

NGINX_CONFIG = {"config": {
    "User": "", "ExposedPorts": {"80/tcp": {}}, "WorkingDir": "",
    "Entrypoint": ["/docker-entrypoint.sh"], "Cmd": ["nginx", "-g", "daemon off;"]}}
PASSWD = "root:x:0:0:root:/root:/bin/sh\napp:x:1000:1001::/home/app:/bin/sh\nbroken line\n"


def _paths(plan: object) -> list[str]:
    return [t.path for t in plan.tmpfs]  # type: ignore[attr-defined]


def test_root_image_runs_as_nonroot_with_a_warning() -> None:
    plan = make_plan(Workload("img", user=""))
    assert (plan.user, plan.uid, plan.gid) == (f"{NONROOT}:{NONROOT}", NONROOT, NONROOT)
    assert plan.cap_add == ()
    assert any("runs as root" in n for n in plan.notes)
    assert (plan.memory, plan.pids) == (DEFAULT_MEMORY, DEFAULT_PIDS)
    assert _paths(plan) == ["/run", "/tmp", "/var/tmp"]


def test_nonroot_image_user_is_kept_and_resolved_through_passwd() -> None:
    files = ImageFiles(frozenset(), frozenset(), parse_passwd(PASSWD))
    plan = make_plan(Workload("img", user="app", ports=(22, 8080), files=files))
    assert (plan.user, plan.uid, plan.gid) == ("app", 1000, 1001)
    assert plan.cap_add == ("NET_BIND_SERVICE",)  # port 22 < 1024
    assert make_plan(Workload("img", user="1000:5", ports=(8080,))).cap_add == ()
    assert (make_plan(Workload("img", user="1000")).gid) == 1000


def test_unresolvable_name_keeps_the_name_and_falls_back_to_65532() -> None:
    plan = make_plan(Workload("img", user="www"))
    assert (plan.user, plan.uid) == ("www", NONROOT)
    assert any("not numeric" in n for n in plan.notes)
    with pytest.raises(UsageError):
        make_plan(Workload("img"), HardenOptions(user="nobody-here"))


def test_privilege_dropping_server_keeps_root_with_three_caps() -> None:
    plan = make_plan(workload_from_config(NGINX_CONFIG, "nginx"))
    assert plan.uid == 0 and not plan.non_root
    assert plan.cap_add == ("CHOWN", "NET_BIND_SERVICE", "SETGID", "SETUID")
    assert "/var/cache/nginx" in _paths(plan)
    # an explicit --user wins over the server heuristic
    forced = make_plan(workload_from_config(NGINX_CONFIG, "nginx"), HardenOptions(user="101"))
    assert forced.uid == 101 and forced.cap_add == ("NET_BIND_SERVICE",)


def test_programs_looks_through_shells_and_entrypoint_scripts() -> None:
    assert programs(["/docker-entrypoint.sh", "nginx", "-g"]) == {"docker-entrypoint.sh",
                                                                  "nginx"}
    assert programs(["sh", "-c", "exec /usr/sbin/sshd -D"]) == {"sh", "sshd"}
    assert "redis-server" in programs(["sh", "-c", "redis-server --port 1"])
    assert programs([]) == frozenset()


def test_tmpfs_heuristic_volumes_workdir_app_dirs_and_writable() -> None:
    files = ImageFiles(dirs=frozenset({"/var/cache/nginx", "/srv/app", "/var/lib/db"}),
                       nonempty=frozenset({"/srv/app"}))
    w = Workload("img", user="1", volumes=("/var/lib/db", "/var/run/app/"),
                 workdir="/srv/app", files=files)
    plan = make_plan(w, HardenOptions(writable=("/opt/cache", "/tmp/x")))
    # /var/run/app folds into /run; /tmp/x lies inside /tmp; /srv/app holds image files
    assert _paths(plan) == ["/opt/cache", "/run", "/tmp", "/var/cache/nginx", "/var/lib/db",
                            "/var/tmp"]
    assert any("WorkingDir /srv/app stays read-only" in n for n in plan.notes)
    empty_wd = make_plan(Workload("img", user="1", workdir="/var/lib/work",
                                  files=ImageFiles(frozenset(), frozenset())))
    assert "/var/lib/work" in _paths(empty_wd)
    code_wd = make_plan(Workload("img", user="1", workdir="/app"))
    assert "/app" not in _paths(code_wd)
    assert normalise("//var/lock/x/") == "/run/lock/x"


def test_spec_limits_and_writable_mounts_are_kept() -> None:
    doc = {"ociVersion": "1.0.2", "process": {"user": {"uid": 5, "gid": 6}},
           "root": {"path": "rootfs"},
           "mounts": [{"destination": "/tmp", "type": "tmpfs", "source": "tmpfs",
                       "options": ["nosuid"]}],
           "linux": {"resources": {"memory": {"limit": 1 << 30}, "pids": {"limit": 50}}}}
    spec = parse_document(doc, "config.json")[0]
    plan = make_plan(workload_from_spec(spec, ports=(443,)))
    assert (plan.memory, plan.pids) == (1 << 30, 50)
    assert "/tmp" not in _paths(plan) and any("already mounted" in n for n in plan.notes)
    assert plan.cap_add == ("NET_BIND_SERVICE",)
    over = make_plan(workload_from_spec(spec), HardenOptions(memory=64 << 20, pids=10))
    assert (over.memory, over.pids) == (64 << 20, 10)


def test_ports_parse() -> None:
    assert port_numbers({"80/tcp": {}, "8443": {}, "1000-1010/udp": {}}) == (80, 8443)


def test_generated_profile_blocks_every_dangerous_probe_and_lints_clean() -> None:
    doc = hardened_profile()
    profile = parse_profile(doc)
    allowed = [p.label for p in DANGEROUS_PROBES if not evaluate(profile, p.data()).blocked]
    assert allowed == []
    for name in ("read", "write", "openat", "execve", "clone", "arch_prctl", "exit_group"):
        assert profile.rules_for(name), name
    run = run_checks(SECCOMP_CHECKS, profile_facts(doc, "hardened"))
    assert not run.findings
    assert len(run.evaluated) == len(SECCOMP_CHECKS)
