"""Standard SBOM formats: CycloneDX and SPDX out (``cyclonedx``, ``spdx``), either in
(``ingest.read_sbom``). Importing this package loads no format library."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable

from ringfence.model.package import Package
from ringfence.report.jsontext import json_text as json_text  # the one JSON writer


def package_id(pkg: Package) -> str:
    """16 hex digits from purl and first location (path and layer): stable across runs and
    distinct for the same package found at two places. Used in bom-refs and SPDXIDs."""
    first = pkg.locations[0] if pkg.locations else None
    seed = "\0".join((pkg.purl, first.path if first else "", (first.layer or "") if first else ""))
    # surrogatepass: a path decoded with surrogateescape (non-UTF-8 bytes in a tar name) has
    # lone surrogates; the same text gives the same id, UTF-8 text the id it always had
    return hashlib.sha256(seed.encode("utf-8", "surrogatepass")).hexdigest()[:16]


def with_qualifier(purl: str, key: str, value: str) -> str:
    """``purl`` with qualifier ``key`` set to ``value``, as packageurl-python would write it:
    ``purl`` is canonical (packageurl's ``to_string``: qualifiers sorted by key, and ``?``,
    ``#``, ``&`` and ``=`` percent-encoded inside components), and ``key``/``value`` need no
    encoding. Text surgery instead of a parse and a re-encode: a warm CycloneDX render spent
    as long parsing its own purls as writing the document (tests compare it with
    packageurl on hostile names)."""
    base, hash_, subpath = purl.partition("#")
    head, _, query = base.partition("?")
    pairs = [q for q in query.split("&") if q and q.partition("=")[0] != key]
    pairs.append(f"{key}={value}")
    pairs.sort(key=lambda q: q.partition("=")[0])
    return f"{head}?{'&'.join(pairs)}{hash_}{subpath}"


def spdx_and(values: Iterable[str]) -> str:
    """The AND of SPDX expressions (each valid and canonical: ``model.license.SpdxLicense``)
    in sorted order, as license-expression renders it: an operand with an AND or OR of its
    own in parentheses, a single id or a ``WITH`` pair bare; one value as it is (tests
    compare it with the library on every shape)."""
    operands = sorted(set(values))
    if len(operands) == 1:
        return operands[0]
    return " AND ".join(v if " AND " not in v and " OR " not in v else f"({v})"
                        for v in operands)
