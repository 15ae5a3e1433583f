"""Emit a default-deny OCI seccomp profile from the syscalls a workload needs.

    doc = allow_list_profile({"read", "write", "exit_group"}, arch="x86_64")

``clone`` is allowed only without namespace flags and ``clone3`` gets ENOSYS. Unlisted
syscalls fail with EPERM (``defaultErrnoRet``), so a program sees an ordinary error
rather than being killed; the native ABI and its compat ABIs are named so the profile means
the same under runc and crun. Names the native table does not know are dropped (and returned
by ``split_known`` so callers can report them).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, Final

from ringfence.errors import UsageError
from ringfence.seccomp.syscalls import COMPAT, NATIVE, TABLES

EPERM: Final = 1
ENOSYS: Final = 38
# CLONE_NEWNS|NEWCGROUP|NEWUTS|NEWIPC|NEWUSER|NEWPID|NEWNET: clone may not create namespaces
CLONE_NAMESPACE_FLAGS: Final = 0x7E020000


def native_arch(arch: str) -> str:
    try:
        return NATIVE[arch]
    except KeyError:
        raise UsageError(arch, f"no syscall table for this architecture (have "
                               f"{', '.join(sorted(NATIVE))})") from None


def split_known(names: Iterable[str], arch: str = "x86_64") -> tuple[list[str], list[str]]:
    """(names of the architecture's syscalls, names it does not have), each sorted."""
    table = TABLES[native_arch(arch)]
    unique = sorted(set(names))
    return [n for n in unique if n in table], [n for n in unique if n not in table]


def allow_list_profile(names: Iterable[str], arch: str = "x86_64",
                       errno: int = EPERM) -> dict[str, Any]:
    """An OCI ``linux.seccomp`` object allowing exactly ``names`` (known ones)."""
    native = native_arch(arch)
    known, _ = split_known(names, arch)
    plain = [n for n in known if n not in ("clone", "clone3")]
    rules: list[dict[str, Any]] = [{"names": plain, "action": "SCMP_ACT_ALLOW"}] if plain else []
    if {"clone", "clone3"} & set(known):
        rules.extend(_clone_rules())
    return {
        "defaultAction": "SCMP_ACT_ERRNO",
        "defaultErrnoRet": errno,
        "architectures": [native, *COMPAT.get(native, ())],
        "syscalls": rules,
    }


def _clone_rules() -> list[dict[str, Any]]:
    """clone without namespace flags; clone3 (whose flags seccomp cannot see) answers ENOSYS
    so libc falls back to clone — what Docker's default profile does."""
    return [{"names": ["clone"], "action": "SCMP_ACT_ALLOW",
             "args": [{"index": 0, "value": CLONE_NAMESPACE_FLAGS, "valueTwo": 0,
                       "op": "SCMP_CMP_MASKED_EQ"}]},
            {"names": ["clone3"], "action": "SCMP_ACT_ERRNO", "errnoRet": ENOSYS}]
