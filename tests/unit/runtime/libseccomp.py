"""Test helper: compile a SeccompProfile to cBPF with the real libseccomp (ctypes), the way
runc and crun do, so the interpreter is checked against filters libseccomp produces."""

from __future__ import annotations

import ctypes
import ctypes.util
import tempfile

import pytest

from ringfence.runtime.seccomp_profile import SeccompProfile

_OPS = {"SCMP_CMP_NE": 1, "SCMP_CMP_LT": 2, "SCMP_CMP_LE": 3, "SCMP_CMP_EQ": 4,
        "SCMP_CMP_GE": 5, "SCMP_CMP_GT": 6, "SCMP_CMP_MASKED_EQ": 7}
_ACTIONS = {"KILL_PROCESS": 0x80000000, "KILL_THREAD": 0, "TRAP": 0x00030000,
            "ERRNO": 0x00050000, "TRACE": 0x7FF00000, "LOG": 0x7FFC0000, "ALLOW": 0x7FFF0000}


class ArgCmp(ctypes.Structure):
    _fields_ = [("arg", ctypes.c_uint), ("op", ctypes.c_int), ("datum_a", ctypes.c_uint64),
                ("datum_b", ctypes.c_uint64)]


def _lib() -> ctypes.CDLL:
    name = ctypes.util.find_library("seccomp")
    if not name:
        pytest.skip("libseccomp not installed (apt-get install libseccomp2)")
    lib = ctypes.CDLL(name)
    lib.seccomp_init.restype = ctypes.c_void_p
    lib.seccomp_init.argtypes = [ctypes.c_uint32]
    lib.seccomp_rule_add_array.argtypes = [ctypes.c_void_p, ctypes.c_uint32, ctypes.c_int,
                                           ctypes.c_uint, ctypes.POINTER(ArgCmp)]
    lib.seccomp_export_bpf.argtypes = [ctypes.c_void_p, ctypes.c_int]
    lib.seccomp_syscall_resolve_name.argtypes = [ctypes.c_char_p]
    lib.seccomp_release.argtypes = [ctypes.c_void_p]
    return lib


def _action(name: str, errno: int) -> int:
    return _ACTIONS[name] | (errno & 0xFFFF if name in ("ERRNO", "TRACE") else 0)


def compile_profile(profile: SeccompProfile) -> bytes:
    lib = _lib()
    ctx = lib.seccomp_init(_action(profile.default_action, profile.default_errno))
    try:
        for rule in profile.rules:
            conds = (ArgCmp * max(len(rule.args), 1))(
                *[ArgCmp(c.index, _OPS[c.op], c.value, c.value_two) for c in rule.args])
            for name in rule.names:
                nr = lib.seccomp_syscall_resolve_name(name.encode())
                rc = lib.seccomp_rule_add_array(ctx, _action(rule.action, rule.errno), nr,
                                                len(rule.args), conds)
                assert rc == 0, f"seccomp_rule_add {name}: {rc}"
        with tempfile.TemporaryFile() as out:
            assert lib.seccomp_export_bpf(ctx, out.fileno()) == 0
            out.seek(0)
            return out.read()
    finally:
        lib.seccomp_release(ctx)
