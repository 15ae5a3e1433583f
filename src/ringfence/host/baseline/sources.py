"""What a container host's security rests on, read under a root into facts and tracked files.

Every read goes through :class:`ringfence.host.facts.RootReader`, so a symlink pointing
outside the root is resolved inside it (as chroot would) and nothing else is opened. A file
that exists but cannot be read becomes a problem of the snapshot (an Unknown on check),
never a silently missing value.
"""

from __future__ import annotations

import errno
import hashlib
import json
import os
import re
import shlex
import stat
import tomllib
from collections.abc import Callable, Iterator
from typing import Any, Final

from ringfence.catalog.apk.cataloger import DB_PATH as APK_DB
from ringfence.catalog.apk.cataloger import ApkCataloger
from ringfence.catalog.dpkg.cataloger import DpkgCataloger
from ringfence.catalog.interface import CatalogError
from ringfence.catalog.rpm.cataloger import PATHS as RPM_PATHS
from ringfence.catalog.rpm.cataloger import RpmCataloger
from ringfence.diff.model import FILE, SYMLINK, FileState
from ringfence.errors import InputError
from ringfence.host import sysctl
from ringfence.host.baseline import model as m
from ringfence.host.facts import FactError, RootReader
from ringfence.host.sshd import KEYWORDS as SSHD_KEYWORDS
from ringfence.host.sshd import load_sshd_config
from ringfence.inputs import check_depth
from ringfence.runtime.caps import from_mask

MAX_CONFIG: Final = 8 << 20
MAX_PACKAGE_DB: Final = 512 << 20  # rpmdb.sqlite of a large RHEL host: ~100 MiB
MAX_HASHED: Final = 1 << 30  # a setuid program larger than this is recorded unhashed
MAX_WALK: Final = 2_000_000  # entries visited looking for setuid programs
MAX_FACTS_PER_FILE: Final = 5_000
MAX_INCLUDE_DEPTH: Final = 8
SETUID_DIRS: Final = ("/bin", "/sbin", "/usr/bin", "/usr/sbin", "/usr/local/bin",
                      "/usr/local/sbin", "/usr/lib", "/usr/libexec", "/usr/local/lib",
                      "/lib", "/opt")
# kernel filesystems not walked when a program directory resolves to the root itself
PSEUDO_FS: Final = frozenset({"/proc", "/sys"})
UNIT_DIRS: Final = ("/etc/systemd/system", "/run/systemd/system", "/usr/lib/systemd/system",
                    "/lib/systemd/system")
# the units of container runtimes and the kubelet (name prefixes before .service/.socket)
RUNTIME_UNITS: Final = ("docker", "containerd", "crio", "podman", "kubelet", "cri-docker",
                        "k3s", "rke2-server", "rke2-agent", "buildkit")
# runtime configs parsed into dotted keys: (directory, name pattern, format)
RUNTIME_CONFIGS: Final = (
    ("/etc/docker", "daemon.json", "json"),
    ("/etc/containers", "policy.json", "json"),
    ("/etc/containerd", "config.toml", "toml"),
    ("/etc/crio", "crio.conf", "toml"),
    ("/etc/crio/crio.conf.d", "*.conf", "toml"),
    ("/usr/share/containers", "containers.conf", "toml"),
    ("/etc/containers", "containers.conf", "toml"),
    ("/etc/containers/containers.conf.d", "*.conf", "toml"),
    ("/etc/containers", "registries.conf", "toml"),
    ("/etc/containers/registries.conf.d", "*.conf", "toml"),
    ("/etc/containers", "storage.conf", "toml"),
)
# tracked by content only: profiles, credentials-bearing or YAML files (not flattened: a
# kubeconfig holds keys that must not be copied into a baseline)
HASHED_ONLY: Final = (
    ("/etc/containers", "seccomp.json"), ("/usr/share/containers", "seccomp.json"),
    ("/etc/docker", "seccomp*.json"), ("/etc/apparmor.d", "*"), ("/etc/apparmor.d/local", "*"),
    # what every profile includes (<abstractions/base>, <tunables/global>)
    ("/etc/apparmor.d/abstractions", "*"), ("/etc/apparmor.d/tunables", "*"),
    ("/etc/containers/registries.d", "*.yaml"), ("/var/lib/kubelet", "config.yaml"),
    ("/etc/kubernetes", "*.conf"), ("/etc/kubernetes/manifests", "*.yaml"),
    ("/etc/default", "kubelet"), ("/etc/sysconfig", "kubelet"), ("/etc/default", "docker"),
    ("/etc", "gshadow"), ("/etc", "login.defs"),
)


