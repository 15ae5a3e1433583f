"""Every HOST rule, in one explicit tuple (no registration on import)."""

from __future__ import annotations

from typing import Final

from ringfence.checks.rule import Check
from ringfence.host.model import HostFacts
from ringfence.host.rules_kernel import KERNEL_CHECKS
from ringfence.host.rules_runtime import RUNTIME_CHECKS
from ringfence.host.rules_sshd import SSHD_CHECKS

HOST_CHECKS: Final[tuple[Check[HostFacts], ...]] = (
    *KERNEL_CHECKS, *SSHD_CHECKS, *RUNTIME_CHECKS)

# what each rule needs; shown when the facts were absent and the rule was not evaluated
NEEDS: Final[dict[str, str]] = {
    "HOST-001": "seccomp actions (/proc/sys/kernel/seccomp/actions_avail) or kernel config",
    "HOST-002": "live SELinux/AppArmor state (/sys; not read on a mounted root)",
    "HOST-003": "mounted cgroup hierarchies (/proc/mounts; not read on a mounted root)",
    "HOST-004": "user namespace sysctls",
    "HOST-005": "kernel.kptr_restrict / kernel.dmesg_restrict",
    "HOST-006": "kernel.unprivileged_bpf_disabled",
    "HOST-007": "kernel.perf_event_paranoid / vm.unprivileged_userfaultfd",
    "HOST-008": "fs.protected_* sysctls",
    "HOST-009": "fs.suid_dumpable",
    "HOST-010": "net.ipv4.ip_forward",
    "HOST-011": "kernel.yama.ptrace_scope or the live kernel's config",
    "HOST-020": "/etc/ssh/sshd_config", "HOST-021": "/etc/ssh/sshd_config",
    "HOST-022": "/etc/ssh/sshd_config", "HOST-023": "/etc/ssh/sshd_config",
    **{f"HOST-03{n}": "/etc/docker/daemon.json or the docker.service unit" for n in range(5)},
    "HOST-035": "/etc/docker/daemon.json, the docker.service unit or docker.socket",
    "HOST-036": "a runtime config (daemon.json, containerd, CRI-O, containers, registries)",
    "HOST-037": "a runtime config (daemon.json, containerd, CRI-O, containers.conf)",
    "HOST-038": "/etc/containers/registries.conf",
    "HOST-039": "/etc/containers/policy.json",
    "HOST-040": "a runtime API socket under /run",
    "HOST-041": "runtime config files or units",
    "HOST-042": "runtime binaries, state or configs to audit",
}
