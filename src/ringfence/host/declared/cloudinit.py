"""Declared state from cloud-init user-data, compared with the host (or a mounted root).

What is compared, per cloud-init's documented semantics (cc_write_files, cc_users_groups,
cc_set_passwords, cc_ssh, cc_package_update_upgrade_install, cc_set_hostname):

- ``write_files``: path, content (``b64``/``gzip``/``gz+b64`` encodings), ``permissions``
  (default 0644), ``owner`` (default root:root); ``append`` means the content is contained.
- ``users``: existence, ``uid``, ``shell``, ``groups``, ``sudo`` rules, ``lock_passwd``
  (default true), ``ssh_authorized_keys``.
- ``ssh_pwauth``: sshd's effective ``PasswordAuthentication``.
- ``disable_root``: root's authorized keys carry a forcing ``command=`` option, or none.
- ``packages``: installed; ``hostname``: ``/etc/hostname``.

``runcmd``/``bootcmd`` (their effects cannot be known from the user-data), the ``default``
user (defined by the image's cloud.cfg) and keys not listed above are *not evaluated*.
User-data may be ``#cloud-config`` YAML, gzip-compressed, or MIME multi-part (its
``text/cloud-config`` parts are read; scripts are not evaluated). Every read of the host
goes through :class:`RootReader`.
"""

from __future__ import annotations

import base64
import binascii
import email
import email.policy
import gzip
import io
import zlib
from collections.abc import Callable, Iterator, Mapping
from functools import partial
from typing import Any, Final

import yaml

from ringfence.errors import InputError
from ringfence.host.declared.difftext import unified
from ringfence.host.declared.model import (
    IN_STATE,
    NOT_EVALUATED,
    WOULD_CHANGE,
    DeclaredItem,
    DeclaredState,
)
from ringfence.host.facts import FactError, RootReader
from ringfence.host.sshd import load_sshd_config
from ringfence.inputs import check_depth

SOURCE: Final = "cloud-init"
MAX_DECODED: Final = 64 << 20  # a gzip bomb stops here
MAX_DIFF_LINES: Final = 200
# YAML aliases share nodes: ten levels of ten aliases are 10**10 nodes to walk. A real
# cloud-config has hundreds; past this many (aliases expanded) the user-data is refused.
MAX_NODES: Final = 1_000_000
COMPARED: Final = frozenset({"write_files", "users", "ssh_pwauth", "disable_root", "packages",
                             "hostname", "runcmd", "bootcmd"})
# keys that configure nothing on the host itself (data for other modules' runs)
_INERT: Final = frozenset({"merge_how", "merge_type"})
_Loader: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def load_user_data(data: bytes, subject: str) -> tuple[dict[str, Any], list[str]]:
    """The merged cloud-config of ``data`` and the parts that are not cloud-config."""
    if data[:2] == b"\x1f\x8b":
        data = _gunzip(data, subject)
    if data.lstrip().startswith(b"Content-Type:") or data.startswith(b"MIME-Version:"):
        message = email.message_from_bytes(data, policy=email.policy.compat32)
        config: dict[str, Any] = {}
        others: list[str] = []
        for part in message.walk():
            if part.is_multipart():
                continue
            kind = part.get_content_type()
            payload = part.get_payload(decode=True)
            body = payload if isinstance(payload, bytes) else b""
            if kind == "text/cloud-config":
                config.update(_cloud_config(body, subject))
            else:
                others.append(f"{kind} part {part.get_filename() or ''}".strip())
        return config, others
    if not data.lstrip().startswith(b"#cloud-config"):
        first = data.lstrip().split(b"\n", 1)[0][:40].decode("utf-8", "replace")
        return {}, [f"user-data that is not cloud-config ({first!r})"]
    return _cloud_config(data, subject), []


