"""IMG-0NN: image-config rules (Dockle / CIS Docker Benchmark section 4 equivalents),
in one explicit tuple IMAGE_CHECKS."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Final

from ringfence.checks.rule import Check, Violation
from ringfence.imageconfig.facts import ImageFacts
from ringfence.imageconfig.filemeta import CACHES
from ringfence.model.finding import Rule, Severity
from ringfence.secretscan.rules import RULES_BY_ID

ROOT_USERS: Final = frozenset(("", "0", "root"))
SUDO: Final = frozenset(("sudo", "sudo-ldap", "doas", "opendoas"))
SSH_SERVERS: Final = frozenset(("openssh-server", "dropbear", "dropbear-bin", "tinysshd"))
REMOTE_PORTS: Final = {"22": "SSH", "23": "Telnet"}
_REMOTE_ADD: Final = re.compile(
    r"\bADD\b(?P<flags>(?:\s+--\S+)*)\s+['\"]?(?:https?|ftp)://\S+")


def _rule(num: int, title: str, severity: Severity, remediation: str,
          threats: tuple[str, ...], refs: tuple[str, ...]) -> Rule:
    return Rule(f"IMG-{num:03d}", title, severity, "image", remediation, threats, refs)


def _has_config(f: ImageFacts) -> bool:
    return f.has_config


def _has_files(f: ImageFacts) -> bool:
    return f.filemeta is not None


def _has_packages(f: ImageFacts) -> bool:
    return f.has_config and bool(f.os_packages)


def _remote_ref(f: ImageFacts) -> bool:
    return f.reference is not None and f.reference.transport == "docker"


def root_user(f: ImageFacts) -> Iterator[Violation]:
    user, _, _group = f.user.partition(":")
    if user.strip() in ROOT_USERS:
        shown = f"User {f.user!r}" if user.strip() else "no User"
        yield Violation(f"the image runs as root ({shown} in its config)", "config.User",
                        "root-user" if user.strip() else "no-user")


def no_healthcheck(f: ImageFacts) -> Iterator[Violation]:
    if not f.healthcheck:
        yield Violation("no HEALTHCHECK instruction", "config.Healthcheck", "absent")
    elif f.healthcheck[0] == "NONE":
        yield Violation("HEALTHCHECK NONE turns the base image's check off",
                        "config.Healthcheck", "none")


def remote_add(f: ImageFacts) -> Iterator[Violation]:
    for n, created in enumerate(f.history):
        m = _REMOTE_ADD.search(created)
        # ADD --checksum=<digest> makes the builder verify the download: the remediation
        if m and "--checksum=" not in m.group("flags"):
            yield Violation(f"ADD of a remote URL: {m.group(0)[:160]}",
                            f"history[{n}].created_by")


def setid_files(f: ImageFacts) -> Iterator[Violation]:
    for mark in f.filemeta.setid if f.filemeta else ():
        bits = " and ".join(b for b, m in (("setuid", 0o4000), ("setgid", 0o2000))
                            if mark.mode & m)
        # a file with both bits is the setuid condition (the stronger one)
        yield Violation(f"{bits} file {mark.path} (mode {mark.mode:04o})", mark.path,
                        "setuid" if mark.mode & 0o4000 else "setgid")


def world_writable(f: ImageFacts) -> Iterator[Violation]:
    for mark in f.filemeta.world_writable if f.filemeta else ():
        yield Violation(f"world-writable {mark.detail} {mark.path} (mode {mark.mode:04o})",
                        mark.path, mark.detail)


def sudo_installed(f: ImageFacts) -> Iterator[Violation]:
    for name in sorted(f.os_packages & SUDO):
        yield Violation(f"package {name} is installed", f"package:{name}")


def ssh_server(f: ImageFacts) -> Iterator[Violation]:
    for name in sorted(f.os_packages & SSH_SERVERS):
        yield Violation(f"SSH server package {name} is installed", f"package:{name}")


def ssh_host_keys(f: ImageFacts) -> Iterator[Violation]:
    for mark in f.filemeta.ssh_host_keys if f.filemeta else ():
        yield Violation(f"SSH host private key {mark.path} is baked into the image "
                        "(every container shares it)", mark.path)


def package_caches(f: ImageFacts) -> Iterator[Violation]:
    by_manager: dict[str, list[str]] = {}
    for mark in f.filemeta.package_caches if f.filemeta else ():
        by_manager.setdefault(mark.detail, []).append(mark.path)
    for manager, paths in sorted(by_manager.items()):
        yield Violation(f"{manager} cache left in the image: {len(paths)} files "
                        f"(e.g. {paths[0]})", paths[0].rsplit("/", 1)[0], manager)


def unpinned(f: ImageFacts) -> Iterator[Violation]:
    ref = f.reference
    if ref is None or ref.digest:
        return
    if (ref.tag or "latest") == "latest":  # the parser already reads no tag as latest
        yield Violation(f"{ref} is referenced by the mutable tag 'latest'", str(ref), "latest")
    else:
        yield Violation(f"{ref} is referenced by tag {ref.tag!r} without a digest", str(ref),
                        "no-digest")


def env_secrets(f: ImageFacts) -> Iterator[Violation]:
    for hit in f.env_secrets:
        rule = RULES_BY_ID.get(hit.rule_id)
        yield Violation(hit.describe(rule.rule.title if rule else hit.rule_id), hit.location)


def remote_ports(f: ImageFacts) -> Iterator[Violation]:
    for port in f.exposed_ports:
        number = port.partition("/")[0]
        if number in REMOTE_PORTS:
            yield Violation(f"port {port} ({REMOTE_PORTS[number]}) is exposed",
                            f"config.ExposedPorts[{port}]", REMOTE_PORTS[number].lower())


_ESC = ("container-escape",)
_REMOTE = ("interactive-access", "lateral-movement")
IMAGE_CHECKS: Final[tuple[Check[ImageFacts], ...]] = (
    Check(_rule(1, "Image runs as root", Severity.HIGH,
                "Add a non-root USER (a name or a uid other than 0) to the image.",
                _ESC, ("CIS Docker 4.1", "Dockle CIS-DI-0001", "T1611")),
          root_user, _has_config, ("no-user", "root-user")),
    Check(_rule(2, "No HEALTHCHECK", Severity.LOW,
                "Add a HEALTHCHECK so the runtime can detect and replace a hung container.",
                ("resource-exhaustion",), ("CIS Docker 4.6", "Dockle CIS-DI-0006")),
          no_healthcheck, _has_config, ("absent", "none")),
    Check(_rule(3, "ADD of a remote URL", Severity.MEDIUM,
                "Fetch remote files with a verified checksum (curl + sha256sum, or "
                "ADD --checksum) or COPY them from the build context.",
                ("malicious-image",), ("CIS Docker 4.9", "Dockle CIS-DI-0009", "T1195")),
          remote_add, _has_config),
    Check(_rule(4, "setuid/setgid files", Severity.LOW,
                "Remove the setuid/setgid bits the workload does not need "
                "(RUN find / -perm /6000 -type f -exec chmod a-s {} +).",
                _ESC, ("CIS Docker 4.8", "Dockle CIS-DI-0008", "T1548.001")),
          setid_files, _has_files, ("setuid", "setgid")),
    Check(_rule(5, "World-writable files or directories outside /tmp", Severity.MEDIUM,
                "Remove write permission for others (chmod o-w) outside scratch "
                "directories.", ("persistence-drift",), ("T1222.002",)),
          world_writable, _has_files, ("file", "directory")),
    Check(_rule(6, "sudo installed", Severity.MEDIUM,
                "Do not install sudo in images; run as the intended user instead.",
                _ESC, ("Dockle DKL-DI-0001", "T1548.003")),
          sudo_installed, _has_packages),
    Check(_rule(7, "SSH server installed", Severity.MEDIUM,
                "Remove the SSH server; use the runtime's exec (kubectl/docker exec) "
                "for interactive access.", _REMOTE, ("CIS Docker 4.3", "T1021.004")),
          ssh_server, _has_packages),
    Check(_rule(8, "SSH host private keys baked in", Severity.HIGH,
                "Delete /etc/ssh/ssh_host_*_key in the same RUN that installs the server "
                "and generate host keys at container start.",
                ("credential-theft", "lateral-movement"), ("CIS Docker 4.10", "T1552.004")),
          ssh_host_keys, _has_files),
    Check(_rule(9, "Package-manager caches left", Severity.LOW,
                "Clean caches in the same RUN (apt-get clean && rm -rf /var/lib/apt/lists/*, "
                "apk --no-cache, pip --no-cache-dir, dnf clean all).",
                ("vulnerable-package",), ("Dockle DKL-DI-0005",)),
          package_caches, _has_files, tuple(dict.fromkeys(m for m, _ in CACHES))),
    Check(_rule(10, "Mutable tag or no digest pinning", Severity.LOW,
                "Reference images by digest (REPO@sha256:...) or at least an immutable "
                "version tag, never 'latest'.",
                ("malicious-image",), ("Dockle DKL-DI-0006", "CIS Docker 4.2", "T1525")),
          unpinned, _remote_ref, ("latest", "no-digest")),
    Check(_rule(11, "Secrets in ENV", Severity.HIGH,
                "Do not put credentials in ENV (they are in the config of every copy of "
                "the image); pass them at run time from a secret store.",
                ("credential-theft",), ("CIS Docker 4.10", "Dockle CIS-DI-0010", "T1552.007")),
          env_secrets, _has_config),
    Check(_rule(12, "Remote-access port 22 or 23 exposed", Severity.MEDIUM,
                "Do not EXPOSE SSH (22) or Telnet (23); use the runtime's exec instead.",
                _REMOTE, ("CIS Docker 5.8", "T1021.004")),
          remote_ports, _has_config, tuple(p.lower() for p in REMOTE_PORTS.values())),
)
