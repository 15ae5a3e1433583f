"""Where an intruder persists on a container host, read into facts (HOST-112): libraries
preloaded into every program (``/etc/ld.so.preload``, the ``ld.so.conf`` search path), SSH
keys that log in as a user (each user's ``AuthorizedKeysFile``), cron jobs, and systemd units
the administrator enabled or added (``/etc/systemd``) beside the runtime units of HOST-106.
"""

from __future__ import annotations

import hashlib
import os
from typing import Final

from ringfence.host.baseline import model as m
from ringfence.host.baseline.sources import (
    MAX_INCLUDE_DEPTH,
    UNIT_DIRS,
    Collector,
    is_runtime_unit,
    resolved_dirs,
    unit_facts,
)
from ringfence.host.facts import FactError
from ringfence.host.sshd import load_sshd_config

CRON_TABLES: Final = (("/etc", "crontab"), ("/etc", "anacrontab"), ("/etc/cron.d", "*"),
                      ("/var/spool/cron/crontabs", "*"), ("/var/spool/cron", "*"))
CRON_SCRIPTS: Final = ("/etc/cron.hourly", "/etc/cron.daily", "/etc/cron.weekly",
                       "/etc/cron.monthly", "/etc/cron.yearly")
SYSTEMD_ADMIN_DIRS: Final = ("/etc/systemd/system", "/etc/systemd/user")
MAX_USERS: Final = 10_000  # accounts whose key files are read


def _lines(c: Collector, domain: str, path: str) -> None:
    text = c.text(path)
    for raw in (text or "").splitlines():
        line = " ".join(raw.split())
        if line and not line.startswith("#"):
            c.fact(domain, f"{path}|{line}", line, path)


def _regular(c: Collector, path: str) -> bool:
    try:
        st = c.reader.stat(path)
    except FactError as exc:
        c.problem(path, exc.reason)
        return False
    return st is not None and st.kind in ("file", "link", "other")


def preload(c: Collector) -> None:
    """``/etc/ld.so.preload`` and the library search path of ``/etc/ld.so.conf``."""
    _lines(c, m.LDSO, "/etc/ld.so.preload")
    seen: set[str] = set()

    def conf(path: str, depth: int) -> None:
        if path in seen or depth > MAX_INCLUDE_DEPTH:
            return
        seen.add(path)
        _lines(c, m.LDSO, path)
        for raw in (c.text(path) or "").splitlines():
            words = raw.split("#", 1)[0].split()
            if len(words) == 2 and words[0] == "include":
                directory, _, pattern = words[1].rpartition("/")
                for name in c.glob(directory or "/", pattern):
                    conf(name, depth + 1)

    conf("/etc/ld.so.conf", 0)


def _key_files(c: Collector) -> list[str]:
    """The AuthorizedKeysFile patterns sshd uses: globally and in any Match block."""
    try:
        config = load_sshd_config(c.reader)
    except FactError as exc:
        c.problem(exc.path, exc.reason)
        config = None
    if config is None:
        return [".ssh/authorized_keys", ".ssh/authorized_keys2"]
    values = [config.settings()["authorizedkeysfile"]]
    values += [config.block_settings(i).get("authorizedkeysfile", "")
               for i in range(len(config.blocks))]
    out: list[str] = []
    for value in values:
        out += [w for w in value.split() if w.lower() != "none" and w not in out]
    return out


def authorized_keys(c: Collector) -> None:
    """Each user's authorized keys (sshd's ``%h``/``%u``/``%U``/``%%`` tokens expanded)."""
    patterns = _key_files(c)
    paths: list[str] = []
    for raw in (c.text("/etc/passwd") or "").splitlines()[:MAX_USERS]:
        f = raw.split(":")
        if len(f) < 7 or not f[0] or f[0].startswith("#"):
            continue
        user, uid, home = f[0], f[2], f[5] or "/"
        for pattern in patterns:
            path = pattern.replace("%%", "\0").replace("%h", home).replace(
                "%u", user).replace("%U", uid).replace("\0", "%")
            path = os.path.normpath(path if path.startswith("/") else f"{home}/{path}")
            if path not in paths:
                paths.append(path)
    for path in paths:
        if _regular(c, path):
            _lines(c, m.AUTHORIZED_KEYS, path)


def cron(c: Collector) -> None:
    """Crontabs line by line; the run-parts scripts of ``/etc/cron.*`` by content."""
    for directory, pattern in CRON_TABLES:
        for path in c.glob(directory, pattern):
            if _regular(c, path):
                _lines(c, m.CRON, path)
    for directory in CRON_SCRIPTS:
        for path in c.glob(directory, "*"):
            if not _regular(c, path):
                continue
            data = c.read(path)
            if data is not None:
                st = c.reader.stat(path)
                mode = f"mode={st.mode:04o} " if st is not None else ""
                c.fact(m.CRON, path, f"{mode}sha256={hashlib.sha256(data).hexdigest()}",
                       path)


def _link(c: Collector, path: str) -> str:
    parent = c.reader.resolve(os.path.dirname(path)) or "/"
    return os.readlink(c.reader.host_path(os.path.join(parent, os.path.basename(path))))


def systemd_units(c: Collector) -> None:
    """Units, aliases/masks, drop-ins and enablement links the administrator placed under
    /etc/systemd; in the vendor and runtime unit directories the drop-ins and enablement
    links (a ``*.wants`` link or an ``ExecStartPre=`` drop-in there starts code at boot as
    well). The runtime and kubelet units and their drop-ins are HOST-106's."""
    admin = resolved_dirs(c, SYSTEMD_ADMIN_DIRS)
    for top in resolved_dirs(c, (*SYSTEMD_ADMIN_DIRS, *UNIT_DIRS)):
        for path in c.glob(top, "*"):
            name = path.rsplit("/", 1)[1]
            if is_runtime_unit(name):
                continue
            try:
                st = c.reader.stat(path)
                if st is None:
                    continue
                if st.kind == "dir" and name.endswith(".d"):
                    for dropin in c.glob(path, "*.conf"):
                        unit_facts(c, m.SYSTEMD, dropin)
                elif st.kind == "dir":  # *.wants, *.requires, *.upholds: what starts
                    for entry in c.glob(path, "*"):
                        target = _link(c, entry) if (s := c.reader.stat(entry)) is not None \
                            and s.kind == "link" else "(not a link)"
                        c.fact(m.SYSTEMD, entry, f"-> {target}", entry)
                elif top not in admin:
                    continue  # a vendor unit file: the package's (HOST-108)
                elif st.kind == "link":  # an alias, or a unit masked to /dev/null
                    c.fact(m.SYSTEMD, path, f"-> {_link(c, path)}", path)
                elif st.kind == "file":
                    unit_facts(c, m.SYSTEMD, path)
            except (FactError, OSError) as exc:
                c.problem(path, getattr(exc, "reason", None) or str(exc))
