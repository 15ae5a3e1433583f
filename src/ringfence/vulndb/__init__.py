"""Local vulnerability database: importers write it, matchers only read it."""
