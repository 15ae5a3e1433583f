"""Pure parsers of host facts, on small inputs built here (real formats)."""

from __future__ import annotations

from pathlib import Path

import pytest

from ringfence.host import audit
from ringfence.host.facts import RootReader
from ringfence.host.kernel import cgroup_mode, lsms_from_cmdline, parse_kconfig
from ringfence.host.runtimes import (
    ConfigError,
    parse_containerd,
    parse_crio,
    parse_daemon_json,
    parse_registries_conf,
)
from ringfence.host.sshd import load_sshd_config, tokenize
from ringfence.host.sshd_match import MatchContext, address_list, pattern_list
from ringfence.host.sysctl import collect_sysctls, parse_sysctl_conf


def test_kconfig_and_boot_parameters() -> None:
    conf = parse_kconfig('CONFIG_SECCOMP=y\n# CONFIG_SECURITY_YAMA is not set\n'
                         'CONFIG_LSM="landlock,lockdown,yama,apparmor,bpf"\nCONFIG_X=m\n')
    assert conf == {"CONFIG_SECCOMP": "y", "CONFIG_SECURITY_YAMA": "n",
                    "CONFIG_LSM": "landlock,lockdown,yama,apparmor,bpf", "CONFIG_X": "m"}
    assert lsms_from_cmdline(("ro", "lsm=a,b", "lsm=yama,apparmor")) == ("yama", "apparmor")
    assert lsms_from_cmdline(("ro",)) is None


@pytest.mark.parametrize(("mounts", "mode"), [
    ("cgroup2 /sys/fs/cgroup cgroup2 rw 0 0\n", "v2"),
    ("cgroup /sys/fs/cgroup/cpu cgroup rw,cpu 0 0\n", "v1"),
    ("cgroup /sys/fs/cgroup/cpu cgroup rw 0 0\ncgroup2 /sys/fs/cgroup/unified cgroup2 rw 0 0\n",
     "hybrid"),
    ("proc /proc proc rw 0 0\n", None),
])
def test_cgroup_mode(mounts: str, mode: str | None) -> None:
    assert cgroup_mode(mounts) == mode


def test_sysctl_system_order(tmp_path: Path) -> None:
    for rel, text in {
        "usr/lib/sysctl.d/50-default.conf": "fs.protected_regular = 1\nkernel/kptr_restrict=1\n",
        "etc/sysctl.d/50-default.conf": "fs.protected_regular = 2\n",  # shadows /usr/lib
        "etc/sysctl.d/99-local.conf": "-net.ipv4.ip_forward = 1\n; comment\n",
        "etc/sysctl.conf": "net.ipv4.ip_forward=0\n# last word\n",
    }.items():
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / rel).write_text(text)
    got, errors = collect_sysctls(RootReader(tmp_path))
    assert errors == []
    assert {k: (v.value, v.source) for k, v in got.items()} == {
        "fs.protected_regular": ("2", "/etc/sysctl.d/50-default.conf"),
        "net.ipv4.ip_forward": ("0", "/etc/sysctl.conf"),
    }  # kernel.kptr_restrict lived only in the shadowed file
    assert parse_sysctl_conf("a.b=1\n", "x")["a.b"].effective is False


def test_docker_daemon_defaults_and_settings() -> None:
    daemon, conf = parse_daemon_json(b"{}", "/etc/docker/daemon.json")
    assert (daemon.icc, daemon.no_new_privileges, daemon.live_restore, daemon.log_driver) == (
        True, False, False, "json-file")
    daemon, conf = parse_daemon_json(
        b'{"icc": false, "hosts": ["tcp://0.0.0.0:2375", "fd://"], "seccomp-profile": '
        b'"unconfined", "insecure-registries": ["r:5000"]}', "d")
    assert not daemon.icc and daemon.tcp_hosts == ("tcp://0.0.0.0:2375",)
    assert conf.unconfined == ("seccomp-profile=unconfined",)
    assert conf.insecure_registries == ("r:5000",)
    with pytest.raises(ConfigError):
        parse_daemon_json(b"{", "d")


