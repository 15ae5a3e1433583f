"""Matchers: which (ecosystem, package, version) an installed package is looked up as."""
