"""Processors between matching and rendering: VEX, ignore file, severity, unfixed, fail-on.

Each is a pure function over ``VulnerabilityMatch`` values. VEX statements and ignore-file
entries do not delete a match: they set ``suppressed_by`` to the reason, so JSON shows what
was suppressed and why (the table hides suppressed matches by default). ``--ignore-unfixed``
and ``--severity`` are view filters and drop matches. ``--fail-on`` counts only matches that
are not suppressed.

OpenVEX (https://github.com/openvex/spec, ``@context`` openvex.dev/ns): a statement with
status ``not_affected`` or ``fixed`` suppresses a match when its vulnerability (``name``,
``@id`` or ``aliases``) is the match's id or one of its aliases and one of its product or
subcomponent purls designates the match's package (``vex_purl_matches``).
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import date
from pathlib import Path
from typing import Any, Final

from packageurl import PackageURL

from ringfence.errors import InputError
from ringfence.inputs import read_regular_text
from ringfence.model.advisory import FIXED, VulnerabilityMatch
from ringfence.model.finding import Severity
from ringfence.model.inventory import Distro
from ringfence.model.unknown import Unknown

SUPPRESSING: Final = frozenset({"not_affected", "fixed"})


@dataclass(frozen=True, slots=True)
class VexStatement:
    vulnerabilities: frozenset[str]
    products: tuple[str, ...]  # purls
    status: str
    reason: str
    source: str


def load_vex(path: Path) -> tuple[VexStatement, ...]:
    """Statements of one OpenVEX JSON document; InputError when it is not one."""
    doc = _read_json(path)
    if not isinstance(doc, dict) or not str(doc.get("@context", "")).startswith(
            "https://openvex.dev/ns") or not isinstance(doc.get("statements"), list):
        raise InputError(str(path), "not an OpenVEX document (@context openvex.dev/ns, "
                         "statements)")
    return tuple(_statement(s, str(path)) for s in doc["statements"] if isinstance(s, dict))


def _statement(s: dict[str, Any], source: str) -> VexStatement:
    vuln = s.get("vulnerability") or {}
    names = {vuln.get("name"), vuln.get("@id"), *(vuln.get("aliases") or [])}
    products: list[str] = []
    for group in (s.get("products") or [], *(p.get("subcomponents") or []
                                            for p in s.get("products") or [])):
        for prod in group:
            ids = {prod.get("@id"), (prod.get("identifiers") or {}).get("purl")}
            products.extend(i for i in ids if isinstance(i, str) and i.startswith("pkg:"))
    status = str(s.get("status", ""))
    reason = "; ".join(str(s[k]) for k in ("justification", "impact_statement",
                                           "status_notes") if s.get(k))
    return VexStatement(frozenset(n for n in names if isinstance(n, str)), tuple(products),
                        status, f"VEX {status}" + (f": {reason}" if reason else ""), source)


def _qualifiers(p: PackageURL) -> dict[str, str]:
    return dict(p.qualifiers) if isinstance(p.qualifiers, dict) else {}


def vex_purl_matches(statement_purl: str, package_purl: str, distro: Distro | None) -> bool:
    """Type, namespace, name and (when given) version must be equal. Qualifiers are ignored
    when the statement's purl has none; otherwise each must agree: ``arch=source`` (Debian and
    Ubuntu's mark for the source package) accepts any arch, and ``distro`` accepts our
    ``<id>-<version>`` label, VERSION_ID or codename (Ubuntu writes ``distro=jammy``, and
    ``distro=esm-infra-legacy/trusty`` for trusty's ESM pocket: the codename after the last
    ``/`` is compared; the version, which names the ESM build, must still be equal)."""
    try:
        want, have = PackageURL.from_string(statement_purl), PackageURL.from_string(package_purl)
    except ValueError:
        return False
    if (want.type, want.namespace, want.name) != (have.type, have.namespace, have.name):
        return False
    if want.version and want.version != have.version:
        return False
    ours = _qualifiers(have)
    for key, value in _qualifiers(want).items():
        if key == "arch" and value == "source":
            continue
        if key == "distro" and distro is not None and value.rsplit("/", 1)[-1] in {
                distro.version_codename, distro.version_id, ours.get("distro")}:
            continue
        if ours.get(key) != value:
            return False
    return True


def apply_vex(matches: Iterable[VulnerabilityMatch], statements: Iterable[VexStatement],
              distro: Distro | None = None) -> tuple[VulnerabilityMatch, ...]:
    suppressing = [s for s in statements if s.status in SUPPRESSING]
    out = []
    for m in matches:
        ids = {m.advisory_id, *m.aliases}
        hit = next((s for s in suppressing if s.vulnerabilities & ids and any(
            vex_purl_matches(p, m.package_purl, distro) for p in s.products)), None)
        out.append(replace(m, suppressed_by=hit.reason) if hit and not m.suppressed_by else m)
    return tuple(out)


@dataclass(frozen=True, slots=True)
class IgnoreRule:
    id: str
    reason: str
    expires: date | None = None

    def expired(self, today: date) -> bool:
        return self.expires is not None and self.expires < today


def load_ignore_file(path: Path) -> tuple[IgnoreRule, ...]:
    """YAML or JSON: ``{"ignore": [{"id", "reason", "expires": "YYYY-MM-DD"}]}`` (or the list
    alone). ``expires`` is optional; an entry is applied up to and including that day."""
    text = _read_text(path)
    if path.suffix.lower() == ".json":
        doc = _read_json(path)
    else:
        import yaml  # PyYAML, loaded only for YAML ignore files

        try:
            doc = yaml.safe_load(text)
        except yaml.YAMLError as exc:
            raise InputError(str(path), "not valid YAML") from exc
    entries = doc.get("ignore") if isinstance(doc, dict) else doc
    if not isinstance(entries, list):
        raise InputError(str(path), "expected a list of entries under 'ignore'")
    return tuple(_rule(e, path) for e in entries)


def _rule(entry: Any, path: Path) -> IgnoreRule:
    if not isinstance(entry, dict) or not isinstance(entry.get("id"), str):
        raise InputError(str(path), f"ignore entry without an id: {entry!r}")
    expires = entry.get("expires")
    if isinstance(expires, str):
        try:
            expires = date.fromisoformat(expires)
        except ValueError as exc:
            raise InputError(str(path), f"{entry['id']}: expires is not a date") from exc
    if expires is not None and not isinstance(expires, date):
        raise InputError(str(path), f"{entry['id']}: expires is not a date")
    return IgnoreRule(entry["id"], str(entry.get("reason") or ""), expires)


def apply_ignores(matches: Iterable[VulnerabilityMatch], rules: Iterable[IgnoreRule],
                  today: date) -> tuple[tuple[VulnerabilityMatch, ...], tuple[IgnoreRule, ...]]:
    """Matches with ignored ones suppressed, and the expired rules (not applied)."""
    rules = tuple(rules)
    active = {r.id: r for r in rules if not r.expired(today)}
    out = []
    for m in matches:
        rule = next((active[i] for i in (m.advisory_id, *m.aliases) if i in active), None)
        if rule and not m.suppressed_by:
            until = f" until {rule.expires.isoformat()}" if rule.expires else ""
            m = replace(m, suppressed_by=f"ignore file{until}: {rule.reason}".rstrip(": "))
        out.append(m)
    return tuple(out), tuple(r for r in rules if r.expired(today))


def drop_unfixed(matches: Iterable[VulnerabilityMatch]) -> tuple[VulnerabilityMatch, ...]:
    """``--ignore-unfixed``: keep only matches for which a fix exists."""
    return tuple(m for m in matches if m.status == FIXED)


def parse_severities(text: str) -> frozenset[Severity]:
    """``--severity HIGH,CRITICAL`` (case-insensitive; ``unknown`` is a level too)."""
    out = set()
    for part in filter(None, (p.strip() for p in text.split(","))):
        if part.upper() not in Severity.__members__:
            raise ValueError(f"unknown severity {part!r}")
        out.add(Severity[part.upper()])
    return frozenset(out)


def keep_severities(matches: Iterable[VulnerabilityMatch],
                    levels: frozenset[Severity]) -> tuple[VulnerabilityMatch, ...]:
    return tuple(m for m in matches if m.severity in levels)


def policy_failed(matches: Iterable[VulnerabilityMatch], threshold: Severity) -> bool:
    """``--fail-on``: an unsuppressed match at or above ``threshold``."""
    return any(m.suppressed_by is None and m.severity >= threshold for m in matches)


def _read_text(path: Path) -> str:
    return read_regular_text(path, 64 << 20, str(path))  # VEX and ignore files


def _read_json(path: Path) -> Any:
    try:
        return json.loads(_read_text(path))
    except ValueError as exc:
        raise InputError(str(path), "not JSON") from exc


@dataclass(frozen=True, slots=True)
class Filters:
    """Everything the user asked to apply to the matches (CLI options, parsed)."""

    vex: tuple[VexStatement, ...] = ()
    ignores: tuple[IgnoreRule, ...] = ()
    ignore_source: str = ""  # the ignore file, for reporting expired entries
    ignore_unfixed: bool = False
    severities: frozenset[Severity] | None = None
    today: date | None = None


def apply_filters(matches: Iterable[VulnerabilityMatch], filters: Filters,
                  distro: Distro | None) -> tuple[tuple[VulnerabilityMatch, ...],
                                                  tuple[Unknown, ...]]:
    """VEX, then the ignore file, then the view filters. Expired ignore entries come back
    as Unknowns (they were not applied, and the user should renew or delete them)."""
    out = apply_vex(matches, filters.vex, distro)
    out, expired = apply_ignores(out, filters.ignores, filters.today or date.today())
    if filters.ignore_unfixed:
        out = drop_unfixed(out)
    if filters.severities is not None:
        out = keep_severities(out, filters.severities)
    notes = tuple(Unknown(filters.ignore_source, f"ignore entry {r.id} expired on "
                          f"{r.expires}; not applied ({r.reason})", "ignore-file")
                  for r in expired)
    return out, notes
