"""SecretsAnalyzer: which files of each layer to read, the per-layer hits, and the merge
that marks secrets in files a later layer deleted or replaced as still retrievable.

Like Trivy's secret analyzer it reads only text files: files above a size cap, files with
a known binary type (by extension), noisy trees (docs, man pages, locales, VCS metadata)
are not read, and read files with a NUL byte in their first 8 KiB count as binary. Every
skipped file is counted by reason in the facts.

A read file is scanned within the scanner's budgets (its first ``scan_bytes``, a cap on
candidate and accepted matches); a file whose scan hit one is listed with the reason and
becomes an Unknown ("secret scan truncated"), never a silent partial result.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from typing import Any, Final

from ringfence.layers.analyzer import SquashView
from ringfence.layers.walk import HARDLINK, REG, TOO_LARGE, Entry
from ringfence.secretscan.allowlist import Allowlist
from ringfence.secretscan.model import FILE, SecretHit, SecretsReport
from ringfence.secretscan.scanner import MAX_SCAN_BYTES, scan_bounded

DEFAULT_MAX_BYTES: Final = 1 << 20
BINARY_EXTENSIONS: Final = frozenset((
    ".a", ".o", ".so", ".ko", ".bin", ".pyc", ".pyo", ".class", ".jar", ".war", ".whl",
    ".egg", ".zip", ".gz", ".tgz", ".bz2", ".xz", ".zst", ".lz4", ".tar", ".deb", ".rpm",
    ".apk", ".png", ".jpg", ".jpeg", ".gif", ".ico", ".bmp", ".webp", ".svg", ".pdf",
    ".doc", ".ttf", ".otf", ".woff", ".woff2", ".mo", ".gmo", ".db", ".sqlite", ".mp3",
    ".mp4", ".wasm", ".node", ".socket", ".cache", ".dat"))
NOISY_PREFIXES: Final = ("/usr/share/doc/", "/usr/share/man/", "/usr/share/info/",
                         "/usr/share/locale/", "/usr/share/i18n/", "/usr/share/zoneinfo/",
                         "/usr/include/", "/usr/share/mime/", "/usr/share/icons/",
                         "/proc/", "/sys/", "/dev/", "/var/lib/dpkg/info/")
NOISY_PARTS: Final = ("/.git/", "/node_modules/.cache/", "/__pycache__/")
BINARY_SNIFF: Final = 8192


def excluded(path: str) -> bool:
    """Known binary type or a noisy tree: never read."""
    if path.startswith(NOISY_PREFIXES) or any(p in path for p in NOISY_PARTS):
        return True
    base = path.rsplit("/", 1)[-1]
    if ".so." in base:
        return True
    dot = base.rfind(".")
    return dot > 0 and base[dot:].lower() in BINARY_EXTENSIONS


class _State:
    def __init__(self, analyzer: SecretsAnalyzer) -> None:
        self._analyzer = analyzer
        self.hits: list[list[Any]] = []
        self.skipped: Counter[str] = Counter()
        self.scanned = 0
        self.truncated: list[list[str]] = []  # [path, why]
        # what each file of this layer came to, for hardlinks to it later in the layer (the
        # walk keeps no data of files only this analyzer wanted): a skip reason, or the
        # matches (rule, line, redacted, fingerprint) and the truncation reason
        self._seen: dict[str, str | tuple[tuple[tuple[str, int, str, str], ...],
                                          str | None]] = {}

    def observe(self, entry: Entry) -> None:
        if entry.kind == TOO_LARGE:
            self.skipped["too-large"] += 1
            self._seen[entry.path] = "too-large"
            return
        if entry.kind not in (REG, HARDLINK):
            return
        if entry.size > self._analyzer.max_bytes:
            self.skipped["too-large"] += 1
            self._seen[entry.path] = "too-large"
        elif excluded(entry.path):
            self.skipped["excluded"] += 1
        elif entry.data is None:
            return  # not read: a hardlink is answered by ``link``
        elif entry.data.find(b"\0", 0, BINARY_SNIFF) >= 0:
            self.skipped["binary"] += 1
            self._seen[entry.path] = "binary"
        else:
            self.scanned += 1
            outcome = scan_bounded(entry.data, max_bytes=self._analyzer.scan_bytes)
            found = tuple((m.rule_id, m.line, m.redacted, m.fingerprint)
                          for m in outcome.matches)
            self._seen[entry.path] = (found, outcome.truncated)
            self._record(entry.path, found, outcome.truncated)

    def _record(self, path: str, found: tuple[tuple[str, int, str, str], ...],
                truncated: str | None) -> None:
        self.hits.extend([path, *m] for m in found)
        if truncated is not None:
            self.truncated.append([path, truncated])

    def link(self, path: str, target: str) -> bool:
        """A hardlink ``path`` to ``target`` whose data the walk did not carry: True when
        accounted for here (an excluded path, or a target this state already judged), as
        the same content at this path; False when it needs the target's data."""
        if excluded(path):
            return True  # observe counted it
        seen = self._seen.get(target)
        if seen is None:
            return False
        if isinstance(seen, str):
            self.skipped[seen] += 1
        else:
            self.scanned += 1
            self._record(path, *seen)
        return True

    def facts(self) -> Any:
        return {"hits": self.hits, "scanned": self.scanned, "skipped": dict(self.skipped),
                "truncated": self.truncated}


class SecretsAnalyzer:
    """Secrets in every layer's text files (a LayerAnalyzer)."""

    name = "secrets"

    def __init__(self, max_bytes: int = DEFAULT_MAX_BYTES,
                 allowlist: Allowlist | None = None, scan_bytes: int = MAX_SCAN_BYTES) -> None:
        """``max_bytes``: larger files are not read (skipped as too large); ``scan_bytes``:
        the rules run over the first that many bytes of a read file."""
        self.max_bytes = max_bytes
        self.scan_bytes = scan_bytes
        self.allowlist = allowlist or Allowlist()
        # facts depend on the rules and the caps (part of the layer cache key), never on
        # the allow-list (applied in merge). 2: linear-time rules, scan budgets, truncated;
        # 3: hardlinks to files only this analyzer read are scanned (were not)
        self.version = f"3-{max_bytes}-{scan_bytes}"

    def wants(self, path: str, size: int) -> bool:
        return size <= self.max_bytes and not excluded(path)

    def new_state(self) -> _State:
        return _State(self)

    def merge(self, layers: Sequence[tuple[str, Any]], view: SquashView) -> SecretsReport:
        hits: list[SecretHit] = []
        skipped: Counter[str] = Counter()
        truncated: list[tuple[str, str, str | None]] = []
        scanned = suppressed = 0
        for i, (diff_id, facts) in enumerate(layers):
            if not facts:
                continue
            scanned += facts["scanned"]
            skipped.update(facts["skipped"])
            truncated.extend((path, why, diff_id or None)
                             for path, why in facts.get("truncated", ()))
            for path, rule_id, line, redacted, fp in facts["hits"]:
                j = view.deleted_by(path, i) if len(view) == len(layers) else None
                hit = SecretHit(rule_id, FILE, path, line, redacted, fp, diff_id or None,
                                i if diff_id else None,
                                layers[j][0] if j is not None else None, j)
                if self.allowlist.allows(hit):
                    suppressed += 1
                else:
                    hits.append(hit)
        return SecretsReport(tuple(sorted(hits)), scanned, tuple(sorted(skipped.items())),
                             suppressed, tuple(truncated))
