"""Smaller ecosystems: one module (one cataloger class) per file format."""
