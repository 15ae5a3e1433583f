"""The inventory store's schema, the same for SQLite and PostgreSQL (``{id}`` is the one
dialect difference: an auto-numbered key).

Version ``SCHEMA_VERSION``::

    meta(key PRIMARY KEY, value)                         schema_version, created_at
    images(id, digest UNIQUE, kind, distro JSON, os, architecture, config_digest,
           added_at, scanned_with)                       one row per manifest digest
    refs(image_id, ref, added_at)                        every name the image was added as
    layers(image_id, position, digest, diff_id, size)
    packages(image_id, ord, purl, purl_base, name, version, type, layer, owner, doc)
    package_docs(digest PRIMARY KEY, doc JSON)           Package.to_dict() without layers (the
                                                         layer is the package row's), to
                                                         re-match; shared by every image that
                                                         carries the same package
    package_index(ecosystem, name, image_id, ord)        the matchers' lookups of each package
                                                         (vulnerability-DB identity) -> images
    findings(image_id, ord, advisory_id, aliases JSON, severity, fixed JSON, status)
                                                         what the scan that recorded it found
    change_sets(id, created_at, db_built_at, reason)     a re-match after a DB change
    changes(change_set_id, image_id, package_purl, advisory_id, change, old_severity,
            new_severity)                        what a re-match changed (``store/changes.py``)

Version 2 indexed ``change_sets.created_at`` and ``changes.image_id``. Version 3 made the
identity lookup of ``affected`` index-only: ``package_index (ecosystem, name, image_id,
ord)`` replaces the (ecosystem, name) index. Version 4 added ``layer_results(variant, blob,
diff_id, value)``: layer results shared by fleet workers (``store/layer_results.py``).

``MIGRATIONS[n]`` takes a store from version ``n`` to ``n + 1`` (0: an empty database);
they run in one transaction. A store of a newer version than this code is refused.
"""

from __future__ import annotations

from typing import Final

SCHEMA_VERSION: Final = 4

_V1: Final = (
    "CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)",
    "CREATE TABLE images (id {id}, digest TEXT NOT NULL UNIQUE, kind TEXT NOT NULL, "
    "distro TEXT, os TEXT, architecture TEXT, config_digest TEXT, added_at TEXT NOT NULL, "
    "scanned_with TEXT)",
    "CREATE TABLE refs (image_id BIGINT NOT NULL REFERENCES images(id) ON DELETE CASCADE, "
    "ref TEXT NOT NULL, added_at TEXT NOT NULL, PRIMARY KEY (image_id, ref))",
    "CREATE TABLE layers (image_id BIGINT NOT NULL REFERENCES images(id) ON DELETE CASCADE, "
    "position INTEGER NOT NULL, digest TEXT NOT NULL, diff_id TEXT NOT NULL, "
    "size BIGINT NOT NULL, PRIMARY KEY (image_id, position))",
    "CREATE TABLE packages (image_id BIGINT NOT NULL REFERENCES images(id) ON DELETE CASCADE, "
    "ord INTEGER NOT NULL, purl TEXT NOT NULL, purl_base TEXT NOT NULL, name TEXT NOT NULL, "
    "version TEXT NOT NULL, type TEXT NOT NULL, layer TEXT, owner TEXT, doc TEXT NOT NULL, "
    "PRIMARY KEY (image_id, ord))",
    "CREATE TABLE package_docs (digest TEXT PRIMARY KEY, doc TEXT NOT NULL)",
    "CREATE INDEX packages_purl ON packages (purl_base, version)",
    "CREATE TABLE package_index (ecosystem TEXT NOT NULL, name TEXT NOT NULL, "
    "image_id BIGINT NOT NULL REFERENCES images(id) ON DELETE CASCADE, ord INTEGER NOT NULL)",
    "CREATE INDEX package_index_identity ON package_index (ecosystem, name)",
    "CREATE INDEX package_index_image ON package_index (image_id)",
    "CREATE TABLE findings (image_id BIGINT NOT NULL REFERENCES images(id) ON DELETE CASCADE, "
    "ord INTEGER NOT NULL, advisory_id TEXT NOT NULL, aliases TEXT NOT NULL, "
    "severity TEXT NOT NULL, fixed TEXT NOT NULL, status TEXT NOT NULL)",
    "CREATE INDEX findings_image ON findings (image_id, ord)",
    "CREATE INDEX findings_advisory ON findings (advisory_id)",
    "CREATE TABLE change_sets (id {id}, created_at TEXT NOT NULL, db_built_at TEXT, "
    "reason TEXT NOT NULL)",
    "CREATE TABLE changes (change_set_id BIGINT NOT NULL REFERENCES change_sets(id) "
    "ON DELETE CASCADE, image_id BIGINT NOT NULL REFERENCES images(id) ON DELETE CASCADE, "
    "package_purl TEXT NOT NULL, advisory_id TEXT NOT NULL, change TEXT NOT NULL, "
    "old_severity TEXT, new_severity TEXT)",
    "CREATE INDEX changes_set ON changes (change_set_id)",
)

# v2: the change-set reads of ``changes --since`` and the per-image deletes of ``remove``
# (which runs over ``changes`` too) without a table scan
_V2: Final = (
    "CREATE INDEX change_sets_created ON change_sets (created_at)",
    "CREATE INDEX changes_image ON changes (image_id)",
)

# v3: ``affected`` names ~1/3 of 10,000 images' packages; the identity index carries the
# package keys, so the lookup reads no package_index row (bench/store.py)
_V3: Final = (
    "CREATE INDEX package_index_lookup ON package_index (ecosystem, name, image_id, ord)",
    "DROP INDEX package_index_identity",
)

# v4: layer results shared by the workers of a fleet, keyed as the layer cache is
# (analyzer variant, digest of the blob bytes that were hashed when it was computed)
_V4: Final = (
    "CREATE TABLE layer_results (variant TEXT NOT NULL, blob TEXT NOT NULL, "
    "diff_id TEXT NOT NULL, value TEXT NOT NULL, PRIMARY KEY (variant, blob))",
)

MIGRATIONS: Final[dict[int, tuple[str, ...]]] = {0: _V1, 1: _V2, 2: _V3, 3: _V4}

ID_COLUMN: Final = {"sqlite": "INTEGER PRIMARY KEY AUTOINCREMENT",
                    "postgresql": "BIGSERIAL PRIMARY KEY"}