class Collector:
    """Accumulates facts, tracked files and problems of one snapshot."""

    def __init__(self, reader: RootReader) -> None:
        self.reader = reader
        self.facts: dict[tuple[str, str], m.Fact] = {}
        self.files: dict[str, FileState] = {}
        self.problems: list[tuple[str, str]] = []

    def fact(self, domain: str, key: str, value: str, source: str) -> None:
        self.facts[(domain, key)] = m.Fact(domain, key, value, source)

    def problem(self, path: str, reason: str) -> None:
        self.problems.append((path, reason))

    def read(self, path: str, limit: int = MAX_CONFIG) -> bytes | None:
        """The bytes of ``path`` (tracked), None when absent or unreadable (a problem)."""
        try:
            data = self.reader.read(path, limit)
        except FactError as exc:
            self.problem(path, exc.reason)
            return None
        if data is not None:
            self.track(path, data)
        return data

    def text(self, path: str) -> str | None:
        data = self.read(path)
        return None if data is None else data.decode("utf-8", "replace")

    def track(self, path: str, data: bytes) -> None:
        try:
            st = self.reader.stat(path)
            real = self.reader.resolve(path)
            target = None if real is None else self.reader.stat(real)
        except FactError as exc:
            self.problem(path, exc.reason)
            return
        if st is None or target is None:
            return
        if st.kind == "link":  # the link and the file it designates are both tracked
            parent = self.reader.resolve(os.path.dirname(path)) or "/"
            link = os.readlink(self.reader.host_path(os.path.join(parent,
                                                                  os.path.basename(path))))
            self.files[path] = FileState(SYMLINK, st.mode, st.uid, st.gid, link=link)
        self.files[real or path] = FileState(FILE, target.mode, target.uid, target.gid,
                                             len(data), hashlib.sha256(data).hexdigest())

    def glob(self, directory: str, pattern: str) -> list[str]:
        try:
            return self.reader.glob(directory, pattern)
        except FactError as exc:
            self.problem(directory, exc.reason)
            return []


def identity(c: Collector) -> dict[str, str]:
    out: dict[str, str] = {}
    for key, path in (("machine-id", "/etc/machine-id"), ("hostname", "/etc/hostname")):
        try:
            text = c.reader.text(path)
        except FactError as exc:
            c.problem(path, exc.reason)
            continue
        if text and text.strip():
            out[key] = text.strip()
    return out


def _source(where: str) -> str:
    return where.rsplit(":", 1)[0] if ":" in where else where


def sshd(c: Collector) -> None:
    try:
        config = load_sshd_config(c.reader)
    except FactError as exc:
        c.problem(exc.path, exc.reason)
        return
    if config is None:
        return
    for path in config.files:
        c.read(path)
    for problem in config.problems:
        c.problem(config.path, problem)
    for key, value in sorted(config.settings().items()):
        source = config.source_of(key)
        c.fact(m.SSHD, key, value, "" if source.endswith("(default)") else _source(source))
    for index, block in enumerate(config.blocks):
        for key, value in sorted(config.block_settings(index).items()):
            c.fact(m.SSHD, f"{block.describe()} / {key}", value,
                   _source(config.source_of(key, index)))
    # every other keyword as written, all its lines in order (AuthorizedKeysCommand,
    # TrustedUserCAKeys, Subsystem, AllowUsers...): a line nothing parsed would otherwise be
    # hidden by a parsed value changed in the same file
    others: dict[tuple[int | None, str], list[str]] = {}
    first: dict[tuple[int | None, str], str] = {}
    for d in config.directives:
        if d.keyword not in SSHD_KEYWORDS:
            others.setdefault((d.block, d.keyword), []).append(d.raw or " ".join(d.args))
            first.setdefault((d.block, d.keyword), d.source)
    for (where, keyword), values in others.items():
        key = keyword if where is None else f"{config.blocks[where].describe()} / {keyword}"
        c.fact(m.SSHD, key, " ; ".join(values), _source(first[(where, keyword)]))


