"""The inventory store of security response: images by manifest digest (refs, layers,
packages, the findings of their scan) in SQLite (embedded default) or PostgreSQL, with an
index from package identity (the vulnerability DB's ecosystem + name) to the images that
carry it. ``url.py`` names the store, ``schema.py`` its versioned schema, ``db.py`` the one
data-access layer over both dialects."""
