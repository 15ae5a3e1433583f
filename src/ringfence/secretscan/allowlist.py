"""The allow-list file: secrets a user has reviewed and accepts (TOML).

```toml
rules = ["IMG-110"]                      # never report these rule ids
paths = [                                # where accepted secrets are (see below)
  "/usr/share/doc/**", "*.pem",          #   files of the image: globs on the path
  "Env[AWS_ACCESS_KEY_ID]", "Env[CI_*]", #   config Env: the variable's name
  "Labels[org.example.token]",           #   config Labels: the label's key
  "history[3]", "history[*]",            #   history: the entry's index (created_by)
]
fingerprints = ["IMG-104:3f2a9c0d1e4b5a67"]  # exact fingerprints from a report
```

A ``paths`` entry matches the locations of one kind, the kind the scanner reports them
with (``model.CONFIG_LOCATIONS``: the one table the scanner writes config locations by):

* ``Env[NAME]`` matches the ``Env[NAME]`` locations (a variable of the image config's
  ``Env``), ``Labels[KEY]`` the ``Labels[KEY]`` ones, ``history[N]`` (or, as reported,
  ``history[N].created_by``) the history entry N's ``created_by``. The text between the
  first ``[`` and the last ``]`` is a glob on the name, key or index;
* every other entry is a glob on the path of a file in the image (``/app/.env``); it never
  matches a config location, and a config entry never matches a file.

One glob dialect for every kind: ``*`` is any run of characters (``/`` included, so ``**``
is the same as ``*``), ``?`` one character, everything else literal and case-sensitive.
``[`` is not a character class: a location copied from a report (``Env[KEY]``, a file
``/app/[id]/page.js``) matches itself.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Final

from ringfence.errors import InputError
from ringfence.inputs import read_regular_text
from ringfence.secretscan.model import CONFIG_LOCATIONS, FILE, HISTORY, SecretHit, config_name

_KEYS = ("rules", "paths", "fingerprints")
# a paths entry may end as the location does or, for history, just after the index
_SHORT_SUFFIX: Final = {HISTORY: "]"}


def _glob(pattern: str) -> re.Pattern[str]:
    """``*`` any run, ``?`` one character, the rest literal."""
    parts = ("." if c == "?" else ".*" if c == "*" else re.escape(c) for c in pattern)
    return re.compile("".join(parts), re.DOTALL)


def _entry(text: str) -> tuple[str, re.Pattern[str]]:
    """(kind, glob on the file path or on the name inside the brackets) of a paths entry."""
    for kind, (prefix, suffix) in CONFIG_LOCATIONS.items():
        if text.startswith(prefix):
            name = config_name(kind, text)
            if name is None and kind in _SHORT_SUFFIX:
                name = config_name(kind, text + suffix[len(_SHORT_SUFFIX[kind]):])
            if name is None:
                raise InputError("allow-list", f"paths entry {text!r}: expected "
                                 f"{prefix}...{suffix}")
            return kind, _glob(name)
    return FILE, _glob(text)


def _name(hit: SecretHit) -> str | None:
    """What a paths glob of the hit's kind is matched against: the file path, or the name,
    key or index inside a config location (None: a location not of its kind's form)."""
    if hit.source == FILE:
        return hit.location
    if hit.source in CONFIG_LOCATIONS:
        return config_name(hit.source, hit.location)
    return None


@dataclass(frozen=True, slots=True)
class Allowlist:
    rules: frozenset[str] = frozenset()
    paths: tuple[str, ...] = ()
    fingerprints: frozenset[str] = frozenset()
    _globs: tuple[tuple[str, re.Pattern[str]], ...] = field(init=False, repr=False,
                                                            compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_globs", tuple(_entry(p) for p in self.paths))

    def allows(self, hit: SecretHit) -> bool:
        """True when the hit is accepted (suppressed from the report)."""
        if hit.rule_id in self.rules or hit.fingerprint in self.fingerprints:
            return True
        name = _name(hit)
        return name is not None and any(kind == hit.source and glob.fullmatch(name)
                                        for kind, glob in self._globs)

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
        try:
            return cls(frozenset(values["rules"]), tuple(values["paths"]),
                       frozenset(values["fingerprints"]))
        except InputError as exc:
            raise InputError(subject, exc.message) from None

    @classmethod
    def load(cls, path: Path) -> Allowlist:
        return cls.parse(read_regular_text(path, 1 << 20, str(path)), str(path))
