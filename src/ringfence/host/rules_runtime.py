"""HOST rules over container runtime configs, socket and file permissions and audit rules
(CIS Docker Benchmark v1.6.0 sections 1.1, 2 and 3; Lynis CONT-8108)."""

from __future__ import annotations

from collections.abc import Callable, Iterator

from ringfence.checks.rule import Check, Violation
from ringfence.host import audit, perms
from ringfence.host.dockerd_unit import SOCKET
from ringfence.host.model import HostFacts
from ringfence.model.finding import Rule, Severity
from ringfence.trust.rules import TRUST_CHECKS

HOST = "host"


def _dockerd(f: HostFacts) -> bool:
    return f.docker is not None or f.dockerd_unit is not None


# where a daemon option's value comes from: the rules' conditions (dockerd refuses an option
# set both in daemon.json and as a flag, so at most one of the first two says it)
FROM_JSON, FROM_UNIT, FROM_DEFAULT = "daemon-json", "service-unit", "default"
DOCKERD_DEFAULTS = {"icc": "true", "userns-remap": "", "no-new-privileges": "false",
                    "live-restore": "false", "log-driver": "json-file"}


def _option(f: HostFacts, key: str) -> tuple[str, str, str]:
    """(value, where it is set, condition) of a dockerd option."""
    d, unit = f.docker, f.dockerd_unit
    if d is not None and (value := d.setting(key)) is not None:
        return value, d.source, FROM_JSON
    if unit is not None and (value := unit.option(key)) is not None:
        return value, unit.exec_source, FROM_UNIT
    where = d.source if d is not None else (unit.exec_source if unit is not None else "")
    return DOCKERD_DEFAULTS[key], where or "dockerd", FROM_DEFAULT


def _option_check(key: str, unsafe: Callable[[str], bool],
                  why: str) -> Callable[[HostFacts], Iterator[Violation]]:
    def check(f: HostFacts) -> Iterator[Violation]:
        value, where, condition = _option(f, key)
        if unsafe(value):
            shown = f"{value!r}, dockerd's default" if condition == FROM_DEFAULT else repr(value)
            yield Violation(f"{key} is {shown}: {why}", where, condition)

    return check


_icc = _option_check("icc", lambda v: v != "false",
                     "containers on the default bridge talk freely")
_userns = _option_check("userns-remap", lambda v: not v,
                        "root in a container is root on the host")
_nnp = _option_check("no-new-privileges", lambda v: v != "true",
                     "setuid binaries in containers can raise privileges")
_live_restore = _option_check("live-restore", lambda v: v != "true",
                              "containers stop with the daemon")
_logging = _option_check("log-driver", lambda v: v == "none", "container output is discarded")
ALL_SOURCES = (FROM_JSON, FROM_UNIT, FROM_DEFAULT)


def _tcp_tls(f: HostFacts) -> Iterator[Violation]:
    """TCP API addresses from daemon.json ``hosts``, dockerd's -H flags in docker.service or
    docker.socket ListenStream, when neither daemon.json nor the flags turn tlsverify on."""
    d, unit = f.docker, f.dockerd_unit
    if (d is not None and d.tls_verify) or (unit is not None and unit.tls_verify):
        return
    why = "without tlsverify: anyone who reaches the port controls the host"
    if d is not None and d.tcp_hosts:
        yield Violation(f"API on {', '.join(d.tcp_hosts)} {why}", d.source, "daemon-json")
    for host, source, kind in unit.tcp_hosts if unit is not None else ():
        yield Violation(f"API on {host} {why}", source,
                        "socket-unit" if kind == SOCKET else "service-unit")


def _condition(runtime: str) -> str:
    """A runtime config rule's condition: which runtime's config says it (its parser)."""
    return runtime.replace(".", "-")


# the runtimes whose configs can name insecure registries / turn confinement off
INSECURE_FROM = ("docker", "containerd", "cri-o", "registries.conf")
UNCONFINED_FROM = ("docker", "containerd", "cri-o", "containers.conf")


