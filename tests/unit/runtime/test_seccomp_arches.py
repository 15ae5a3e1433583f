"""Docker/podman profiles restrict entries with GOARCH names ("amd64"); libseccomp names the
same architecture SCMP_ARCH_X86_64. Both spellings must select the entry."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from ringfence.runtime.seccomp_bpf import SeccompData
from ringfence.runtime.seccomp_profile import evaluate, parse_profile

PODMAN_PROFILE = Path("/usr/share/containers/seccomp.json")
DOC = {
    "defaultAction": "SCMP_ACT_ERRNO",
    "syscalls": [
        {"names": ["read"], "action": "SCMP_ACT_ALLOW"},
        {"names": ["arch_prctl"], "action": "SCMP_ACT_ALLOW",
         "includes": {"arches": ["amd64", "x32"]}},
        {"names": ["sync_file_range2"], "action": "SCMP_ACT_ALLOW",
         "includes": {"arches": ["ppc64le"]}},
        {"names": ["modify_ldt"], "action": "SCMP_ACT_ALLOW",
         "excludes": {"arches": ["amd64"]}},
    ],
}


def _names(arch: str) -> set[str]:
    return {n for r in parse_profile(DOC, arch=arch).rules for n in r.names}


@pytest.mark.parametrize("arch", ["SCMP_ARCH_X86_64", "amd64", "x86_64"])
def test_goarch_includes_and_excludes_match_the_scmp_name(arch: str) -> None:
    assert _names(arch) == {"read", "arch_prctl"}


def test_other_arches_keep_their_own_entries() -> None:
    assert _names("SCMP_ARCH_PPC64LE") == {"read", "sync_file_range2", "modify_ldt"}
    assert _names("SCMP_ARCH_X32") == {"read", "arch_prctl", "modify_ldt"}
    assert _names("SCMP_ARCH_MIPS") == {"read", "modify_ldt"}  # no alias known: exact only


@pytest.mark.skipif(not PODMAN_PROFILE.is_file(), reason="podman's seccomp.json not installed")
def test_podmans_default_profile_allows_arch_prctl_on_x86_64() -> None:
    profile = parse_profile(json.loads(PODMAN_PROFILE.read_text()))
    assert profile.rules_for("arch_prctl")
    assert not evaluate(profile, SeccompData.for_syscall("arch_prctl")).blocked
    # ppc64le-only and s390-only entries stay out
    assert not profile.rules_for("sync_file_range2")
    assert not profile.rules_for("s390_runtime_instr")
