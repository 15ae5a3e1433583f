"""Loaders of tests/cases/HOST-1xx/{good,bad}.

Drift (HOST-101..109): each case holds two host roots, ``before`` (what the baseline was
taken of) and ``after`` (the host now); the facts are their drift. A ``MODES`` file (as
for HOST-0xx cases, paths relative to the case) sets the setuid bits git cannot keep.

Declared state (HOST-110): ``result.json`` is the ``ansible.posix.json`` output of a real
``ansible-playbook --check --diff`` run (ansible-core 2.19, chroot connection into
bookworm-py's rootfs, 2026-12-04): ``bad`` before the playbook was applied, ``good``
after; host and playbook paths replaced by /srv/host-root and /srv/playbooks.
Declared state (HOST-111): ``user-data`` and the ``root`` it is compared with."""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

from ringfence.host.baseline.drift import HostDrift, compare
from ringfence.host.baseline.snapshot import take_snapshot
from ringfence.host.declared import cloudinit
from ringfence.host.declared.ansible import parse_result
from ringfence.host.declared.model import DeclaredState
from ringfence.host.facts import RootReader
from tests.unit.host.case_loader import LOADER_FILES, apply_modes


def load_drift_case(case: Path) -> HostDrift:
    with tempfile.TemporaryDirectory(prefix="driftcase") as tmp:
        root = Path(tmp) / "case"
        shutil.copytree(case, root, symlinks=True, ignore=shutil.ignore_patterns(*LOADER_FILES))
        modes = case / "MODES"
        if modes.exists():
            apply_modes(root, modes.read_text())
        return compare(take_snapshot(root / "before", live=False),
                       take_snapshot(root / "after", live=False))


def load_declared_case(case: Path) -> DeclaredState:
    """HOST-110: ``result.json``; HOST-111: ``user-data`` and the ``root`` it describes."""
    if (case / "user-data").exists():
        return cloudinit.compare((case / "user-data").read_bytes(), "user-data",
                                 RootReader(case / "root"))
    return parse_result((case / "result.json").read_bytes(), "/srv/playbooks/playbook.yml")
