"""Alpine secdb: one document per branch and repository (``v3.10/main.yaml`` or ``.json``).

``packages[].pkg.secfixes`` maps a fixed version to entries such as ``CVE-2019-1234`` or
``CVE-2016-9932 XSA-200``; the first id names the advisory, further ids are aliases. Each
entry becomes one :class:`Affected` for the *origin* package in ``Alpine:<branch>`` with the
range ``introduced 0, fixed <version>``; the version ``0`` is Alpine's marker for "never
affected in this package" and becomes status ``not-affected``.
"""

from __future__ import annotations

import json
from typing import Any, Final

from ringfence.errors import InputError
from ringfence.model.advisory import NOT_AFFECTED, Advisory, Affected
from ringfence.vulndb.importers.debian import fixed_range
from ringfence.vulndb.importers.record import Record, Skip, SourceData

NOT_AFFECTED_VERSION: Final = "0"


def load(data: bytes, origin: str) -> dict[str, Any]:
    """Parse a secdb document (JSON or YAML, detected by content)."""
    try:
        if data.lstrip()[:1] == b"{":
            doc = json.loads(data)
        else:
            import yaml  # only YAML inputs pay for it

            loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
            doc = yaml.load(data, Loader=loader)  # noqa: S506 (a SafeLoader)
    except Exception as exc:  # ValueError from json, yaml.YAMLError (yaml is imported lazily)
        raise InputError(origin, f"not a secdb document: {exc}") from exc
    if not is_secdb(doc):
        raise InputError(origin, "not an Alpine secdb document (no distroversion/packages)")
    return dict(doc)


def is_secdb(doc: Any) -> bool:
    return isinstance(doc, dict) and "distroversion" in doc and "packages" in doc


def import_secdb(doc: dict[str, Any], origin: str, name: str | None = None) -> SourceData:
    branch, repo = str(doc["distroversion"]), str(doc.get("reponame") or "")
    ecosystem = f"Alpine:{branch}"
    by_id: dict[str, list[Affected]] = {}
    aliases: dict[str, set[str]] = {}
    skipped: list[Skip] = []
    for index, item in enumerate(doc.get("packages") or ()):
        try:
            pkg = item["pkg"]
            for version, entries in (pkg.get("secfixes") or {}).items():
                for entry in entries or ():
                    ids = str(entry).split()
                    by_id.setdefault(ids[0], []).append(
                        _affected(ids[0], ecosystem, str(pkg["name"]), str(version)))
                    aliases.setdefault(ids[0], set()).update(ids[1:])
        except (KeyError, TypeError, AttributeError, IndexError) as exc:
            skipped.append(Skip(f"{origin}:packages[{index}]", f"{type(exc).__name__}: {exc}"))
    records = tuple(Record(Advisory(i, "alpine-secdb", tuple(sorted(aliases[i]))),
                           tuple(by_id[i])) for i in sorted(by_id))
    return SourceData(name or f"alpine-secdb:{branch}/{repo}", "alpine-secdb", origin, records,
                      tuple(skipped))


def _affected(adv_id: str, ecosystem: str, package: str, version: str) -> Affected:
    if version == NOT_AFFECTED_VERSION:
        return Affected(adv_id, ecosystem, package, status=NOT_AFFECTED)
    return Affected(adv_id, ecosystem, package, fixed_range(version))