def test_containerd_v2_and_v3_crio_registries() -> None:
    v2 = parse_containerd(b'version = 2\n[plugins."io.containerd.grpc.v1.cri".registry.mirrors'
                          b'."docker.io"]\nendpoint = ["http://10.0.0.1:5000"]\n', "c")
    assert v2.insecure_registries == ("docker.io",)
    v3 = parse_containerd(b'version = 3\n[plugins."io.containerd.cri.v1.runtime"]\n'
                          b'disable_apparmor = true\n', "c")
    assert v3.unconfined == ('plugins."io.containerd.cri.v1.runtime".disable_apparmor=true',)
    assert parse_crio(b'[crio.runtime]\nno_pivot = true\n', "c").unconfined == (
        "crio.runtime.no_pivot=true",)
    v1 = parse_registries_conf(b'[registries.search]\nregistries = ["a.io", "b.io"]\n'
                               b'[registries.insecure]\nregistries = ["c.io"]\n', "r")
    assert (v1.search_registries, v1.insecure_registries) == (("a.io", "b.io"), ("c.io",))
    with pytest.raises(ConfigError):
        parse_crio(b"[crio", "c")


def test_audit_watches() -> None:
    watched = audit.watched_paths("-w /usr/bin/dockerd -k docker\n"
                                  "-a always,exit -F path=/usr/bin/runc -F perm=x\n"
                                  "-a exit,always -F dir=/etc/docker/ -k d\n# -w /x\n")
    assert watched == {"/usr/bin/dockerd", "/usr/bin/runc", "/etc/docker"}
    assert audit.is_watched("/etc/docker/daemon.json", watched)
    assert not audit.is_watched("/etc/dockerx", watched)


def test_sshd_tokens_and_patterns() -> None:
    assert tokenize('"a b" c\\ d \'e\'  # comment') == ["a b", "c d", "e"]
    assert pattern_list("alice", "*,!bob") and not pattern_list("bob", "*,!bob")
    assert not pattern_list("root", "!bob")  # only negations never match
    assert pattern_list("HOST.Example.COM", "*.example.com", fold=True)
    assert address_list("10.1.2.3", "10.0.0.0/8") and not address_list("10.1.2.3", "10.*,!10.1.2.3")


def test_sshd_include_scope_and_match(tmp_path: Path) -> None:
    ssh = tmp_path / "etc" / "ssh"
    (ssh / "sshd_config.d").mkdir(parents=True)
    (ssh / "sshd_config").write_text("Include sshd_config.d/*.conf\nPermitRootLogin no\n"
                                     "Match User deploy\n  Include /etc/ssh/deploy.inc\n")
    (ssh / "sshd_config.d" / "10-a.conf").write_text("Match User bob\n  X11Forwarding yes\n")
    (ssh / "deploy.inc").write_text("PasswordAuthentication no\n")
    conf = load_sshd_config(RootReader(tmp_path))
    assert conf is not None and conf.problems == ()
    assert conf.files == ("/etc/ssh/sshd_config", "/etc/ssh/sshd_config.d/10-a.conf",
                          "/etc/ssh/deploy.inc")
    base = conf.settings()
    assert (base["permitrootlogin"], base["x11forwarding"]) == ("no", "no")  # Match ended
    deploy = conf.settings(MatchContext("deploy", "h", "10.0.0.1"))
    assert deploy["passwordauthentication"] == "no" and base["passwordauthentication"] == "yes"
    assert conf.settings(MatchContext("bob", "h", "10.0.0.1"))["x11forwarding"] == "yes"


def test_policy_keys_are_looked_up_inside_the_root(tmp_path: Path) -> None:
    from ringfence.host.trust import rooted_policy_facts

    (tmp_path / "etc" / "containers").mkdir(parents=True)
    (tmp_path / "etc" / "containers" / "policy.json").write_text(
        '{"default": [{"type": "reject"}], "transports": {"docker": {"r.io": [{"type": '
        '"signedBy", "keyType": "GPGKeys", "keyPath": "/etc/passwd"}], "q.io": [{"type": '
        '"signedBy", "keyType": "GPGKeys", "keyPath": "keys/q.gpg"}]}}}')
    facts = rooted_policy_facts(RootReader(tmp_path))
    assert Path("/etc/passwd").exists()  # on the host, but not under this root
    assert facts is not None
    assert facts.unreadable == (("transports.docker['r.io']", "/etc/passwd"),)
    assert facts.relative == (("transports.docker['q.io']", "keys/q.gpg"),)