def _gunzip(data: bytes, subject: str) -> bytes:
    try:
        with gzip.GzipFile(fileobj=io.BytesIO(data)) as f:
            out = f.read(MAX_DECODED + 1)
    except (OSError, EOFError, zlib.error) as exc:
        raise InputError(subject, f"gzip data that does not decompress: {exc}") from exc
    if len(out) > MAX_DECODED:
        raise InputError(subject, f"decompresses to more than {MAX_DECODED} bytes")
    return out


def _cloud_config(data: bytes, subject: str) -> dict[str, Any]:
    try:
        doc = yaml.load(data, Loader=_Loader)  # noqa: S506 - a safe loader (CSafeLoader)
        _check_expanded_size(doc, subject)
        check_depth(doc, subject)
    except (yaml.YAMLError, UnicodeDecodeError, RecursionError) as exc:
        raise InputError(subject, f"cloud-config that does not parse: "
                         f"{str(exc).splitlines()[0][:300]}") from exc
    if doc is None:
        return {}
    if not isinstance(doc, dict):
        raise InputError(subject, f"cloud-config is a {type(doc).__name__}, not a mapping")
    return doc


def _check_expanded_size(doc: Any, subject: str) -> None:
    """InputError when ``doc`` holds more than MAX_NODES values counted as a tree (each use
    of an alias counts its whole subtree again), before anything walks it."""
    budget = MAX_NODES
    stack = [doc]
    while stack:
        node = stack.pop()
        budget -= 1
        if budget < 0:
            raise InputError(subject, f"cloud-config expands to more than {MAX_NODES} values "
                             "(YAML aliases)")
        if isinstance(node, dict):
            stack.extend(node.keys())
            stack.extend(node.values())
        elif isinstance(node, list):
            stack.extend(node)


def compare(data: bytes, subject: str, reader: RootReader) -> DeclaredState:
    config, others = load_user_data(data, subject)
    host = reader.root
    items: list[DeclaredItem] = [_item("user-data part", "user-data", "mime", host,
                                       NOT_EVALUATED, reason=f"{o}: not evaluated")
                                 for o in others]
    cmp = _Compare(reader, host)
    checks: list[tuple[str, Callable[[], DeclaredItem]]] = []
    checks += [("write_files", partial(cmp.write_file, e))
               for e in _list(config.get("write_files"))]
    checks += [("users", partial(cmp.user, e)) for e in _list(config.get("users"))]
    if "ssh_pwauth" in config:
        checks.append(("ssh_pwauth", partial(cmp.ssh_pwauth, config["ssh_pwauth"])))
    if "disable_root" in config:
        checks.append(("disable_root", partial(cmp.disable_root, config["disable_root"])))
    checks += [("packages", partial(cmp.package, e)) for e in _list(config.get("packages"))]
    if isinstance(config.get("hostname"), str):
        checks.append(("hostname", partial(cmp.hostname, config["hostname"])))
    for key, check in checks:
        try:
            items.append(check())
        except FactError as exc:  # a host file that cannot be read: this item is unknown
            items.append(_item(key, key, key, host, NOT_EVALUATED, (exc.path,),
                               reason=f"{exc.path}: {exc.reason}"))
    for key in ("runcmd", "bootcmd"):
        if key in config:
            items.append(_item(key, key, key, host, NOT_EVALUATED,
                               reason="commands: their effects cannot be known from user-data"))
    rest = sorted(str(k) for k in config if k not in COMPARED and k not in _INERT)
    if rest:
        items.append(_item("other keys", "user-data", "cloud-config", host, NOT_EVALUATED,
                           reason=f"not compared by ringfence: {', '.join(rest)}"))
    return DeclaredState(subject, tuple(items))