def _insecure(f: HostFacts) -> Iterator[Violation]:
    for c in f.runtime_configs:
        for reg in c.insecure_registries:
            yield Violation(f"{c.runtime} trusts {reg} without TLS verification", c.source,
                            _condition(c.runtime))


def _unconfined(f: HostFacts) -> Iterator[Violation]:
    for c in f.runtime_configs:
        for setting in c.unconfined:
            yield Violation(f"{c.runtime}: {setting} turns default confinement off", c.source,
                            _condition(c.runtime))


def _short_names(f: HostFacts) -> Iterator[Violation]:
    confs = [c for c in f.runtime_configs if c.runtime == "registries.conf"]
    mode = next((c.short_names for c in reversed(confs) if c.short_names), "enforcing")
    search = next((c for c in reversed(confs) if c.search_registries), None)
    if search is not None and len(search.search_registries) > 1 and mode != "enforcing":
        yield Violation(f"short names resolve through {', '.join(search.search_registries)} "
                        f"with short-name-mode {mode}: the first registry that has a name wins",
                        search.source)


def _trust(f: HostFacts) -> Iterator[Violation]:
    assert f.trust_policy is not None
    for check in TRUST_CHECKS:
        for v in check.func(f.trust_policy):
            yield Violation(f"{check.rule.id} {check.rule.title}: {v.message}", v.location,
                            check.rule.id.lower())


def _sockets(f: HostFacts) -> Iterator[Violation]:
    for st in f.sockets:
        for issue, condition in perms.socket_problems(st):
            yield Violation(issue, st.path, condition)


def _configs(f: HostFacts) -> Iterator[Violation]:
    for st in f.configs:
        for issue, condition in perms.config_problems(st):
            yield Violation(issue, st.path, condition)


def _audit(f: HostFacts) -> Iterator[Violation]:
    watched = f.audit_watched or frozenset()
    for path in f.runtime_paths:
        if not audit.is_watched(path, set(watched)):
            yield Violation(f"{path} is not watched by any audit rule", path)


def _r(rid: str, title: str, sev: Severity, fix: str, threats: tuple[str, ...],
       refs: tuple[str, ...]) -> Rule:
    return Rule(rid, title, sev, HOST, fix, threats, refs)


