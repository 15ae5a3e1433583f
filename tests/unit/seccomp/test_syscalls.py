"""The syscall tables against the kernel's uapi headers (regenerated with cpp when installed)."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest

from ringfence.seccomp.syscalls import (
    SYSCALLS_AARCH64,
    SYSCALLS_X32,
    SYSCALLS_X86,
    SYSCALLS_X86_64,
    known_anywhere,
    unknown_names,
)

_ARM64_WANTS = ("__BITS_PER_LONG 64", "__ARCH_WANT_RENAMEAT", "__ARCH_WANT_NEW_STAT",
                "__ARCH_WANT_SET_GET_RLIMIT", "__ARCH_WANT_TIME32_SYSCALLS",
                "__ARCH_WANT_SYS_CLONE3", "__ARCH_WANT_MEMFD_SECRET")


def _macros(source: str) -> dict[str, int]:
    out = subprocess.run(["cpp", "-dM", "-"], input=source, capture_output=True, text=True,
                         check=True).stdout
    raw = dict(re.findall(r"^#define (__NR\w*) (\S+)$", out, re.M))

    def value(v: str) -> int:
        while not v.isdigit():
            v = raw[v]
        return int(v)

    return {k[5:]: value(v) for k, v in raw.items() if k.startswith("__NR_")
            and k != "__NR_syscalls" and not k.startswith("__NR_arch_specific")}


needs_headers = pytest.mark.skipif(
    shutil.which("cpp") is None or not Path("/usr/include/asm-generic/unistd.h").exists()
    or not Path("/usr/include/x86_64-linux-gnu/asm/unistd_64.h").exists(),
    reason="cpp and linux-libc-dev (amd64) headers are needed to regenerate the tables")


@needs_headers
def test_aarch64_table_equals_generic_unistd_with_arm64_flags() -> None:
    source = "".join(f"#define {d}\n" for d in _ARM64_WANTS) + "#include <asm-generic/unistd.h>\n"
    generated = _macros(source)
    # linux-libc-dev 6.1 (Debian 12) is what the table was generated from; newer headers only
    # add numbers past the table's end
    common = {k: v for k, v in generated.items() if k in SYSCALLS_AARCH64}
    assert common == dict(SYSCALLS_AARCH64)
    assert all(v > max(SYSCALLS_AARCH64.values()) for k, v in generated.items()
               if k not in SYSCALLS_AARCH64)


@needs_headers
def test_x86_64_table_equals_unistd_64() -> None:
    generated = _macros("#include <asm/unistd_64.h>\n")
    assert {k: v for k, v in generated.items() if k in SYSCALLS_X86_64} == dict(SYSCALLS_X86_64)


@needs_headers
def test_i386_and_x32_tables_equal_their_headers() -> None:
    assert _macros("#include <asm/unistd_32.h>\n") == dict(SYSCALLS_X86)
    text = Path("/usr/include/x86_64-linux-gnu/asm/unistd_x32.h").read_text()
    x32 = {k: int(v) for k, v in
           re.findall(r"^#define __NR_(\w+) \(__X32_SYSCALL_BIT \+ (\d+)\)$", text, re.M)}
    assert x32 == dict(SYSCALLS_X32)
    assert not re.findall(r"^#define __NR_\w+ \d", text, re.M)  # every x32 number is offset


def test_well_known_numbers() -> None:
    # arm64: no open/stat, openat 56; x86_64: open 2, openat 257
    assert SYSCALLS_AARCH64["openat"] == 56 and "open" not in SYSCALLS_AARCH64
    assert SYSCALLS_X86_64["openat"] == 257
    assert SYSCALLS_AARCH64["newfstatat"] == 79 and SYSCALLS_AARCH64["clone3"] == 435


def test_unknown_names_respects_listed_arches() -> None:
    assert unknown_names(["open", "opne", "read"], ("SCMP_ARCH_AARCH64",)) == ("open", "opne")
    assert unknown_names(["open", "opne"], ("SCMP_ARCH_X86_64", "SCMP_ARCH_AARCH64")) == ("opne",)
    assert unknown_names(["open"], ()) == ()
    assert unknown_names(["chown32"], ("SCMP_ARCH_X86_64", "SCMP_ARCH_X86")) == ()
    assert SYSCALLS_X86["chown32"] == 212 and SYSCALLS_X32["read"] == 0
    assert known_anywhere("io_uring_setup") and not known_anywhere("io_uring")