def _item(name: str, location: str, action: str, host: str, status: str,
          files: tuple[str, ...] = (), diff: str = "", reason: str = "") -> DeclaredItem:
    return DeclaredItem(SOURCE, name, location, action, host, status, files, diff, reason)


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def _decode(entry: Mapping[str, Any], path: str) -> bytes:
    content = entry.get("content", "")
    raw = content.encode() if isinstance(content, str) else (
        content if isinstance(content, bytes) else str(content).encode())
    encoding = str(entry.get("encoding") or "text/plain").lower()
    try:
        if encoding in ("b64", "base64", "gz+b64", "gzip+base64", "gz+base64", "gzip+b64"):
            raw = base64.b64decode(raw, validate=False)
        if encoding in ("gz", "gzip", "gz+b64", "gzip+base64", "gz+base64", "gzip+b64"):
            raw = _gunzip(raw, path)
    except (binascii.Error, ValueError) as exc:
        raise InputError(path, f"content not decodable as {encoding}") from exc
    if encoding not in ("text/plain", "b64", "base64", "gz", "gzip", "gz+b64",
                        "gzip+base64", "gz+base64", "gzip+b64"):
        raise InputError(path, f"unknown encoding {encoding!r}")
    return raw


def _diff(before: bytes, after: bytes, path: str) -> str:
    try:
        a, b = before.decode(), after.decode()
    except UnicodeDecodeError:
        return f"binary content of {path} differs\n"
    lines = unified(a, b, path).splitlines(keepends=True)
    if len(lines) > MAX_DIFF_LINES:
        lines = [*lines[:MAX_DIFF_LINES], f"… {len(lines) - MAX_DIFF_LINES} more lines\n"]
    return "".join(lines)


