"""Declared state from Ansible: run the real engine in check mode and read its JSON result.

``ansible-playbook --check --diff`` with the ``ansible.posix.json`` stdout callback, against
this host (connection ``local``) or a mounted root (connection ``community.general.chroot``:
modules run inside the root with its own Python). Both plugins ship in the ``ansible``
package on PyPI (ansible-core plus the collections); nothing here re-implements a module.

A task that would change something is a finding; a task check mode cannot evaluate (a
``command``/``shell`` without ``creates``/``removes``, a failure, a module without check
mode support) is *not evaluated* (an Unknown), never counted as in state.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any, Final

from ringfence.errors import InputError
from ringfence.host.declared.difftext import unified
from ringfence.host.declared.model import (
    IN_STATE,
    NOT_EVALUATED,
    SKIPPED,
    WOULD_CHANGE,
    DeclaredItem,
    DeclaredState,
)
from ringfence.inputs import check_depth, read_regular

SOURCE: Final = "ansible"
INSTALL_HINT: Final = ("install Ansible with its collections: `pip install ansible` (the "
                       "ansible.posix JSON callback and the community.general chroot "
                       "connection are used)")
MAX_RESULT: Final = 256 << 20
MAX_PLAYBOOK: Final = 16 << 20
MAX_DIFF_LINES: Final = 200
TIMEOUT: Final = 3600.0
# skip messages of tasks that check mode cannot evaluate (ansible-core's own wording)
_CHECK_MODE_SKIPS: Final = ("check mode", "would have run")


def find_ansible(executable: str | None = None) -> str:
    """``executable``, else ansible-playbook on PATH, else the one installed next to this
    Python (``pip install ansible`` in ringfence's own virtualenv)."""
    beside = Path(sys.executable).parent / "ansible-playbook"
    found = shutil.which(executable) if executable else (
        shutil.which("ansible-playbook") or (str(beside) if beside.is_file() else None))
    if found is None:
        raise InputError(executable or "ansible-playbook", "Ansible is not installed",
                         hint=INSTALL_HINT)
    return found


def command(playbook: Path, root: str | None, inventory: Path | None,
            executable: str) -> list[str]:
    argv = [executable, "--check", "--diff", str(playbook)]
    if inventory is not None:
        argv += ["-i", str(inventory)]
        if root is not None:  # every inventory host is this root
            argv += ["-c", "community.general.chroot", "-e", f"ansible_host={root}"]
    elif root is not None:  # the chroot connection takes the root as the host name
        argv += ["-i", f"{root},", "-c", "community.general.chroot"]
    else:
        argv += ["-i", "localhost,", "-c", "local"]
    return argv


def run_check(playbook: Path, *, root: str | None = None, inventory: Path | None = None,
              executable: str | None = None, timeout: float = TIMEOUT) -> DeclaredState:
    """Run the playbook in check mode against ``root`` (or this host) and read the result."""
    # the playbook must be a regular file of a sane size before Ansible sees it: a FIFO
    # would block ansible-playbook, /dev/zero would exhaust its memory
    read_regular(playbook, MAX_PLAYBOOK, str(playbook))
    exe = find_ansible(executable)
    if root is not None:
        root = str(Path(root).resolve())
    with tempfile.TemporaryDirectory(prefix="ringfence-ansible-") as tmp:
        env = {**os.environ, "ANSIBLE_STDOUT_CALLBACK": "ansible.posix.json",
               "ANSIBLE_NOCOLOR": "1", "ANSIBLE_RETRY_FILES_ENABLED": "0",
               "ANSIBLE_LOCAL_TEMP": f"{tmp}/local", "ANSIBLE_HOME": f"{tmp}/home",
               "ANSIBLE_HOST_KEY_CHECKING": "False", "ANSIBLE_DEPRECATION_WARNINGS": "0"}
        out_path = Path(tmp) / "result.json"
        err_path = Path(tmp) / "stderr.txt"
        with out_path.open("wb") as out, err_path.open("wb") as err:
            try:
                proc = subprocess.run(command(playbook, root, inventory, exe), stdout=out,
                                      stderr=err, stdin=subprocess.DEVNULL, env=env,
                                      timeout=timeout, check=False)
            except subprocess.TimeoutExpired as exc:
                raise InputError(str(playbook), f"ansible-playbook ran longer than "
                                 f"{timeout:.0f} s") from exc
        data = read_regular(out_path, MAX_RESULT, "ansible-playbook result")
        stderr = _tail(err_path, 64 << 10)
    return parse_result(data, str(playbook), proc.returncode, stderr)


def _tail(path: Path, size: int) -> str:
    with path.open("rb") as f:
        f.seek(max(0, path.stat().st_size - size))
        return f.read(size).decode("utf-8", "replace")


def parse_result(data: bytes, playbook: str, returncode: int = 0,
                 stderr: str = "") -> DeclaredState:
    """The items of an ``ansible.posix.json`` result. ansible-playbook exits 2 when a task
    failed (reported per task) and 4 when a host is unreachable; anything without a JSON
    result (a playbook that does not parse) is an error naming what Ansible said."""
    try:
        doc = json.loads(data) if data.strip() else None
        if doc is not None:
            check_depth(doc, playbook)
    except (ValueError, RecursionError) as exc:
        raise InputError(playbook, "ansible-playbook did not produce a JSON result") from exc
    if not isinstance(doc, dict) or not isinstance(doc.get("plays"), list):
        said = " ".join(stderr.split())[:600] or f"exit status {returncode}"
        raise InputError(playbook, f"ansible-playbook failed: {said}")
    items = list(_items(doc, playbook))
    unreachable = [i for i in items if i.reason.startswith("unreachable")]
    if unreachable:
        raise InputError(playbook, f"host {unreachable[0].host} {unreachable[0].reason}")
    for host in dict.fromkeys(i.host for i in items):
        mine = [i for i in items if i.host == host]
        if all(i.reason.startswith("failed") for i in mine):  # not one task could run there
            raise InputError(playbook, f"no task could run on {host}: {mine[0].reason}")
    return DeclaredState(playbook, tuple(items))


def _items(doc: Mapping[str, Any], playbook: str) -> Iterator[DeclaredItem]:
    for play in doc["plays"]:
        for task in _list(_dict(play).get("tasks")):
            meta = _dict(_dict(task).get("task"))
            name = str(meta.get("name") or "(unnamed task)")
            location = _location(str(meta.get("path") or playbook))
            for host, result in _dict(_dict(task).get("hosts")).items():
                yield _item(name, location, str(host), _dict(result))


def _item(name: str, location: str, host: str, r: Mapping[str, Any]) -> DeclaredItem:
    action = str(r.get("action") or "")
    msg = " ".join(str(r.get("msg") or "").split())[:300]
    if r.get("unreachable"):
        return DeclaredItem(SOURCE, name, location, action, host, NOT_EVALUATED,
                            reason=f"unreachable: {msg}")
    if r.get("failed"):
        return DeclaredItem(SOURCE, name, location, action, host, NOT_EVALUATED,
                            reason=f"failed in check mode: {msg}")
    if r.get("skipped"):
        reason = msg or str(r.get("skip_reason") or "skipped")
        status = NOT_EVALUATED if any(s in reason.lower() for s in _CHECK_MODE_SKIPS) \
            else SKIPPED
        return DeclaredItem(SOURCE, name, location, action, host, status, reason=reason)
    diffs = _diffs(r)
    files = tuple(dict.fromkeys(f for f, _ in diffs if f))
    if not files and diffs:  # a diff without headers (file, dpkg_selections): the argument
        args = _dict(_dict(r.get("invocation")).get("module_args"))
        target = args.get("dest") or args.get("path")
        files = (target,) if isinstance(target, str) and target else ()
    text = "".join(d for _, d in diffs)
    lines = text.splitlines(keepends=True)
    if len(lines) > MAX_DIFF_LINES:
        text = "".join(lines[:MAX_DIFF_LINES]) + f"… {len(lines) - MAX_DIFF_LINES} more lines\n"
    status = WOULD_CHANGE if r.get("changed") else IN_STATE
    return DeclaredItem(SOURCE, name, location, action, host, status, files, text,
                        msg if status == WOULD_CHANGE else "")


def _diffs(r: Mapping[str, Any]) -> list[tuple[str, str]]:
    raw = r.get("diff")
    entries = raw if isinstance(raw, list) else [raw] if isinstance(raw, dict) else []
    for sub in _list(r.get("results")):  # a loop: one result per item
        sub_diff = _dict(sub).get("diff")
        entries += sub_diff if isinstance(sub_diff, list) else [sub_diff]
    out: list[tuple[str, str]] = []
    for entry in entries:
        if not isinstance(entry, dict):
            continue
        # before_header names the host file; a template's after_header is its local source
        header = str(entry.get("before_header") or entry.get("after_header") or "")
        path = header.split(" (", 1)[0]
        before, after = entry.get("before"), entry.get("after")
        if isinstance(before, str) and isinstance(after, str) and before != after:
            out.append((path, unified(before, after, path)))
        elif isinstance(entry.get("prepared"), str):  # e.g. apt: the packages it would install
            out.append((path, str(entry["prepared"]) + "\n"))
        elif before != after and (before is not None or after is not None):
            out.append((path, f"{json.dumps(before, sort_keys=True, default=str)} -> "
                               f"{json.dumps(after, sort_keys=True, default=str)}\n"))
    return out


def _location(path: str) -> str:
    file, sep, line = path.rpartition(":")
    return f"{os.path.basename(file)}:{line}" if sep and line.isdigit() else path


def _dict(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, dict) else {}


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []
