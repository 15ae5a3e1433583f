"""Loader of the seccomp lint rule cases: tests/cases/RT-2NN/{good,bad}/profile.json."""

from __future__ import annotations

from pathlib import Path

from ringfence.seccomp.lint import ProfileFacts, load_profile_facts


def seccomp_case(case: Path) -> ProfileFacts:
    return load_profile_facts(case / "profile.json")
