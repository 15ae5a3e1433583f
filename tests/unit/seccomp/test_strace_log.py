"""strace log parsing on small synthetic logs shaped like real runc/crun traces."""

from __future__ import annotations

from ringfence.seccomp.allow_list import allow_list_profile
from ringfence.seccomp.strace_log import parse_command_trace, parse_container_trace

RUNC_LIKE = """\
100 execve("/usr/sbin/runc", ["runc", "run"], 0x1 /* 3 vars */) = 0
100 clone(child_stack=NULL, flags=CLONE_NEWPID) = 200
200 openat(AT_FDCWD, "/proc/self/fd", O_RDONLY) = 3
200 prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, {len=9, filter=0xc0} <unfinished ...>
100 epoll_pwait(4,  <unfinished ...>
200 <... prctl resumed>)              = 0
200 fstatfs(3, {f_type=PROC_SUPER_MAGIC}) = 0
200 execve("/bin/sh", ["/bin/sh", "-c", "x"], 0xc0 /* 3 vars */ <unfinished ...>
201 futex(0xc0, FUTEX_WAKE_PRIVATE, 1) = 1
200 <... execve resumed>)              = 0
200 clone(child_stack=NULL, flags=SIGCHLD <unfinished ...>
300 sendfile(1, 3, NULL, 16777216)    = 3
200 <... clone resumed>, child_tidptr=0x2) = 7 /* 300 in strace's PID NS */
300 exit_group(0)                     = ?
300 +++ exited with 0 +++
200 wait4(-1, [{WIFEXITED(s) && WEXITSTATUS(s) == 0}], 0, NULL) = 7 /* 300 in strace's PID NS */
200 exit_group(0)                     = ?
"""


def test_container_trace_is_split_at_the_filter_and_the_exec() -> None:
    seen = parse_container_trace(RUNC_LIKE)
    assert seen.filter_seen
    # 100 is the runtime's parent, 201 another thread of init: neither is filtered
    assert seen.runtime == {"fstatfs", "execve"}
    # the child's sendfile comes before the clone returns: pids come from the whole log
    assert seen.workload == {"clone", "sendfile", "exit_group", "wait4"}


def test_libseccomp_install_and_no_filter() -> None:
    crun = ('5 seccomp(SECCOMP_SET_MODE_FILTER, SECCOMP_FILTER_FLAG_TSYNC, NULL) = -1 EFAULT\n'
            '5 seccomp(SECCOMP_SET_MODE_FILTER, SECCOMP_FILTER_FLAG_SPEC_ALLOW, {len=9, '
            'filter=0x5}) = 0\n5 close(4) = 0\n5 execve("/bin/echo", ["echo"], 0x1) = 0\n'
            '5 write(1, "hi\\n", 3) = 3\n')
    seen = parse_container_trace(crun)
    assert (seen.runtime, seen.workload) == ({"close", "execve"}, {"write"})
    assert not parse_container_trace("5 read(0, \"\", 1) = 0\n").filter_seen


def test_command_trace_counts_each_call_once() -> None:
    assert parse_command_trace(RUNC_LIKE).all >= {"execve", "prctl", "sendfile", "futex"}
    assert "resumed" not in "".join(parse_command_trace(RUNC_LIKE).all)


def test_allow_list_profile_guards_clone() -> None:
    doc = allow_list_profile({"read", "clone", "clone3", "no_such_call"})
    assert doc["defaultAction"] == "SCMP_ACT_ERRNO" and doc["defaultErrnoRet"] == 1
    assert doc["architectures"] == ["SCMP_ARCH_X86_64", "SCMP_ARCH_X86", "SCMP_ARCH_X32"]
    plain, clone, clone3 = doc["syscalls"]
    assert plain == {"names": ["read"], "action": "SCMP_ACT_ALLOW"}
    assert clone["args"][0]["op"] == "SCMP_CMP_MASKED_EQ" and clone3["errnoRet"] == 38