RUNTIME_CHECKS: tuple[Check[HostFacts], ...] = (
    Check(_r("HOST-030", "Docker restricts traffic between containers (icc false)",
             Severity.MEDIUM, 'Set "icc": false in /etc/docker/daemon.json and link only '
             "the containers that must talk.", ("lateral-movement",),
             ("CIS Docker 2.2", "T1021")), _icc, _dockerd, ALL_SOURCES),
    Check(_r("HOST-031", "Docker remaps container root to an unprivileged user",
             Severity.MEDIUM, 'Set "userns-remap": "default" in daemon.json.',
             ("container-escape",), ("CIS Docker 2.9", "T1611")), _userns, _dockerd, ALL_SOURCES),
    Check(_r("HOST-032", "Docker defaults containers to no-new-privileges", Severity.MEDIUM,
             'Set "no-new-privileges": true in daemon.json.', ("container-escape",),
             ("CIS Docker 2.14", "T1548")), _nnp, _dockerd, ALL_SOURCES),
    Check(_r("HOST-033", "Docker keeps containers running across daemon restarts",
             Severity.LOW, 'Set "live-restore": true in daemon.json.',
             ("resource-exhaustion",), ("CIS Docker 2.15",)), _live_restore, _dockerd, ALL_SOURCES),
    Check(_r("HOST-034", "Docker keeps container logs", Severity.LOW,
             "Use a log driver that ships logs off the host (journald, syslog, fluentd).",
             ("persistence-drift",), ("CIS Docker 2.13", "T1070")), _logging, _dockerd,
          (FROM_JSON, FROM_UNIT)),  # dockerd's default (json-file) keeps logs
    Check(_r("HOST-035", "The Docker API is not exposed over TCP without TLS",
             Severity.CRITICAL, 'Remove tcp:// hosts or set "tlsverify": true with '
             "tlscacert/tlscert/tlskey.", ("container-escape",
                                           "platform-privilege-escalation"),
             ("CIS Docker 2.7", "T1610", "T1611")), _tcp_tls,
          lambda f: f.docker is not None or f.dockerd_unit is not None,
          ("daemon-json", "service-unit", "socket-unit")),
    Check(_r("HOST-036", "No runtime pulls from registries without TLS", Severity.HIGH,
             "Remove insecure-registries (daemon.json), insecure = true (registries.conf), "
             "insecure_skip_verify and http:// mirrors (containerd), insecure_registries "
             "(CRI-O).", ("malicious-image",), ("CIS Docker 2.5", "T1525")), _insecure,
          lambda f: bool(f.runtime_configs), tuple(map(_condition, INSECURE_FROM))),
    Check(_r("HOST-037", "Runtimes keep their default seccomp/LSM confinement",
             Severity.HIGH, "Remove seccomp/apparmor 'unconfined' defaults, "
             "disable_apparmor and label = false from runtime configs.",
             ("container-escape",), ("CIS Docker 2.17", "CIS Docker 5.1", "T1611")),
          _unconfined, lambda f: bool(f.runtime_configs),
          tuple(map(_condition, UNCONFINED_FROM))),
    Check(_r("HOST-038", "Short image names cannot resolve to an unexpected registry",
             Severity.MEDIUM, 'Set short-name-mode = "enforcing" or list a single '
             "unqualified-search-registries entry in registries.conf.",
             ("malicious-image",), ("T1525",)), _short_names,
          lambda f: any(c.runtime == "registries.conf" for c in f.runtime_configs)),
    Check(_r("HOST-039", "The containers trust policy verifies images (policy.json lint)",
             Severity.HIGH, "Fix the policy.json findings (the IMG-2xx rule named in each "
             "message): default reject, signedBy/sigstoreSigned per registry, readable keys.",
             ("malicious-image",), ("containers-policy.json(5)", "T1525", "T1610")), _trust,
          lambda f: f.trust_policy is not None,
          tuple(c.rule.id.lower() for c in TRUST_CHECKS)),  # one per trust rule
    Check(_r("HOST-040", "Runtime API sockets are root's and not world-writable",
             Severity.CRITICAL, "chown root:docker (docker.sock) or root:root, chmod 660.",
             ("container-escape", "platform-privilege-escalation"),
             ("CIS Docker 3.15", "CIS Docker 3.16", "CIS Docker 3.23", "CIS Docker 3.24",
              "Lynis CONT-8108", "T1611", "T1610")), _sockets, lambda f: bool(f.sockets),
          perms.SOCKET_CONDITIONS),
    Check(_r("HOST-041", "Runtime configs and units are root's and not writable by others",
             Severity.HIGH, "chown root:root; chmod 644 files and 755 directories.",
             ("persistence-drift", "platform-privilege-escalation"),
             ("CIS Docker 3.1", "CIS Docker 3.2", "CIS Docker 3.3", "CIS Docker 3.4",
              "CIS Docker 3.5", "CIS Docker 3.6", "CIS Docker 3.17", "CIS Docker 3.18",
              "CIS Docker 3.19", "CIS Docker 3.22", "Lynis CONT-8108", "T1543")),
          _configs, lambda f: bool(f.configs), perms.CONFIG_CONDITIONS),
    Check(_r("HOST-042", "Runtime binaries, state and configs are audited", Severity.MEDIUM,
             "Add auditd watches, e.g. '-w /usr/bin/dockerd -k docker', for each path.",
             ("persistence-drift",), tuple(f"CIS Docker 1.1.{n}" for n in range(3, 19))),
          _audit, lambda f: bool(f.runtime_paths)),
)
