"""A classic-BPF interpreter over ``struct seccomp_data`` and what a filter does to a syscall.

Pure: programs come in as bytes (``struct sock_filter`` array, as PTRACE_SECCOMP_GET_FILTER or
``seccomp_export_bpf`` give them) and verdicts go out. x86_64 only for syscall names.

    prog = decode(raw)
    verdict = run_filters([prog], SeccompData.for_syscall("mount"))
    verdict.blocked  # True when the kernel would not execute the syscall
"""

from __future__ import annotations

import struct
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Final

from ringfence.runtime.syscalls_x86_64 import SYSCALLS_X86_64

AUDIT_ARCH_X86_64: Final = 0xC000003E
AUDIT_ARCH_I386: Final = 0x40000003
SECCOMP_DATA_SIZE: Final = 64
_U32: Final = 0xFFFFFFFF

# SECCOMP_RET_* actions, in the kernel's precedence order (first wins across filters)
ACTIONS: Final[tuple[tuple[str, int], ...]] = (
    ("KILL_PROCESS", 0x80000000), ("KILL_THREAD", 0x00000000), ("TRAP", 0x00030000),
    ("ERRNO", 0x00050000), ("USER_NOTIF", 0x7FC00000), ("TRACE", 0x7FF00000),
    ("LOG", 0x7FFC0000), ("ALLOW", 0x7FFF0000),
)
_ACTION_NAMES: Final = {value: name for name, value in ACTIONS}
_PRECEDENCE: Final = {name: rank for rank, (name, _) in enumerate(ACTIONS)}
ALLOWING: Final = frozenset({"ALLOW", "LOG"})  # TRACE without a tracer fails with ENOSYS


class BpfError(ValueError):
    """A program the kernel would have rejected (bad opcode, jump or load)."""


@dataclass(frozen=True, slots=True)
class Insn:
    code: int
    jt: int
    jf: int
    k: int


@dataclass(frozen=True, slots=True)
class SeccompData:
    nr: int
    arch: int = AUDIT_ARCH_X86_64
    instruction_pointer: int = 0
    args: tuple[int, ...] = (0, 0, 0, 0, 0, 0)

    @classmethod
    def for_syscall(cls, name: str, *args: int) -> SeccompData:
        padded = (tuple(args) + (0,) * 6)[:6]
        return cls(SYSCALLS_X86_64[name], args=padded)

    def pack(self) -> bytes:
        return struct.pack("<iIQ6Q", self.nr, self.arch, self.instruction_pointer,
                           *(a & 0xFFFFFFFFFFFFFFFF for a in self.args))


@dataclass(frozen=True, slots=True)
class Verdict:
    """The combined return value: action name and its 16-bit data (the errno for ERRNO)."""

    action: str
    data: int = 0
    raw: int = field(default=0, compare=False)

    @property
    def blocked(self) -> bool:
        return self.action not in ALLOWING

    def __str__(self) -> str:
        return f"{self.action}({self.data})" if self.action in ("ERRNO", "TRACE") \
            else self.action


def decode(raw: bytes) -> tuple[Insn, ...]:
    if len(raw) % 8:
        raise BpfError(f"{len(raw)} bytes is not a whole number of 8-byte instructions")
    return tuple(Insn(*struct.unpack_from("<HBBI", raw, off)) for off in range(0, len(raw), 8))


def encode(prog: Iterable[Insn]) -> bytes:
    return b"".join(struct.pack("<HBBI", i.code, i.jt, i.jf, i.k) for i in prog)


def verdict_of(ret: int) -> Verdict:
    """Split a filter's 32-bit return value into action and data (unknown actions kill)."""
    full = ret & 0xFFFF0000
    if full in _ACTION_NAMES:
        return Verdict(_ACTION_NAMES[full], ret & 0xFFFF, ret)
    return Verdict("KILL_PROCESS", 0, ret)


def run(prog: Sequence[Insn], data: SeccompData) -> int:
    """Execute one cBPF program over ``data``; return its 32-bit return value."""
    mem = data.pack()
    a = x = 0
    scratch = [0] * 16
    pc = 0
    while pc < len(prog):
        ins = prog[pc]
        cls = ins.code & 0x07
        pc += 1
        if cls == 0x06:  # RET
            return (ins.k if ins.code & 0x18 == 0 else a) & _U32
        if cls == 0x05:  # JMP
            pc += _jump(ins, a, x)
        elif cls in (0x00, 0x01):  # LD / LDX
            value = _load(ins, mem, scratch)
            a, x = (value, x) if cls == 0x00 else (a, value)
        elif cls == 0x02:
            scratch[_slot(ins.k)] = a
        elif cls == 0x03:
            scratch[_slot(ins.k)] = x
        elif cls == 0x04:
            a = _alu(ins, a, x)
        else:  # MISC
            a, x = (a, a) if ins.code & 0xF8 == 0x00 else (x, x)
    raise BpfError("program ran off its end without RET")


def _slot(k: int) -> int:
    if k >= 16:
        raise BpfError(f"scratch memory index {k} out of range")
    return k


