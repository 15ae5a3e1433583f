"""Importers: each turns one feed format into a :class:`SourceData` value (no DB access)."""
