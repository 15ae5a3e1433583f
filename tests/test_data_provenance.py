"""tests/data/PROVENANCE.md records every file of tests/data with its SHA-256, and only those."""

from __future__ import annotations

import hashlib
import re

from tests.conftest import DATA

ENTRY = re.compile(r"^([0-9a-f]{64})  (\S.*)$", re.M)


def test_every_file_is_recorded_with_its_sha256() -> None:
    recorded = {path: digest for digest, path in ENTRY.findall(
        (DATA / "PROVENANCE.md").read_text())}
    present = {str(p.relative_to(DATA)) for p in DATA.rglob("*") if p.is_file()}
    present.discard("PROVENANCE.md")
    assert sorted(present - recorded.keys()) == [], "files without a PROVENANCE.md entry"
    assert sorted(recorded.keys() - present) == [], "entries for files that are not there"
    wrong = [path for path, digest in recorded.items()
             if hashlib.sha256((DATA / path).read_bytes()).hexdigest() != digest]
    assert wrong == [], "files whose SHA-256 differs from PROVENANCE.md"

