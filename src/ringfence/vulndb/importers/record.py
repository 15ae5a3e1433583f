"""The values importers hand to the writer: records, skips and one source's data."""

from __future__ import annotations

from dataclasses import dataclass, field

from ringfence.model.advisory import Advisory, Affected


@dataclass(frozen=True, slots=True)
class Record:
    """One advisory and what it says about each package.

    ``severities`` keeps every OSV ``severity[]`` entry as ``(type, score)`` (the vector
    string); ``advisory.cvss_vector`` is the one matchers score (see ``osv.pick_vector``).
    """

    advisory: Advisory
    affected: tuple[Affected, ...]
    severities: tuple[tuple[str, str], ...] = ()
    purls: tuple[str | None, ...] = ()  # OSV affected[].package.purl, parallel to affected


@dataclass(frozen=True, slots=True)
class Skip:
    """A record that could not be read: where it was and why (counted and listed)."""

    where: str
    reason: str

    def __str__(self) -> str:
        return f"{self.where}: {self.reason}"


@dataclass(frozen=True, slots=True)
class SourceData:
    """Everything one importer read from one input.

    ``name`` identifies the source in the DB (re-importing a source of the same name
    replaces it); ``kind`` is the format (``osv``, ``debian-list``, ``debian-tracker``,
    ``alpine-secdb``); ``origin`` is the file path or URL it came from.
    """

    name: str
    kind: str
    origin: str
    records: tuple[Record, ...]
    skipped: tuple[Skip, ...] = field(default=())

    @property
    def withdrawn_ids(self) -> tuple[str, ...]:
        return tuple(sorted({r.advisory.id for r in self.records if r.advisory.withdrawn}))

    def newest_record(self, now: str) -> str | None:
        """The newest ``modified`` (else ``published``) date up to ``now`` (RFC 3339 UTC).

        Go's repository records carry zero timestamps (``0001-…``) and two PyPI records are
        dated 2027 (a source anomaly noted in PROVENANCE): neither is the data's age, so
        zero and future dates are ignored (compared as ``YYYY-MM-DDTHH:MM:SS`` text).
        """
        dates = [r.advisory.modified or r.advisory.published for r in self.records]
        real = [d for d in dates if d and not d.startswith("0001-") and d[:19] <= now[:19]]
        return max(real, default=None)
