"""Values of a host snapshot: parsed configuration facts and the files they came from.

A :class:`Fact` is one parsed value (``sshd`` ``permitrootlogin`` = ``no``); its ``source`` is
the in-root path it was read from, so drift can say which file changed *and* what changed in
it. Files are tracked by :class:`ringfence.diff.model.FileState` (hash, mode, owner), the
same record image baselines use.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from ringfence.diff.model import FileState

# the domains of parsed facts, in report order (one place: drift scoring keys on them)
SSHD, SYSCTL, SYSCTL_LIVE = "sshd", "sysctl", "sysctl.effective"
CMDLINE, MODULE, MODULE_CONF = "kernel.cmdline", "module.loaded", "module.config"
USER, GROUP, PASSWORD, SUDOERS, PAM = "user", "group", "password", "sudoers", "pam"
SETUID, PACKAGE, UNIT, RUNTIME, AUDIT = "setuid", "package", "unit", "runtime", "audit"
# where an intruder persists (baseline.persistence)
LDSO, AUTHORIZED_KEYS, CRON, SYSTEMD = "ld.so", "authorized_keys", "cron", "systemd"
DOMAINS: tuple[str, ...] = (SSHD, SYSCTL, SYSCTL_LIVE, CMDLINE, MODULE, MODULE_CONF, USER, GROUP,
                            PASSWORD, PAM, SUDOERS, SETUID, PACKAGE, UNIT, RUNTIME, AUDIT, LDSO,
                            AUTHORIZED_KEYS, CRON, SYSTEMD)
# domains whose facts are whole lines keyed by ``FILE|LINE`` (the value is the line)
LINE_DOMAINS: tuple[str, ...] = (SUDOERS, PAM, AUDIT, LDSO, AUTHORIZED_KEYS, CRON)


@dataclass(frozen=True, slots=True)
class Fact:
    domain: str
    key: str
    value: str
    source: str  # in-root path the value was read from ("" for a built-in default)

    def to_list(self) -> list[str]:
        return [self.domain, self.key, self.value, self.source]

    @classmethod
    def from_list(cls, v: Any) -> Fact:
        domain, key, value, source = v
        return cls(str(domain), str(key), str(value), str(source))


@dataclass(frozen=True)
class HostSnapshot:
    """What a host's configuration was at one time. ``identity`` names the host
    (``machine-id``, ``hostname``) so a baseline is not checked against another host."""

    identity: Mapping[str, str]
    files: Mapping[str, FileState]
    facts: Mapping[tuple[str, str], Fact]
    problems: tuple[tuple[str, str], ...] = ()
    live: bool = False  # /proc and /sys were read (the running host, not a mounted root)
    extra: Mapping[str, Any] = field(default_factory=dict)

    def to_doc(self) -> dict[str, Any]:
        return {"identity": dict(sorted(self.identity.items())), "live": self.live,
                "files": {p: s.to_list() for p, s in sorted(self.files.items())},
                "facts": [f.to_list() for _, f in sorted(self.facts.items())],
                "problems": [list(p) for p in self.problems]}

    @classmethod
    def from_doc(cls, doc: Any) -> HostSnapshot:
        facts = (Fact.from_list(v) for v in doc["facts"])
        return cls({str(k): str(v) for k, v in doc["identity"].items()},
                   {str(p): FileState.from_list(v) for p, v in doc["files"].items()},
                   {(f.domain, f.key): f for f in facts},
                   tuple((str(p), str(r)) for p, r in doc.get("problems", ())),
                   bool(doc.get("live", False)))