def _load(ins: Insn, mem: bytes, scratch: list[int]) -> int:
    mode = ins.code & 0xE0
    if mode == 0x00:
        return ins.k
    if mode == 0x80:
        return SECCOMP_DATA_SIZE
    if mode == 0x60:
        return scratch[_slot(ins.k)]
    if mode == 0x20 and ins.code & 0x18 == 0 and ins.k % 4 == 0 and ins.k < SECCOMP_DATA_SIZE:
        return int.from_bytes(mem[ins.k:ins.k + 4], "little")
    raise BpfError(f"load 0x{ins.code:02x} k={ins.k} not allowed in seccomp")


def _jump(ins: Insn, a: int, x: int) -> int:
    op = ins.code & 0xF0
    if op == 0x00:
        return ins.k
    operand = x if ins.code & 0x08 else ins.k
    if op == 0x10:
        taken = a == operand
    elif op == 0x20:
        taken = a > operand
    elif op == 0x30:
        taken = a >= operand
    elif op == 0x40:
        taken = bool(a & operand)
    else:
        raise BpfError(f"jump op 0x{ins.code:02x}")
    return ins.jt if taken else ins.jf


def _alu(ins: Insn, a: int, x: int) -> int:
    op = ins.code & 0xF0
    v = x if ins.code & 0x08 else ins.k
    if op == 0x80:
        return (-a) & _U32
    if op in (0x30, 0x90) and v == 0:
        return 0  # the kernel rejects a constant zero divisor; a zero X returns 0
    results = {0x00: a + v, 0x10: a - v, 0x20: a * v, 0x30: a // v if v else 0,
               0x40: a | v, 0x50: a & v, 0x60: a << (v & 31), 0x70: a >> (v & 31),
               0x90: a % v if v else 0, 0xA0: a ^ v}
    if op not in results:
        raise BpfError(f"alu op 0x{ins.code:02x}")
    return results[op] & _U32


def run_filters(filters: Sequence[Sequence[Insn]], data: SeccompData) -> Verdict:
    """All installed filters run; the kernel keeps the highest-precedence action (on a tie
    the first in ``filters``: pass them newest first, as PTRACE_SECCOMP_GET_FILTER numbers
    them)."""
    if not filters:
        return Verdict("ALLOW", 0, 0x7FFF0000)
    verdicts = [verdict_of(run(prog, data)) for prog in filters]
    return min(verdicts, key=lambda v: _PRECEDENCE[v.action])


# clone/unshare flags that create namespaces (linux/sched.h)
CLONE_NEWNS: Final = 0x00020000
CLONE_NEWCGROUP: Final = 0x02000000
CLONE_NEWUTS: Final = 0x04000000
CLONE_NEWIPC: Final = 0x08000000
CLONE_NEWUSER: Final = 0x10000000
CLONE_NEWPID: Final = 0x20000000
CLONE_NEWNET: Final = 0x40000000


@dataclass(frozen=True, slots=True)
class Probe:
    """One dangerous call: a label, the syscall and its leading arguments."""

    label: str
    syscall: str
    args: tuple[int, ...] = ()

    def data(self, arch: int = AUDIT_ARCH_X86_64) -> SeccompData:
        padded = (self.args + (0,) * 6)[:6]
        return SeccompData(SYSCALLS_X86_64[self.syscall], arch, 0, padded)


_PLAIN = ("mount", "umount2", "pivot_root", "unshare", "setns", "ptrace", "bpf", "keyctl",
          "add_key", "request_key", "init_module", "finit_module", "delete_module",
          "open_by_handle_at", "name_to_handle_at", "perf_event_open", "userfaultfd",
          "kexec_load", "kexec_file_load", "reboot", "swapon", "swapoff", "acct", "syslog",
          "iopl", "ioperm", "process_vm_readv", "process_vm_writev", "move_pages",
          "fsopen", "fsmount", "open_tree", "move_mount", "clock_settime", "settimeofday",
          "lookup_dcookie", "quotactl", "kcmp", "clone3")
DANGEROUS_PROBES: Final[tuple[Probe, ...]] = (
    *(Probe(name, name) for name in _PLAIN),
    Probe("unshare(CLONE_NEWUSER)", "unshare", (CLONE_NEWUSER,)),
    Probe("unshare(CLONE_NEWNS)", "unshare", (CLONE_NEWNS,)),
    Probe("clone(CLONE_NEWUSER)", "clone", (CLONE_NEWUSER,)),
    Probe("clone(CLONE_NEWNS)", "clone", (CLONE_NEWNS,)),
    Probe("clone(CLONE_NEWPID|CLONE_NEWNET)", "clone", (CLONE_NEWPID | CLONE_NEWNET,)),
)


def assess(filters: Sequence[Sequence[Insn]],
           probes: Sequence[Probe] = DANGEROUS_PROBES) -> dict[str, Verdict]:
    """Verdict of the installed filters for every dangerous call, keyed by probe label."""
    return {p.label: run_filters(filters, p.data()) for p in probes}


def blocked_labels(filters: Sequence[Sequence[Insn]],
                   probes: Sequence[Probe] = DANGEROUS_PROBES) -> frozenset[str]:
    return frozenset(label for label, v in assess(filters, probes).items() if v.blocked)
