"""The cBPF interpreter against filters compiled by the real libseccomp, and against the
kernel itself (a child process installs the filter and makes the calls)."""

from __future__ import annotations

import ctypes
import os
import struct

import pytest

from ringfence.runtime import seccomp_bpf as sb
from ringfence.runtime.seccomp_profile import evaluate, parse_profile
from ringfence.runtime.syscalls_x86_64 import SYSCALLS_X86_64
from tests.unit.runtime.libseccomp import compile_profile

PROFILE = {
    "defaultAction": "SCMP_ACT_ALLOW",
    "architectures": ["SCMP_ARCH_X86_64"],
    "syscalls": [
        {"names": ["mount", "umount2", "kexec_load"], "action": "SCMP_ACT_ERRNO"},
        {"names": ["bpf"], "action": "SCMP_ACT_ERRNO", "errnoRet": 38},
        {"names": ["ptrace"], "action": "SCMP_ACT_KILL_PROCESS"},
        {"names": ["keyctl"], "action": "SCMP_ACT_TRAP"},
        {"names": ["unshare", "clone"], "action": "SCMP_ACT_ERRNO", "errnoRet": 13,
         "args": [{"index": 0, "value": 0x7E020000, "valueTwo": 0x10000000,
                   "op": "SCMP_CMP_MASKED_EQ"}]},
        {"names": ["personality"], "action": "SCMP_ACT_ERRNO",
         "args": [{"index": 0, "value": 8, "op": "SCMP_CMP_GT"}]},
        {"names": ["getpriority"], "action": "SCMP_ACT_LOG"},
    ],
}
ARGS = [(), (sb.CLONE_NEWUSER,), (sb.CLONE_NEWNS,), (sb.CLONE_NEWUSER | sb.CLONE_NEWNET,),
        (8,), (9,), (1 << 40,), (0xFFFFFFFF,)]


def test_every_syscall_and_argument_vector_agrees_with_the_declared_profile() -> None:
    profile = parse_profile(PROFILE)
    prog = sb.decode(compile_profile(profile))
    checked = 0
    for nr in sorted(set(SYSCALLS_X86_64.values())):
        for args in ARGS:
            data = sb.SeccompData(nr, args=(args + (0,) * 6)[:6])
            assert sb.run_filters([prog], data) == evaluate(profile, data), (nr, args)
            checked += 1
    assert checked == 362 * len(ARGS)


def test_dangerous_probes_on_a_libseccomp_filter() -> None:
    prog = sb.decode(compile_profile(parse_profile(PROFILE)))
    verdicts = sb.assess([prog])
    assert str(verdicts["mount"]) == "ERRNO(1)" and str(verdicts["bpf"]) == "ERRNO(38)"
    assert verdicts["ptrace"].action == "KILL_PROCESS" and verdicts["keyctl"].action == "TRAP"
    assert verdicts["unshare(CLONE_NEWUSER)"] == sb.Verdict("ERRNO", 13)
    assert not verdicts["unshare(CLONE_NEWNS)"].blocked and not verdicts["unshare"].blocked
    assert not verdicts["setns"].blocked
    assert sb.blocked_labels([prog]) == {"mount", "umount2", "kexec_load", "bpf", "ptrace",
                                         "keyctl", "unshare(CLONE_NEWUSER)",
                                         "clone(CLONE_NEWUSER)"}


def test_a_foreign_architecture_gets_libseccomps_bad_arch_action() -> None:
    prog = sb.decode(compile_profile(parse_profile(PROFILE)))
    data = sb.SeccompData(SYSCALLS_X86_64["getpid"], arch=sb.AUDIT_ARCH_I386)
    assert sb.run_filters([prog], data).action == "KILL_THREAD"  # libseccomp default


def test_filters_combine_by_kernel_precedence() -> None:
    allow_all = sb.decode(compile_profile(parse_profile({"defaultAction": "SCMP_ACT_ALLOW"})))
    strict = sb.decode(compile_profile(parse_profile(PROFILE)))
    data = sb.SeccompData.for_syscall("ptrace")
    assert sb.run_filters([allow_all, strict], data).action == "KILL_PROCESS"
    assert sb.run_filters([], data) == sb.Verdict("ALLOW")
    errno_a = sb.decode(compile_profile(parse_profile(
        {"defaultAction": "SCMP_ACT_ERRNO", "defaultErrnoRet": 5})))
    errno_b = sb.decode(compile_profile(parse_profile(
        {"defaultAction": "SCMP_ACT_ERRNO", "defaultErrnoRet": 6})))
    assert sb.run_filters([errno_b, errno_a], data) == sb.Verdict("ERRNO", 6)  # newest first


def _ins(code: int, k: int = 0, jt: int = 0, jf: int = 0) -> sb.Insn:
    return sb.Insn(code, jt, jf, k)


