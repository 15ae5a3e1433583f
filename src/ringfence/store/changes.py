"""Change sets in the inventory store: what a re-match after a vulnerability-DB change found
new, resolved or re-rated, written in one transaction with the re-matched findings.

A friend of ``db.py`` (same package): it runs its statements through the store's one
transaction and placeholder plumbing.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Final

from ringfence.store.db import InventoryStore, _json, _now
from ringfence.store.record import StoredFinding

NEW: Final = "new"
RESOLVED: Final = "resolved"
SEVERITY: Final = "severity"
KINDS: Final = (NEW, RESOLVED, SEVERITY)


@dataclass(frozen=True, slots=True)
class Change:
    digest: str  # the image's manifest digest
    package_purl: str
    advisory_id: str
    change: str  # NEW | RESOLVED | SEVERITY
    old_severity: str | None  # Severity names, as findings store them
    new_severity: str | None


@dataclass(frozen=True, slots=True)
class StoredChange:
    change_set: int
    at: str
    digest: str
    refs: tuple[str, ...]
    package_purl: str
    advisory_id: str
    change: str
    old_severity: str | None
    new_severity: str | None


@dataclass(frozen=True, slots=True)
class Rematched:
    """The complete new findings of one re-matched package of one image."""

    digest: str
    ord: int
    findings: tuple[StoredFinding, ...]


def stored_findings(store: InventoryStore, digests: Iterable[str]
                    ) -> dict[tuple[str, int], list[StoredFinding]]:
    """The stored findings of the images ``digests``, by (digest, package ord)."""
    wanted = sorted(set(digests))
    out: dict[tuple[str, int], list[StoredFinding]] = {}
    for i in range(0, len(wanted), 500):
        chunk = wanted[i:i + 500]
        marks = ", ".join("?" * len(chunk))
        for d, o, a, al, sev, fixed, st in store._rows(
                "SELECT m.digest, f.ord, f.advisory_id, f.aliases, f.severity, "  # noqa: S608
                "f.fixed, f.status FROM findings f JOIN images m ON m.id=f.image_id "
                f"WHERE m.digest IN ({marks}) ORDER BY m.digest, f.ord, f.advisory_id", chunk):
            out.setdefault((d, o), []).append(
                StoredFinding(o, a, tuple(json.loads(al)), sev, tuple(json.loads(fixed)), st))
    return out


def matched_with(store: InventoryStore) -> dict[str, str | None]:
    """Per stored image: the vulnerability DB (its ``built_at``) its findings reflect."""
    return dict(store._rows("SELECT digest, scanned_with FROM images ORDER BY digest"))


def record(store: InventoryStore, *, reason: str, db_built_at: str | None,
           matched_from: str | None, seen: Iterable[str], rematched: Sequence[Rematched],
           changes: Sequence[Change]) -> tuple[int, str]:
    """Write one change set in one transaction (all or nothing): replace the findings of
    every re-matched package, add the changes, and mark as matched with ``db_built_at`` the
    re-matched images and those of ``seen`` (the images the re-match considered; one added
    meanwhile keeps its stamp) that reflected ``matched_from``, the DB before the import.
    Returns (change set id, its time)."""
    now = _now()
    with store._transaction() as cur:
        ids = dict(store._exec(cur, "SELECT digest, id FROM images").fetchall())
        set_id = store._exec(
            cur, "INSERT INTO change_sets (created_at, db_built_at, reason) VALUES (?, ?, ?) "
            "RETURNING id", (now, db_built_at, reason)).fetchone()[0]
        live = [r for r in rematched if r.digest in ids]  # removed meanwhile: nothing to do
        store._many(cur, "DELETE FROM findings WHERE image_id=? AND ord=?",
                    [(ids[r.digest], r.ord) for r in live])
        store._many(cur, "INSERT INTO findings (image_id, ord, advisory_id, aliases, "
                    "severity, fixed, status) VALUES (?, ?, ?, ?, ?, ?, ?)",
                    [(ids[r.digest], f.ord, f.advisory_id, _json(list(f.aliases)),
                      f.severity, _json(list(f.fixed)), f.status)
                     for r in live for f in r.findings])
        store._many(cur, "INSERT INTO changes (change_set_id, image_id, package_purl, "
                    "advisory_id, change, old_severity, new_severity) "
                    "VALUES (?, ?, ?, ?, ?, ?, ?)",
                    [(set_id, ids[c.digest], c.package_purl, c.advisory_id, c.change,
                      c.old_severity, c.new_severity) for c in changes if c.digest in ids])
        whole = sorted({r.digest for r in live})
        store._many(cur, "UPDATE images SET scanned_with=? WHERE id=?",
                    [(db_built_at, ids[d]) for d in whole])
        if matched_from is not None:
            store._many(cur, "UPDATE images SET scanned_with=? WHERE id=? AND scanned_with=?",
                        [(db_built_at, ids[d], matched_from) for d in sorted(set(seen))
                         if d in ids])
    return int(set_id), now


def read(store: InventoryStore, since: str | None = None, change_set: int | None = None
         ) -> list[StoredChange]:
    """Every stored change (of change sets created at or after ``since``, a UTC time as
    ``YYYY-MM-DDTHH:MM:SSZ``; of ``change_set`` only), oldest first."""
    where, params = "", list[object]()
    if change_set is not None:
        where, params = "WHERE s.id=?", [change_set]
    elif since:
        where, params = "WHERE s.created_at>=?", [since]
    rows = store._rows(
        "SELECT s.id, s.created_at, m.id, m.digest, c.package_purl, c.advisory_id, "  # noqa: S608
        "c.change, c.old_severity, c.new_severity FROM changes c "
        "JOIN change_sets s ON s.id=c.change_set_id JOIN images m ON m.id=c.image_id "
        f"{where} ORDER BY s.id, m.digest, c.package_purl, c.advisory_id, c.change", params)
    refs = store._refs_of(sorted({r[2] for r in rows})) if rows else {}
    return [StoredChange(r[0], r[1], r[3], refs.get(r[2], ()), r[4], r[5], r[6], r[7], r[8])
            for r in rows]


def count_sets(store: InventoryStore, since: str | None = None) -> int:
    """Change sets (re-matches, with or without changes) created at or after ``since``."""
    if since:
        rows = store._rows("SELECT COUNT(*) FROM change_sets WHERE created_at>=?", (since,))
    else:
        rows = store._rows("SELECT COUNT(*) FROM change_sets")
    return int(rows[0][0])
