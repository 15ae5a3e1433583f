"""Which drift rule each fact domain belongs to, and which audit rules a drifted value
weakens (one place: drift and the report read these tables)."""

from __future__ import annotations

from typing import Final

from ringfence.host.baseline import model as m

# fact domain -> the drift rule (HOST-1xx) that reports its changes
RULE_OF_DOMAIN: Final[dict[str, str]] = {
    m.SSHD: "HOST-101", m.SETUID: "HOST-102", m.SUDOERS: "HOST-103",
    m.USER: "HOST-104", m.GROUP: "HOST-104", m.PASSWORD: "HOST-104", m.PAM: "HOST-104",
    m.SYSCTL: "HOST-105", m.SYSCTL_LIVE: "HOST-105", m.CMDLINE: "HOST-105",
    m.MODULE: "HOST-105", m.MODULE_CONF: "HOST-105",
    m.RUNTIME: "HOST-106", m.UNIT: "HOST-106", m.AUDIT: "HOST-107", m.PACKAGE: "HOST-108",
    m.LDSO: "HOST-112", m.AUTHORIZED_KEYS: "HOST-112", m.CRON: "HOST-112",
    m.SYSTEMD: "HOST-112",
}
FILE_RULE: Final = "HOST-109"  # a tracked file whose change no parsed value explains

# host audit rules a drifted value can weaken (HOST-0xx: ringfence.host.rules)
_SSHD: Final[dict[str, str]] = {
    "permitrootlogin": "HOST-020", "passwordauthentication": "HOST-021",
    "kbdinteractiveauthentication": "HOST-021", "permitemptypasswords": "HOST-022",
    "disableforwarding": "HOST-023", "x11forwarding": "HOST-023",
    "allowtcpforwarding": "HOST-023", "allowagentforwarding": "HOST-023",
    "allowstreamlocalforwarding": "HOST-023",
}
_SYSCTL: Final[dict[str, str]] = {
    "user.max_user_namespaces": "HOST-004", "kernel.unprivileged_userns_clone": "HOST-004",
    "kernel.kptr_restrict": "HOST-005", "kernel.dmesg_restrict": "HOST-005",
    "kernel.unprivileged_bpf_disabled": "HOST-006", "kernel.perf_event_paranoid": "HOST-007",
    "vm.unprivileged_userfaultfd": "HOST-007", "fs.protected_symlinks": "HOST-008",
    "fs.protected_hardlinks": "HOST-008", "fs.protected_fifos": "HOST-008",
    "fs.protected_regular": "HOST-008", "fs.suid_dumpable": "HOST-009",
    "net.ipv4.ip_forward": "HOST-010", "kernel.yama.ptrace_scope": "HOST-011",
}
_RUNTIME_FILES: Final[tuple[tuple[str, tuple[str, ...]], ...]] = (
    ("/etc/docker/daemon.json", tuple(f"HOST-03{n}" for n in range(8))),
    ("/etc/containers/registries.conf", ("HOST-038",)),
    ("/etc/containers/policy.json", ("HOST-039",)),
    ("/etc/containerd/", ("HOST-036", "HOST-037")),
    ("/etc/crio/", ("HOST-036", "HOST-037")),
    ("/etc/containers/containers.conf", ("HOST-036", "HOST-037")),
    ("/usr/share/containers/containers.conf", ("HOST-036", "HOST-037")),
)


def weakens(domain: str, key: str, source: str) -> tuple[str, ...]:
    """The host audit rules whose verdict may change with this value."""
    if domain == m.SSHD:
        rule = _SSHD.get(key.rsplit(" / ", 1)[-1])
        return (rule,) if rule else ()
    if domain in (m.SYSCTL, m.SYSCTL_LIVE):
        rule = _SYSCTL.get(key)
        return (rule,) if rule else ()
    if domain == m.UNIT and "docker" in source.rsplit("/", 1)[-1]:
        return ("HOST-035",)
    if domain == m.RUNTIME:
        for prefix, rules in _RUNTIME_FILES:
            if source.startswith(prefix):
                return rules
    return ()