class _Compare:
    def __init__(self, reader: RootReader, host: str) -> None:
        self.reader = reader
        self.host = host
        self._passwd: dict[str, list[str]] | None = None
        self._groups: dict[str, list[str]] | None = None

    def _table(self, path: str) -> dict[str, list[str]]:
        text = self.reader.text(path) or ""
        return {f[0]: f for f in (line.split(":") for line in text.splitlines()) if f[0]}

    @property
    def passwd(self) -> dict[str, list[str]]:
        if self._passwd is None:
            self._passwd = self._table("/etc/passwd")
        return self._passwd

    @property
    def groups(self) -> dict[str, list[str]]:
        if self._groups is None:
            self._groups = self._table("/etc/group")
        return self._groups

    def write_file(self, entry: Any) -> DeclaredItem:
        path = str(entry.get("path", "")) if isinstance(entry, dict) else ""
        where = f"write_files {path}"
        if not path.startswith("/"):
            return _item(where, "write_files", "write_files", self.host, NOT_EVALUATED,
                         reason="entry without an absolute path")
        try:
            want = _decode(entry, path)
            have = self.reader.read(path, MAX_DECODED)
            st = self.reader.stat(self.reader.resolve(path) or path) if have is not None \
                else None
        except (InputError, FactError) as exc:
            reason = exc.message if isinstance(exc, InputError) else exc.reason
            return _item(where, "write_files", "write_files", self.host, NOT_EVALUATED,
                         (path,), reason=reason)
        if have is None or st is None:
            return _item(where, "write_files", "write_files", self.host, WOULD_CHANGE, (path,),
                         _diff(b"", want, path), "file absent")
        problems: list[str] = []
        diff = ""
        if entry.get("append"):
            if want not in have:
                problems.append("appended content missing")
                diff = _diff(have, have + want, path)
        elif have != want:
            problems.append("content differs")
            diff = _diff(have, want, path)
        mode = _mode(entry.get("permissions", "0644"))
        if mode is None:
            problems.append(f"permissions {entry.get('permissions')!r} not understood")
        elif st.mode != mode:
            problems.append(f"mode {st.mode:04o}, declared {mode:04o}")
        owner = str(entry.get("owner") or "root:root")
        user, _, group = owner.partition(":")
        uid = self._id(self.passwd, user, 2)
        gid = self._id(self.groups, group, 2) if group else None
        if uid is None or (group and gid is None):
            return _item(where, "write_files", "write_files", self.host, NOT_EVALUATED, (path,),
                         reason=f"owner {owner!r} not known on the host")
        if st.uid != uid or (gid is not None and st.gid != gid):
            problems.append(f"owner {st.uid}:{st.gid}, declared {owner}")
        status = WOULD_CHANGE if problems else IN_STATE
        return _item(where, "write_files", "write_files", self.host, status, (path,), diff,
                     "; ".join(problems))

    @staticmethod
    def _id(table: Mapping[str, list[str]], name: str, field: int) -> int | None:
        if name.isdigit():
            return int(name)
        row = table.get(name)
        return int(row[field]) if row and len(row) > field and row[field].isdigit() else None

    def user(self, entry: Any) -> DeclaredItem:
        if isinstance(entry, str):
            entry = {"name": entry}
        if not isinstance(entry, dict) or not entry.get("name"):
            return _item("users entry", "users", "users", self.host, NOT_EVALUATED,
                         reason="entry without a name")
        name = str(entry["name"])
        where = f"users {name}"
        if name == "default":
            return _item(where, "users", "users", self.host, NOT_EVALUATED,
                         reason="the default user is defined by the image's cloud.cfg")
        row = self.passwd.get(name)
        if row is None or len(row) < 7:
            return _item(where, "users", "users", self.host, WOULD_CHANGE, ("/etc/passwd",),
                         reason="user absent")
        problems: list[str] = []
        if "uid" in entry and str(entry["uid"]) != row[2]:
            problems.append(f"uid {row[2]}, declared {entry['uid']}")
        if "shell" in entry and str(entry["shell"]) != row[6]:
            problems.append(f"shell {row[6]}, declared {entry['shell']}")
        groups = entry.get("groups") or []
        wanted = [g.strip() for g in (groups.split(",") if isinstance(groups, str) else
                                      [str(g) for g in _list(groups)]) if g.strip()]
        problems += [f"not in group {g}" for g in wanted if not self._in_group(name, row[3], g)]
        problems += self._sudo(name, entry.get("sudo"))
        problems += self._password(name, entry)
        problems += self._keys(row[5], entry.get("ssh_authorized_keys"))
        files = ("/etc/passwd", "/etc/group", "/etc/shadow", "/etc/sudoers")
        return _item(where, "users", "users", self.host, WOULD_CHANGE if problems else IN_STATE,
                     files if problems else (), reason="; ".join(problems))

    def _in_group(self, name: str, primary_gid: str, group: str) -> bool:
        row = self.groups.get(group)
        if row is None or len(row) < 3:
            return False
        members = row[3].split(",") if len(row) > 3 else []
        return name in members or row[2] == primary_gid

    def _sudo(self, name: str, sudo: Any) -> list[str]:
        rules = [sudo] if isinstance(sudo, str) else [str(r) for r in _list(sudo)]
        if not rules:
            return []
        lines = set(self._sudoers_lines())
        return [f"sudo rule {rule!r} absent" for rule in rules
                if " ".join(f"{name} {rule}".split()) not in lines]

    def _sudoers_lines(self) -> Iterator[str]:
        paths = ["/etc/sudoers", *(p for p in self.reader.glob("/etc/sudoers.d", "*")
                                   if "." not in p.rsplit("/", 1)[1])]
        for path in paths:
            for line in (self.reader.text(path) or "").splitlines():
                if line.strip() and not line.lstrip().startswith("#"):
                    yield " ".join(line.split())

    def _password(self, name: str, entry: Mapping[str, Any]) -> list[str]:
        lock = entry.get("lock_passwd", True)
        shadow = self._table("/etc/shadow").get(name)
        if shadow is None or len(shadow) < 2:
            return ["no /etc/shadow entry"] if lock else []
        locked = shadow[1][:1] in ("!", "*")
        if lock and not locked:
            return ["password not locked (lock_passwd)"]
        return []

    def _keys(self, home: str, keys: Any) -> list[str]:
        wanted = [str(k).strip() for k in _list(keys)]
        if not wanted:
            return []
        text = self.reader.text(f"{home.rstrip('/')}/.ssh/authorized_keys") or ""
        have = {" ".join(line.split()) for line in text.splitlines()}
        return [f"authorized key {k.split()[-1] if k.split() else k!r} absent"
                for k in wanted if " ".join(k.split()) not in have
                and not any(h.endswith(" ".join(k.split())) for h in have)]

    def ssh_pwauth(self, value: Any) -> DeclaredItem:
        where = "ssh_pwauth"
        if value == "unchanged" or value is None:
            return _item(where, where, where, self.host, IN_STATE)
        want = "yes" if value in (True, "true", "yes", 1) else "no"
        config = load_sshd_config(self.reader)
        if config is None:
            return _item(where, where, where, self.host, NOT_EVALUATED,
                         reason="no /etc/ssh/sshd_config on the host")
        have = config.settings().get("passwordauthentication", "yes")
        status = IN_STATE if have == want else WOULD_CHANGE
        return _item(where, where, where, self.host, status, ("/etc/ssh/sshd_config",),
                     reason="" if have == want else
                     f"PasswordAuthentication {have}, declared {want}")

    def disable_root(self, value: Any) -> DeclaredItem:
        where = "disable_root"
        if not value:
            return _item(where, where, where, self.host, IN_STATE)
        text = self.reader.text("/root/.ssh/authorized_keys") or ""
        keys = [line for line in text.splitlines()
                if line.strip() and not line.lstrip().startswith("#")]
        open_keys = [k for k in keys if "command=" not in k.split(" ssh-", 1)[0]
                     and "command=" not in k.split(" ecdsa-", 1)[0]]
        status = WOULD_CHANGE if open_keys else IN_STATE
        return _item(where, where, where, self.host, status, ("/root/.ssh/authorized_keys",),
                     reason=f"{len(open_keys)} root key(s) without a forcing command="
                     if open_keys else "")

    def package(self, entry: Any) -> DeclaredItem:
        name = str(entry[0] if isinstance(entry, list) and entry else entry)
        version = str(entry[1]) if isinstance(entry, list) and len(entry) > 1 else None
        where = f"packages {name}"
        installed = self._installed()
        if installed is None:
            return _item(where, "packages", "packages", self.host, NOT_EVALUATED,
                         reason="no package database on the host")
        have = installed.get(name)
        if have is None:
            return _item(where, "packages", "packages", self.host, WOULD_CHANGE,
                         reason="not installed")
        if version is not None and version not in have:
            return _item(where, "packages", "packages", self.host, WOULD_CHANGE,
                         reason=f"version {', '.join(sorted(have))}, declared {version}")
        return _item(where, "packages", "packages", self.host, IN_STATE)

    def _installed(self) -> dict[str, set[str]] | None:
        from ringfence.host.baseline.sources import Collector, packages

        collector = Collector(self.reader)
        packages(collector)
        if not collector.files:
            return None
        out: dict[str, set[str]] = {}
        for (_, key), fact in collector.facts.items():
            out.setdefault(key.split("/", 1)[1].split(":", 1)[0], set()).add(fact.value)
        return out

    def hostname(self, value: str) -> DeclaredItem:
        have = (self.reader.text("/etc/hostname") or "").strip()
        want = value.split(".", 1)[0] if value else value
        status = IN_STATE if have in (value, want) else WOULD_CHANGE
        return _item("hostname", "hostname", "hostname", self.host, status, ("/etc/hostname",),
                     reason="" if status == IN_STATE else f"hostname {have!r}, declared "
                     f"{value!r}")


def _mode(value: Any) -> int | None:
    if isinstance(value, int):  # unquoted 0644 is YAML 1.1 octal (420): used as is, as
        return value if 0 <= value < 0o10000 else None  # cloud-init's decode_perms does
    try:
        return int(str(value), 8)
    except ValueError:
        return None
