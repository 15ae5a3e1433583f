"""Alpine secdb (YAML and JSON forms; counts from PROVENANCE.md)."""

from __future__ import annotations

from pathlib import Path

import pytest

from ringfence.errors import InputError
from ringfence.model.advisory import NOT_AFFECTED
from ringfence.vulndb.importers.alpine import import_secdb, load

# PROVENANCE.md section 2: per file (packages, fix_entries).
PROVENANCE = {
    "v3.10/community": (73, 720), "v3.10/main": (166, 1182), "v3.11/community": (85, 895),
    "v3.11/main": (175, 1204), "v3.3/community": (0, 0), "v3.3/main": (91, 461),
    "v3.4/community": (2, 14), "v3.4/main": (117, 672), "v3.5/community": (20, 102),
    "v3.5/main": (131, 826), "v3.6/community": (31, 219), "v3.6/main": (134, 898),
    "v3.7/community": (37, 411), "v3.7/main": (163, 1078), "v3.8/community": (44, 485),
    "v3.8/main": (164, 1139), "v3.9/community": (58, 601), "v3.9/main": (161, 1121),
}


@pytest.mark.parametrize("suffix", [".yaml", ".json"])
@pytest.mark.parametrize("where", sorted(PROVENANCE))
def test_real_secdb(data_dir: Path, where: str, suffix: str) -> None:
    path = data_dir / "advisories" / "alpine-secdb" / f"{where}{suffix}"
    data = import_secdb(load(path.read_bytes(), str(path)), str(path))
    packages, entries = PROVENANCE[where]
    affected = [a for r in data.records for a in r.affected]
    assert data.name == f"alpine-secdb:{where}" and data.skipped == ()
    assert len(affected) == entries
    assert len({a.package for a in affected}) == packages
    branch = where.split("/")[0]
    assert {a.ecosystem for a in affected} <= {f"Alpine:{branch}"}


def test_fields_and_not_affected_marker(data_dir: Path) -> None:
    path = data_dir / "advisories" / "alpine-secdb" / "v3.10" / "main.yaml"
    data = import_secdb(load(path.read_bytes(), str(path)), str(path))
    ansible = {a.advisory_id: a for r in data.records for a in r.affected
               if a.package == "ansible"}
    fixed = ansible["CVE-2019-10206"].ranges[0].events
    assert [(e.kind, e.version) for e in fixed] == [("introduced", "0"), ("fixed", "2.8.4-r0")]
    marker = {"distroversion": "v3.12", "reponame": "main", "packages": [{"pkg": {
        "name": "x", "secfixes": {"0": ["CVE-2020-1"], "1.0-r1": ["CVE-2020-2 XSA-9"]}}}]}
    got = import_secdb(marker, "mem")
    by = {r.advisory.id: r for r in got.records}
    assert by["CVE-2020-1"].affected[0].status == NOT_AFFECTED
    assert by["CVE-2020-2"].advisory.aliases == ("XSA-9",)


def test_malformed(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="mem"):
        load(b"packages: [unclosed", "mem")
    with pytest.raises(InputError, match="no distroversion"):
        load(b"a: 1\n", "mem")
    bad = {"distroversion": "v3.12", "packages": [{"nopkg": 1}, {"pkg": {"name": "ok"}}]}
    assert [s.where for s in import_secdb(bad, "mem").skipped] == ["mem:packages[0]"]
