"""Security response over the inventory store: records built from scans (``record.py``) and
``affected`` answers (``affected.py``), matching through ``vulndb/match``."""
