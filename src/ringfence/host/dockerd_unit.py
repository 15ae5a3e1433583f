"""The dockerd command line of the docker.service systemd unit, and the TCP listeners of
docker.socket: where the Docker API is most often exposed besides daemon.json ``hosts``
(CIS Docker 2.7 reads both). Pure parsing; gather.py reads the files through the RootReader.

systemd semantics kept: the unit in the first unit directory that has it wins; drop-ins
``<unit>.d/*.conf`` of every unit directory apply in file-name order (a name in an earlier
directory hides the same name later); an empty ``ExecStart=`` or ``ListenStream=`` resets
the list, and the last ``ExecStart`` left is the one run. dockerd reads an address without ``scheme://``
as TCP (opts.ParseHost), so ``-H 0.0.0.0:2375`` is a TCP listener.
"""

from __future__ import annotations

import shlex
from collections.abc import Sequence
from dataclasses import dataclass, replace

# systemd's unit search path, highest precedence first
# the daemon options CIS Docker section 2 checks that dockerd also takes as flags:
# (boolean flags: --icc alone is --icc=true; others take a value)
BOOL_OPTIONS: tuple[str, ...] = ("icc", "no-new-privileges", "live-restore", "tlsverify")
VALUE_OPTIONS: tuple[str, ...] = ("userns-remap", "log-driver")
UNIT_DIRS: tuple[str, ...] = ("/etc/systemd/system", "/run/systemd/system",
                              "/usr/lib/systemd/system", "/lib/systemd/system")
SERVICE, SOCKET = "docker.service", "docker.socket"
_TRUE = ("1", "yes", "true", "on")


@dataclass(frozen=True, slots=True)
class DockerdUnit:
    """What the units say: the TCP API addresses (each with the file that says it) and
    whether dockerd runs with --tlsverify."""

    tcp_hosts: tuple[tuple[str, str, str], ...]  # (address, file, SERVICE or SOCKET)
    tls_verify: bool
    options: tuple[tuple[str, str], ...] = ()  # BOOL/VALUE_OPTIONS on the command line
    exec_source: str = ""  # the file whose ExecStart dockerd runs with

    def option(self, name: str) -> str | None:
        """The last value of a daemon option flag ("true"/"false" for booleans)."""
        return next((v for k, v in reversed(self.options) if k == name), None)


def is_tcp(address: str) -> bool:
    """A dockerd -H address that listens on TCP (scheme tcp://, or none: TCP by default)."""
    scheme, sep, _ = address.strip().partition("://")
    return scheme == "tcp" if sep else bool(address.strip())


def _directives(text: str, key: str) -> list[str]:
    """Values of ``key=`` lines of the [Service]/[Socket] sections, continuation lines
    (trailing backslash) joined."""
    out: list[str] = []
    logical = text.replace("\\\n", " ").splitlines()
    for line in logical:
        name, sep, value = line.strip().partition("=")
        if sep and name.strip() == key:
            out.append(value.strip())
    return out


def exec_start(files: Sequence[tuple[str, str]]) -> tuple[str, list[str]] | None:
    """(file, argv) of the ExecStart systemd runs after the unit and its drop-ins; None when
    there is none or it cannot be split."""
    current: tuple[str, str] | None = None
    for path, text in files:
        for value in _directives(text, "ExecStart"):
            current = None if not value else (path, value)
    if current is None:
        return None
    try:  # systemd prefixes: @, -, :, +, ! (one or more) before the path
        argv = shlex.split(current[1].lstrip("@-:+!"))
    except ValueError:
        return None
    return (current[0], argv) if argv else None


def _flags(argv: Sequence[str]) -> tuple[tuple[str, ...], list[tuple[str, str]]]:
    """TCP hosts and the daemon options of a dockerd command line."""
    hosts: list[str] = []
    options: list[tuple[str, str]] = []
    args = iter(argv[1:])
    for arg in args:
        name, eq, value = arg.partition("=")
        if name in ("-H", "--host"):
            value = value if eq else next(args, "")
            hosts.append(value)
        elif arg.startswith("-H") and len(arg) > 2 and not arg.startswith("--"):
            hosts.append(arg[2:])
        elif name[2:] in BOOL_OPTIONS and name.startswith("--"):
            options.append((name[2:], str(value.lower() in _TRUE).lower() if eq else "true"))
        elif name[2:] in VALUE_OPTIONS and name.startswith("--"):
            options.append((name[2:], value if eq else next(args, "")))
    return tuple(h for h in hosts if is_tcp(h)), options


def socket_listeners(files: Sequence[tuple[str, str]]) -> list[tuple[str, str]]:
    """(address, file) of the TCP ListenStream= of a socket unit and its drop-ins (a port,
    host:port or [v6]:port; a path or @name is a unix socket); an empty value resets."""
    out: list[tuple[str, str]] = []
    for path, text in files:
        for value in _directives(text, "ListenStream"):
            if not value:
                out = []
            elif not value.startswith(("/", "@")):
                out.append((value, path))
    return out


def dockerd_unit(service: Sequence[tuple[str, str]],
                 socket: Sequence[tuple[str, str]]) -> DockerdUnit | None:
    """``service``, ``socket``: docker.service / docker.socket then their drop-ins in
    order, as (path, text). None when there is neither."""
    if not service and not socket:
        return None
    hosts: list[tuple[str, str, str]] = []
    options: list[tuple[str, str]] = []
    start = exec_start(service)
    if start is not None:
        tcp, options = _flags(start[1])
        hosts += [(h, start[0], SERVICE) for h in tcp]
    hosts += [(f"tcp://{a}", path, SOCKET) for a, path in socket_listeners(socket)]
    unit = DockerdUnit(tuple(hosts), False, tuple(options), start[0] if start else "")
    return replace(unit, tls_verify=unit.option("tlsverify") == "true")