def sysctls(c: Collector) -> None:
    errors: list[FactError] = []
    for path in sysctl.config_files(c.reader):
        text = c.text(path)
        if text is not None:
            for name, value in sysctl.parse_sysctl_conf(text, path).items():
                c.fact(m.SYSCTL, name, value.value, path)
    if c.reader.is_live:
        for name, value in sysctl.effective(c.reader, sysctl.SECURITY_SYSCTLS, errors).items():
            c.fact(m.SYSCTL_LIVE, name, value.value, value.source)
    for error in errors:
        c.problem(error.path, error.reason)


def _cmdline_words(c: Collector, words: list[str], source: str) -> None:
    seen: dict[str, list[str]] = {}
    for word in words:
        name, _, value = word.partition("=")
        seen.setdefault(name, []).append(value)
    for name, values in seen.items():
        c.fact(m.CMDLINE, name, ",".join(values), source)


def kernel(c: Collector) -> None:
    if c.reader.is_live:
        try:
            text = c.reader.text("/proc/cmdline")
            modules = c.reader.text("/proc/modules")
        except FactError as exc:
            c.problem(exc.path, exc.reason)
        else:
            _cmdline_words(c, (text or "").split(), "/proc/cmdline")
            for line in (modules or "").splitlines():
                if line.split():
                    c.fact(m.MODULE, line.split()[0], "loaded", "/proc/modules")
    # grub-mkconfig sources /etc/default/grub, then /etc/default/grub.d/*.cfg (Ubuntu's cloud
    # images set the command line there)
    for path in ["/etc/default/grub", *c.glob("/etc/default/grub.d", "*.cfg")]:
        grub = c.text(path)
        if grub is None:
            continue
        words: list[str] = []
        for line in grub.splitlines():
            name, sep, value = line.strip().removeprefix("export ").partition("=")
            if sep and name in ("GRUB_CMDLINE_LINUX", "GRUB_CMDLINE_LINUX_DEFAULT"):
                try:
                    # "$GRUB_CMDLINE_LINUX_DEFAULT x=1" appends: the reference is no word
                    words += [w for w in " ".join(shlex.split(value)).split()
                              if not w.startswith("$")]
                except ValueError:
                    c.problem(path, f"unbalanced quotes in {name}")
        _cmdline_words(c, words, path)
    for path in ["/etc/modules", *c.glob("/etc/modules-load.d", "*.conf"),
                 *c.glob("/etc/modprobe.d", "*.conf")]:
        text = c.text(path)
        for line in (text or "").splitlines():
            parts = line.split("#", 1)[0].split()
            if not parts:
                continue
            if path.startswith("/etc/modprobe.d/"):
                if len(parts) > 1:  # blacklist, install, options, alias, softdep, remove
                    c.fact(m.MODULE_CONF, f"{parts[0]} {parts[1]}", " ".join(parts[2:]), path)
            else:
                c.fact(m.MODULE_CONF, f"load {parts[0]}", "", path)


def accounts(c: Collector) -> None:
    passwd = c.text("/etc/passwd")
    for line in (passwd or "").splitlines():
        f = line.split(":")
        if len(f) >= 7 and f[0] and not f[0].startswith("#"):
            c.fact(m.USER, f[0], f"uid={f[2]} gid={f[3]} home={f[5]} shell={f[6]}",
                   "/etc/passwd")
    group = c.text("/etc/group")
    for line in (group or "").splitlines():
        f = line.split(":")
        if len(f) >= 4 and f[0] and not f[0].startswith("#"):
            members = ",".join(sorted(x for x in f[3].split(",") if x))
            c.fact(m.GROUP, f[0], f"gid={f[2]} members={members}", "/etc/group")
    shadow = c.text("/etc/shadow")  # only the state of each password, never its hash
    for line in (shadow or "").splitlines():
        f = line.split(":")
        if len(f) >= 2 and f[0]:
            state = ("empty" if f[1] == "" else "locked" if f[1][:1] in ("!", "*")
                     else "set")
            c.fact(m.PASSWORD, f[0], state, "/etc/shadow")


def _logical_lines(text: str) -> Iterator[str]:
    pending = ""
    for raw in text.splitlines():
        line = raw.rstrip()
        if line.endswith("\\"):
            pending += line[:-1] + " "
            continue
        yield " ".join((pending + line).split())
        pending = ""
    if pending:
        yield " ".join(pending.split())


