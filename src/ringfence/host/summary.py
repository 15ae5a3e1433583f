"""The host report as one versioned document: facts read (with their source or why not),
every rule's status (failed, held, not evaluated and why), findings and unknowns."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from ringfence import __version__
from ringfence.checks.engine import CheckRun
from ringfence.checks.rule import Check
from ringfence.host.model import HostFacts
from ringfence.host.rules import NEEDS
from ringfence.host.sysctl import SECURITY_SYSCTLS

SCHEMA = "ringfence.host/2"  # 2: "schema" id (was "schema_version": "1.0"); "rule" in findings


def _fact(name: str, value: object, source: str | None, why: str = "") -> dict[str, Any]:
    if value is None:
        return {"name": name, "value": None, "source": None,
                "status": f"not read: {why or 'absent'}"}
    return {"name": name, "value": value, "source": source, "status": "read"}


def facts_table(f: HostFacts) -> list[dict[str, Any]]:
    k = f.kernel
    not_live = "" if f.live else "a mounted root has no live /proc or /sys"
    out = [
        _fact("kernel.release", k.release, "/proc/sys/kernel/osrelease", not_live),
        _fact("kernel.config", len(k.config) if k.config is not None else None,
              k.config_source, "no /proc/config.gz or /boot/config-*"),
        _fact("lsm.active", ",".join(k.lsms) if k.lsms is not None else None, k.lsm_source,
              not_live or "securityfs not mounted and no CONFIG_LSM"),
        _fact("selinux", k.selinux, "/sys/fs/selinux/enforce", not_live),
        _fact("apparmor", k.apparmor, "/sys/module/apparmor/parameters/enabled", not_live),
        _fact("landlock", k.landlock, k.lsm_source, "active LSM list not known"),
        _fact("seccomp.actions", ",".join(k.seccomp_actions) if k.seccomp_actions else None,
              "/proc/sys/kernel/seccomp/actions_avail", not_live),
        _fact("cgroup.mode", k.cgroup_mode, "/proc/mounts", not_live),
    ]
    for name in SECURITY_SYSCTLS:
        s = f.sysctls.get(name)
        out.append(_fact(f"sysctl.{name}", s.value if s else None, s.source if s else None,
                         "not present in this kernel" if f.live else "not configured"))
    out.append(_fact("sshd.config", ",".join(f.sshd.files) if f.sshd else None,
                     f.sshd.path if f.sshd else None, "/etc/ssh/sshd_config absent"))
    out += [_fact(f"runtime.{c.runtime}", "parsed", c.source) for c in f.runtime_configs]
    out.append(_fact("trust.policy", len(f.trust_policy.entries) if f.trust_policy else None,
                     f.trust_policy.source if f.trust_policy else None,
                     "/etc/containers/policy.json absent or unreadable"))
    out += [_fact(f"file.{s.path}", f"{s.kind} {s.mode:04o} {s.uid}:{s.gid}", s.path)
            for s in (*f.sockets, *f.configs)]
    out.append(_fact("audit.watched", len(f.audit_watched) if f.audit_watched is not None
                     else None, "/etc/audit", "no audit rules files"))
    return out


def host_document(facts: HostFacts, checks: Sequence[Check[HostFacts]],
                  run: CheckRun) -> dict[str, Any]:
    failed = run.failed()
    broken = {u.plugin for u in run.unknowns}
    rules = []
    for c in checks:
        r = c.rule
        status = ("failed" if r.id in failed else "held" if r.id in run.evaluated
                  else "error" if r.id in broken else "not evaluated")
        rules.append({"id": r.id, "title": r.title, "severity": r.severity.name.lower(),
                      "status": status, "threats": list(r.threats),
                      "references": list(r.references), "remediation": r.remediation,
                      "needs": NEEDS.get(r.id, "") if status == "not evaluated" else ""})
    return {
        "schema": SCHEMA,
        "tool": {"name": "ringfence", "version": __version__},
        "target": {"kind": "host", "name": facts.root, "live": facts.live},
        "facts": facts_table(facts),
        "rules": rules,
        "findings": [x.to_dict() for x in run.findings],
        "unknowns": [u.to_dict() for u in (*facts.unknowns, *run.unknowns)],
    }


def audit_host(root: str = "/", *, live: bool | None = None) -> dict[str, Any]:
    """Gather the facts under ``root``, run every HOST check, return the report document."""
    from ringfence.checks.engine import run_checks
    from ringfence.host.gather import gather_host_facts
    from ringfence.host.rules import HOST_CHECKS

    facts = gather_host_facts(root, live=live)
    run = run_checks(HOST_CHECKS, facts, f"host:{facts.root}")
    return host_document(facts, HOST_CHECKS, run)
