"""seccomp lint facts and rules beyond the good/bad cases: the real podman default profile, a
profile inside an OCI config.json, and inputs that are not profiles."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from ringfence.checks.engine import run_checks
from ringfence.errors import InputError
from ringfence.seccomp.lint import load_profile_facts, profile_facts
from ringfence.seccomp.rules import SECCOMP_CHECKS

PODMAN_DEFAULT = Path("/usr/share/containers/seccomp.json")
CASES = Path(__file__).parents[2] / "cases"


@pytest.mark.skipif(not PODMAN_DEFAULT.exists(), reason="containers-common is not installed")
def test_podman_default_profile() -> None:
    facts = load_profile_facts(PODMAN_DEFAULT)
    assert "SCMP_ARCH_X32" in facts.arches and "SCMP_ARCH_S390X" in facts.arches
    run = run_checks(SECCOMP_CHECKS, facts)
    # deny by default with ENOSYS, names its arches: RT-201/203/204 hold; it lists s390x/mips,
    # which we hold no table for, so RT-205 is not evaluated rather than guessed
    assert set(run.evaluated) == {"RT-201", "RT-202", "RT-203", "RT-204"}
    assert run.failed() == {"RT-202"}
    allowed = {f.location.rsplit("[", 1)[1].rstrip("]") for f in run.findings}
    # containers-common allows these for nested containers and leaves them to capabilities;
    # bpf, init_module, open_by_handle_at and perf_event_open it gates on capabilities itself
    assert {"mount", "unshare", "setns", "keyctl", "ptrace", "clone"} <= allowed
    assert not {"bpf", "init_module", "open_by_handle_at", "perf_event_open"} & allowed


def test_oci_config_json_is_read_through_linux_seccomp() -> None:
    profile = json.loads((CASES / "RT-201" / "bad" / "profile.json").read_text())
    facts = profile_facts({"ociVersion": "1.0.2", "linux": {"seccomp": profile}}, "config.json")
    assert run_checks(SECCOMP_CHECKS, facts).failed() == {"RT-201"}


def test_unknown_names_are_reported_one_by_one() -> None:
    facts = load_profile_facts(CASES / "RT-205" / "bad" / "profile.json")
    run = run_checks(SECCOMP_CHECKS, facts)
    assert sorted(f.location for f in run.findings if f.rule_id == "RT-205") == [
        f"{facts.source}: syscalls[bfp]", f"{facts.source}: syscalls[opne]"]


@pytest.mark.parametrize("doc", [{"syscalls": []}, {"defaultAction": "SCMP_ACT_MAYBE"},
                                 {"defaultAction": "SCMP_ACT_ERRNO",
                                  "syscalls": [{"names": ["read"], "action": "SCMP_ACT_ALLOW",
                                                "args": [{"index": 9, "op": "SCMP_CMP_EQ"}]}]}])
def test_not_a_profile(doc: dict[str, object]) -> None:
    with pytest.raises(InputError):
        profile_facts(doc, "x.json")


def test_unreadable_json(tmp_path: Path) -> None:
    bad = tmp_path / "p.json"
    bad.write_text("{not json")
    with pytest.raises(InputError, match=r"p\.json"):
        load_profile_facts(bad)