def _sudo_include(line: str, hostname: str) -> tuple[str, str] | None:
    """``(include|includedir, path)``: a quoted path is unquoted and ``%h`` is the short host
    name, as sudo does."""
    for word in ("#includedir", "@includedir", "#include", "@include"):
        if line.startswith(word + " "):
            target = line[len(word):].strip()
            if len(target) > 1 and target[0] == target[-1] == '"':
                target = re.sub(r"\\(.)", r"\1", target[1:-1])
            return word.lstrip("#@"), re.sub("%[h%]", lambda mt: "%" if mt[0] == "%%"
                                             else hostname, target)
    return None


def _sudo_rule(line: str) -> bool:
    """A line sudo reads as a rule: not a comment, where ``#`` then digits is a user ID
    (``#1000 ALL=(ALL) ALL``), not a comment."""
    return bool(line) and (not line.startswith("#") or line[1:2].isdigit())


def sudoers(c: Collector) -> None:
    seen: set[str] = set()
    hostname = identity(c).get("hostname", "").split(".", 1)[0]

    def visit(path: str, depth: int) -> None:
        if path in seen:
            return
        seen.add(path)
        if depth > MAX_INCLUDE_DEPTH:
            c.problem(path, f"sudoers includes nested deeper than {MAX_INCLUDE_DEPTH}")
            return
        text = c.text(path)
        for line in _logical_lines(text or ""):
            include = _sudo_include(line, hostname)
            if include is not None:
                kind, target = include
                if not target.startswith("/"):
                    target = os.path.join(os.path.dirname(path), target)
                if kind == "includedir":
                    # sudo skips names ending in ~ or containing a dot
                    for name in c.glob(target, "*"):
                        base = name.rsplit("/", 1)[1]
                        if not base.endswith("~") and "." not in base:
                            visit(name, depth + 1)
                else:
                    visit(target, depth + 1)
                c.fact(m.SUDOERS, f"{path}|{line}", line, path)
            elif _sudo_rule(line):
                c.fact(m.SUDOERS, f"{path}|{line}", line, path)

    visit("/etc/sudoers", 0)


def pam(c: Collector) -> None:
    """Each PAM stack line: ``auth sufficient pam_permit.so`` or a ``pam_exec.so`` hook
    added to a service logs in or runs code as root without any account change."""
    for path in ["/etc/pam.conf", *c.glob("/etc/pam.d", "*")]:
        try:
            st = c.reader.stat(path)
        except FactError as exc:
            c.problem(path, exc.reason)
            continue
        if st is None or st.kind == "dir":
            continue
        for line in _logical_lines(c.text(path) or ""):
            if line and not line.startswith("#"):
                c.fact(m.PAM, f"{path}|{line}", line, path)


def audit_rules(c: Collector) -> None:
    for path in ["/etc/audit/audit.rules", "/etc/audit/auditd.conf",
                 *c.glob("/etc/audit/rules.d", "*.rules")]:
        for line in _logical_lines(c.text(path) or ""):
            if line and not line.startswith("#"):
                c.fact(m.AUDIT, f"{path}|{line}", line, path)


def _unit_directives(text: str) -> Iterator[tuple[str, str]]:
    section = ""
    for line in _logical_lines(text):
        if not line or line[0] in "#;":
            continue
        if line.startswith("[") and line.endswith("]"):
            section = line[1:-1]
            continue
        key, sep, value = line.partition("=")
        if sep:
            yield f"{section}.{key.strip()}", value.strip()


def is_runtime_unit(name: str) -> bool:
    """A unit (or its ``.d`` drop-in directory) of a container runtime or the kubelet."""
    stem = name.split("@", 1)[0].rsplit(".", 1)[0].removesuffix(".service")
    return any(stem == u or stem.startswith(u + "-") or stem.startswith(u + ".")
               for u in RUNTIME_UNITS)


def unit_facts(c: Collector, domain: str, unit: str) -> None:
    """The directives of one unit file or drop-in, ``SECTION.KEY`` = values in order."""
    values: dict[str, list[str]] = {}
    for key, value in _unit_directives(c.text(unit) or ""):
        # an empty assignment resets a list setting (ExecStart=), as systemd does
        values[key] = [] if value == "" else [*values.get(key, []), value]
    for key, vals in values.items():
        c.fact(domain, f"{unit} {key}", " ; ".join(vals), unit)


