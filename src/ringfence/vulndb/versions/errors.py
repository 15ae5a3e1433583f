"""The one error of the version schemes."""

from __future__ import annotations


class InvalidVersion(ValueError):
    """A version string that the scheme's reference implementation rejects."""

    def __init__(self, scheme: str, version: str, reason: str) -> None:
        super().__init__(f"{version!r}: not a valid {scheme} version ({reason})")
        self.scheme = scheme
        self.version = version
        self.reason = reason
