"""The allow-list file: secrets a user has reviewed and accepts (TOML).

```toml
rules = ["IMG-110"]                      # never report these rule ids
paths = ["/usr/share/doc/**", "*.pem"]   # fnmatch globs on image paths / config fields
fingerprints = ["IMG-104:3f2a9c0d1e4b5a67"]  # exact fingerprints from a report
```
"""

from __future__ import annotations

import fnmatch
import tomllib
from dataclasses import dataclass
from pathlib import Path

from ringfence.errors import InputError
from ringfence.inputs import read_regular_text
from ringfence.secretscan.model import SecretHit

_KEYS = ("rules", "paths", "fingerprints")


@dataclass(frozen=True, slots=True)
class Allowlist:
    rules: frozenset[str] = frozenset()
    paths: tuple[str, ...] = ()
    fingerprints: frozenset[str] = frozenset()

    def allows(self, hit: SecretHit) -> bool:
        """True when the hit is accepted (suppressed from the report)."""
        if hit.rule_id in self.rules or hit.fingerprint in self.fingerprints:
            return True
        return any(fnmatch.fnmatchcase(hit.location, g) for g in self.paths)

    @classmethod
    def parse(cls, text: str, subject: str = "allow-list") -> Allowlist:
        try:
            doc = tomllib.loads(text)
        except tomllib.TOMLDecodeError as exc:
            raise InputError(subject, f"not valid TOML ({exc})") from exc
        unknown = sorted(set(doc) - set(_KEYS))
        if unknown:
            raise InputError(subject, f"unknown keys {unknown} (expected {list(_KEYS)})")
        values: dict[str, list[str]] = {}
        for key in _KEYS:
            raw = doc.get(key, [])
            if not isinstance(raw, list) or not all(isinstance(v, str) for v in raw):
                raise InputError(subject, f"{key} must be a list of strings")
            values[key] = raw
        return cls(frozenset(values["rules"]), tuple(values["paths"]),
                   frozenset(values["fingerprints"]))

    @classmethod
    def load(cls, path: Path) -> Allowlist:
        return cls.parse(read_regular_text(path, 1 << 20, str(path)), str(path))