def resolved_dirs(c: Collector, dirs: tuple[str, ...] = UNIT_DIRS) -> list[str]:
    """``dirs`` resolved in the root, each once: with merged /usr, /lib/systemd/system is
    /usr/lib/systemd/system and its units would otherwise be read (and drift) twice (the
    setuid walk resolves its directories the same way)."""
    out: list[str] = []
    for directory in dirs:
        try:
            real = c.reader.resolve(directory)
        except FactError as exc:
            c.problem(directory, exc.reason)
            continue
        if real is not None and real not in out:
            out.append(real)
    return out


def units(c: Collector) -> None:
    for directory in resolved_dirs(c):
        for path in c.glob(directory, "*"):
            name = path.rsplit("/", 1)[1]
            if not is_runtime_unit(name):
                continue
            files = c.glob(path, "*.conf") if name.endswith(".d") else [path]
            for unit in files:
                unit_facts(c, m.UNIT, unit)


def _flatten(doc: Any, prefix: str, out: dict[str, str]) -> None:
    if isinstance(doc, dict) and doc:
        for key, value in doc.items():
            _flatten(value, f"{prefix}.{key}" if prefix else str(key), out)
    else:
        out[prefix or "."] = json.dumps(doc, sort_keys=True, default=str)


def runtime_configs(c: Collector) -> None:
    parsers: dict[str, Callable[[bytes], Any]] = {"json": json.loads,
                                                  "toml": lambda b: tomllib.loads(b.decode())}
    for directory, pattern, kind in RUNTIME_CONFIGS:
        for path in c.glob(directory, pattern):
            data = c.read(path)
            if data is None:
                continue
            try:
                doc = parsers[kind](data)
                check_depth(doc, path)
            except (ValueError, UnicodeDecodeError, RecursionError) as exc:
                c.problem(path, f"not valid {kind}: {str(exc)[:200]}")
                continue
            except InputError as exc:  # nested too deep
                c.problem(path, exc.message)
                continue
            flat: dict[str, str] = {}
            _flatten(doc, "", flat)
            if len(flat) > MAX_FACTS_PER_FILE:
                c.problem(path, f"{len(flat)} settings; only the file hash is recorded")
                continue
            for key, value in flat.items():
                c.fact(m.RUNTIME, f"{path} {key}", value, path)
    for directory, pattern in HASHED_ONLY:
        for path in c.glob(directory, pattern):
            try:
                st = c.reader.stat(path)
            except FactError as exc:
                c.problem(path, exc.reason)
                continue
            if st is not None and st.kind in ("file", "link"):
                c.read(path)


def packages(c: Collector) -> None:
    readers: list[tuple[str, Any]] = [("/var/lib/dpkg/status", DpkgCataloger()),
                                      (APK_DB, ApkCataloger())]
    readers += [(p, RpmCataloger()) for p in sorted(RPM_PATHS)]
    for path, cataloger in readers:
        try:
            data = c.reader.read(path, MAX_PACKAGE_DB)
        except FactError as exc:
            c.problem(path, exc.reason)
            continue
        if data is None:
            continue
        c.track(path, data)
        try:
            parsed = cataloger.parse(path, data)
        except (CatalogError, ValueError) as exc:
            c.problem(path, f"package database unreadable: {exc}")
            continue
        for problem in getattr(parsed, "problems", ())[:20]:
            c.problem(path, str(problem))
        for pkg in parsed.packages:
            key = f"{pkg.type}/{pkg.name}" + (f":{pkg.arch}" if pkg.arch else "")
            c.fact(m.PACKAGE, key, pkg.version, path)