def test_alu_scratch_and_misc_instructions() -> None:
    # A = nr; A = (A + 3) * 2; M[1] = A; X = A; A = 0; A = X; A ^= 0xff; A = M[1]... ret A
    prog = [_ins(0x20, 0), _ins(0x04, 3), _ins(0x24, 2), _ins(0x02, 1), _ins(0x07),
            _ins(0x00, 0), _ins(0x87), _ins(0xA4, 0xFF), _ins(0x35, 0x100, 0, 1),
            _ins(0x06, 0), _ins(0x60, 1), _ins(0x16)]
    data = sb.SeccompData(5)
    assert sb.run(prog, data) == (5 + 3) * 2
    assert sb.run([_ins(0x80), _ins(0x16)], data) == 64  # BPF_LEN
    assert sb.run([_ins(0x20, 16), _ins(0x45, 4, 0, 1), _ins(0x06, 1), _ins(0x06, 2)],
                  sb.SeccompData(0, args=(6, 0, 0, 0, 0, 0))) == 1  # JSET
    assert sb.run([_ins(0x20, 0), _ins(0x84), _ins(0x16)], data) == 0xFFFFFFFB  # NEG


@pytest.mark.parametrize("prog", [
    [_ins(0x20, 2), _ins(0x06)],  # unaligned load
    [_ins(0x20, 64), _ins(0x06)],  # past seccomp_data
    [_ins(0x20, 0)],  # no RET
    [_ins(0x02, 16), _ins(0x06)],  # scratch out of range
])
def test_programs_the_kernel_would_reject(prog: list[sb.Insn]) -> None:
    with pytest.raises(sb.BpfError):
        sb.run(prog, sb.SeccompData(0))


def test_decode_encode_round_trip_and_bad_length() -> None:
    raw = compile_profile(parse_profile(PROFILE))
    assert sb.encode(sb.decode(raw)) == raw
    with pytest.raises(sb.BpfError):
        sb.decode(raw[:-1])


# the kernel as oracle: these calls are harmless whether allowed or not
ORACLE = {
    "defaultAction": "SCMP_ACT_ALLOW",
    "syscalls": [
        {"names": ["getppid"], "action": "SCMP_ACT_ERRNO", "errnoRet": 71},
        {"names": ["umask"], "action": "SCMP_ACT_ERRNO", "errnoRet": 72,
         "args": [{"index": 0, "value": 0o700, "valueTwo": 0o700,
                   "op": "SCMP_CMP_MASKED_EQ"}]},
        {"names": ["getpriority"], "action": "SCMP_ACT_ERRNO", "errnoRet": 73,
         "args": [{"index": 1, "value": 1000, "op": "SCMP_CMP_GE"}]},
    ],
}
CALLS = [("getppid", ()), ("umask", (0o022,)), ("umask", (0o777,)), ("getpriority", (0, 0)),
         ("getpriority", (0, 4000)), ("getpgrp", ())]


def _errnos_under_filter(raw: bytes) -> list[int]:
    libc = ctypes.CDLL(None, use_errno=True)
    libc.prctl.argtypes = [ctypes.c_int] + [ctypes.c_ulong] * 4
    libc.syscall.restype = ctypes.c_long
    read_fd, write_fd = os.pipe()
    pid = os.fork()
    if pid == 0:  # child: install the filter, make the calls, report errnos
        try:
            buf = ctypes.create_string_buffer(raw, len(raw))
            prog = struct.pack("HxxxxxxQ", len(raw) // 8, ctypes.addressof(buf))
            fprog = ctypes.create_string_buffer(prog, len(prog))
            libc.prctl(38, 1, 0, 0, 0)  # PR_SET_NO_NEW_PRIVS
            if libc.prctl(22, 2, ctypes.addressof(fprog), 0, 0) != 0:  # PR_SET_SECCOMP
                os._exit(2)
            out = []
            for name, args in CALLS:
                ctypes.set_errno(0)
                rc = libc.syscall(SYSCALLS_X86_64[name], *[ctypes.c_long(a) for a in args])
                out.append(ctypes.get_errno() if rc == -1 else 0)
            os.write(write_fd, struct.pack(f"{len(out)}i", *out))
        finally:
            os._exit(0)
    os.close(write_fd)
    data = os.read(read_fd, 4 * len(CALLS))
    os.close(read_fd)
    os.waitpid(pid, 0)
    assert len(data) == 4 * len(CALLS), "child could not install the filter"
    return list(struct.unpack(f"{len(CALLS)}i", data))


def test_the_kernel_agrees_with_the_interpreter() -> None:
    raw = compile_profile(parse_profile(ORACLE))
    kernel = _errnos_under_filter(raw)
    prog = sb.decode(raw)
    ours = [sb.run_filters([prog], sb.SeccompData.for_syscall(n, *a)) for n, a in CALLS]
    assert kernel == [v.data if v.action == "ERRNO" else 0 for v in ours]
    assert kernel == [71, 0, 72, 0, 73, 0]
