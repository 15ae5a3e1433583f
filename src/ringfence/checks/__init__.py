"""Shared machinery for rules and checks. Domain rules live in their own packages."""