def setuid_programs(c: Collector) -> None:
    """Regular files with the setuid or setgid bit under the system program directories,
    walked without following symlinks (merged-/usr links are resolved in the root first)."""
    roots = resolved_dirs(c, SETUID_DIRS)
    # a directory inside another one listed is walked once ("/" when /usr/bin -> /)
    roots = [r for r in roots
             if not any(r != o and r.startswith(o.rstrip("/") + "/") for o in roots)]
    seen: set[tuple[int, int]] = set()  # directories by (device, inode): bind-mount loops
    visited = 0
    for top in roots:
        stack = [c.reader.host_path(top)]
        while stack:
            directory = stack.pop()
            try:
                st = os.lstat(directory)
                if (st.st_dev, st.st_ino) in seen:
                    continue
                seen.add((st.st_dev, st.st_ino))
                with os.scandir(directory) as it:
                    entries = list(it)
            except OSError as exc:  # an unreadable directory hides what is in it
                c.problem(_in_root(c, directory), f"setuid search: {exc.strerror or exc}")
                continue
            visited += len(entries)
            if visited > MAX_WALK:
                c.problem(top, f"more than {MAX_WALK} entries; setuid search stopped")
                return
            for entry in entries:
                path = entry.path
                if entry.is_dir(follow_symlinks=False):
                    if _in_root(c, path) not in PSEUDO_FS:
                        stack.append(path)
                elif entry.is_file(follow_symlinks=False):
                    _setuid_file(c, path)


def _in_root(c: Collector, host_path: str) -> str:
    return host_path[len(c.reader.host_path("")):] or "/"


def file_capabilities(raw: bytes) -> str:
    """A ``security.capability`` value (``vfs_cap_data`` v1-v3) as getcap writes it:
    ``cap_net_raw,cap_setuid=ep``; a value that does not parse is shown in hex."""
    if len(raw) < 12:
        return f"unparsed:{raw.hex()}"
    magic = int.from_bytes(raw[:4], "little")
    words = 1 if magic >> 24 == 1 else 2
    if len(raw) < 4 + 8 * words:
        return f"unparsed:{raw.hex()}"
    permitted = inheritable = 0
    for i in range(words):
        base = 4 + 8 * i
        permitted |= int.from_bytes(raw[base:base + 4], "little") << (32 * i)
        inheritable |= int.from_bytes(raw[base + 4:base + 8], "little") << (32 * i)
    names = sorted(from_mask(permitted | inheritable))
    flags = "e" if magic & 1 else ""
    out = ",".join(n.lower() for n in names) or "none"
    parts = [f"{out}={flags}{'p' if permitted else ''}{'i' if inheritable else ''}"]
    if inheritable and inheritable != permitted:
        parts.append("inheritable=" + ",".join(sorted(n.lower() for n in from_mask(inheritable))))
    if magic >> 24 == 3 and len(raw) >= 24:
        parts.append(f"rootid={int.from_bytes(raw[20:24], 'little')}")
    return " ".join(parts)


def _capabilities(c: Collector, host_path: str) -> str | None:
    try:
        raw = os.getxattr(host_path, "security.capability", follow_symlinks=False)
    except OSError as exc:
        if exc.errno not in (errno.ENODATA, errno.ENOTSUP):
            c.problem(_in_root(c, host_path), f"file capabilities: {exc.strerror or exc}")
        return None
    return file_capabilities(raw)


def _setuid_file(c: Collector, host_path: str) -> None:
    """A setuid/setgid program, or one given file capabilities (``setcap``): both run with
    privileges their caller does not have."""
    try:
        st = os.lstat(host_path)
    except OSError:
        return
    if not stat.S_ISREG(st.st_mode):
        return
    caps = _capabilities(c, host_path)
    if caps is None and not st.st_mode & (stat.S_ISUID | stat.S_ISGID):
        return
    path = _in_root(c, host_path)
    digest = "unhashed"
    if st.st_size <= MAX_HASHED:
        try:
            fd = os.open(host_path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC)
        except OSError as exc:
            c.problem(path, exc.strerror or str(exc))
        else:
            h = hashlib.sha256()
            try:
                with os.fdopen(fd, "rb") as f:
                    while chunk := f.read(1 << 20):
                        h.update(chunk)
                digest = h.hexdigest()
            except OSError as exc:
                c.problem(path, exc.strerror or str(exc))
    c.fact(m.SETUID, path, f"mode={stat.S_IMODE(st.st_mode):04o} uid={st.st_uid} "
           f"gid={st.st_gid}" + (f" caps={caps}" if caps else "") + f" sha256={digest}", path)


SOURCES: Final[tuple[Callable[[Collector], None], ...]] = (
    sshd, sysctls, kernel, accounts, pam, sudoers, audit_rules, units, runtime_configs, packages,
    setuid_programs)
