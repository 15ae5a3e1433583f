"""sshd_config parser that follows ``Include`` and ``Match`` as OpenSSH's sshd does.

* The first value obtained for a keyword wins; ``ChallengeResponseAuthentication`` is an
  alias of ``KbdInteractiveAuthentication``.
* ``Include`` takes globs (sorted), relative to /etc/ssh; an included file is parsed in the
  Match context of the Include line, and a ``Match`` opened inside an included file ends
  with that file.
* For a connection, sshd re-reads the file applying only the Match blocks that match, and
  the keywords they set replace the global ones (``copy_set_server_options``).
Values are normalised the way ``sshd -T`` prints them, so the two can be compared.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from ringfence.host.facts import FactError, RootReader
from ringfence.host.sshd_match import MatchContext, criteria_match

SSHDIR = "/etc/ssh"
MAX_DEPTH = 16  # sshd's READCONF_MAX_DEPTH: deeper, sshd refuses to start
# sshd follows Include fan-out without a total bound (a glob that includes itself costs
# files^16); we stop at these and report the configuration as unknown (FactError).
MAX_INCLUDED_FILES = 1_024
MAX_DIRECTIVES = 100_000

# keyword -> (default as `sshd -T` prints it on Debian 12 with an empty file, normaliser,
# allowed inside Match)
Norm = Callable[[tuple[str, ...]], str]


def _lower(args: tuple[str, ...]) -> str:
    return args[0].lower() if args else ""


def _as_is(args: tuple[str, ...]) -> str:
    return args[0] if args else ""


def _upper(args: tuple[str, ...]) -> str:
    return args[0].upper() if args else ""


def _words(args: tuple[str, ...]) -> str:
    return " ".join(args)


def _root_login(args: tuple[str, ...]) -> str:
    value = _lower(args)
    return "without-password" if value == "prohibit-password" else value


def _forwarding(args: tuple[str, ...]) -> str:
    value = _lower(args)
    return "yes" if value == "all" else value


_TIME = re.compile(r"(\d+)([smhdwSMHDW]?)")
_UNITS = {"": 1, "s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}


def _seconds(args: tuple[str, ...]) -> str:
    text = args[0] if args else ""
    parts = _TIME.findall(text)
    if not parts or "".join(n + u for n, u in parts) != text:
        return text
    return str(sum(int(n) * _UNITS[u.lower()] for n, u in parts))


KEYWORDS: dict[str, tuple[str, Norm, bool]] = {
    "permitrootlogin": ("without-password", _root_login, True),
    "passwordauthentication": ("yes", _lower, True),
    "permitemptypasswords": ("no", _lower, True),
    "kbdinteractiveauthentication": ("yes", _lower, True),
    "pubkeyauthentication": ("yes", _lower, True),
    "hostbasedauthentication": ("no", _lower, True),
    "ignorerhosts": ("yes", _lower, True),
    "x11forwarding": ("no", _lower, True),
    "x11uselocalhost": ("yes", _lower, True),
    "allowtcpforwarding": ("yes", _forwarding, True),
    "allowagentforwarding": ("yes", _lower, True),
    "allowstreamlocalforwarding": ("yes", _forwarding, True),
    "disableforwarding": ("no", _lower, True),
    "gatewayports": ("no", _lower, True),
    "permittunnel": ("no", _lower, True),
    "permituserenvironment": ("no", _lower, False),
    "maxauthtries": ("6", _as_is, True),
    "maxsessions": ("10", _as_is, True),
    "logingracetime": ("120", _seconds, False),
    "clientaliveinterval": ("0", _seconds, True),
    "clientalivecountmax": ("3", _as_is, True),
    "loglevel": ("INFO", _upper, True),
    "usepam": ("no", _lower, False),
    "strictmodes": ("yes", _lower, False),
    "usedns": ("no", _lower, False),
    "printmotd": ("yes", _lower, False),
    "banner": ("none", _as_is, True),
    "forcecommand": ("none", _words, True),
    "chrootdirectory": ("none", _as_is, True),
    "authorizedkeysfile": (".ssh/authorized_keys .ssh/authorized_keys2", _words, True),
    "authenticationmethods": ("any", _words, True),
}
VERBATIM = frozenset({"forcecommand"})
ALIASES = {"challengeresponseauthentication": "kbdinteractiveauthentication"}


@dataclass(frozen=True, slots=True)
class Directive:
    keyword: str  # lower case, aliases resolved
    args: tuple[str, ...]
    source: str  # path:line
    block: int | None  # index into SshdConfig.blocks, None = global
    raw: str = ""  # the rest of the line as written (ForceCommand takes it verbatim)


@dataclass(frozen=True, slots=True)
class MatchBlock:
    criteria: tuple[tuple[str, str], ...]
    source: str

    def describe(self) -> str:
        return "Match " + " ".join(f"{k} {v}" if v else k for k, v in self.criteria)


@dataclass(frozen=True, slots=True)
class SshdConfig:
    path: str
    directives: tuple[Directive, ...]
    blocks: tuple[MatchBlock, ...]
    files: tuple[str, ...]
    problems: tuple[str, ...] = ()

    def _first(self, directives: Iterable[Directive]) -> dict[str, str]:
        out: dict[str, str] = {}
        for d in directives:
            if d.keyword in KEYWORDS and d.keyword not in out:
                args = (d.raw,) if d.keyword in VERBATIM else d.args
                out[d.keyword] = KEYWORDS[d.keyword][1](args)
        return out

    def settings(self, ctx: MatchContext | None = None) -> dict[str, str]:
        """Every known keyword's effective value: defaults, global lines, matching blocks."""
        out = {k: default for k, (default, _, _) in KEYWORDS.items()}
        always = {i for i, b in enumerate(self.blocks) if b.criteria == (("all", ""),)}
        # sshd's first pass has no connection: only global lines and `Match All` apply
        out.update(self._first(d for d in self.directives
                               if d.block is None or d.block in always))
        # then, for the connection (sshd -T without -C uses a blank one: only `All` holds),
        # the keywords set by matching blocks replace the global values
        hits = always if ctx is None else {
            i for i, b in enumerate(self.blocks) if criteria_match(b.criteria, ctx)}
        out.update(self._first(d for d in self.directives if d.block in hits))
        return out

    def block_settings(self, index: int) -> dict[str, str]:
        """The keywords one Match block sets (what it changes for connections it matches)."""
        return self._first(d for d in self.directives if d.block == index)

    def source_of(self, keyword: str, block: int | None = None) -> str:
        for d in self.directives:
            if d.keyword == keyword and d.block == block:
                return d.source
        return f"{self.path} (default)"


def tokenize(line: str) -> list[str]:
    """``argv_split`` with comments: quotes group, ``\\`` escapes, ``#`` starts a comment."""
    out: list[str] = []
    i, n = 0, len(line)
    while i < n:
        while i < n and line[i] in " \t":
            i += 1
        if i >= n or line[i] == "#":
            break
        word: list[str] = []
        quote = ""
        while i < n and (quote or line[i] not in " \t"):
            c = line[i]
            if c == "\\" and i + 1 < n and line[i + 1] in "\\\"' \t":
                word.append(line[i + 1])
                i += 2
                continue
            if c in "\"'" and (not quote or quote == c):
                quote = "" if quote else c
            else:
                word.append(c)
            i += 1
        out.append("".join(word))
    return out


_KEYWORD = re.compile(r"^\s*([^\s=]+)(?:\s*=\s*|\s+|$)(.*)$")


def split_line(line: str) -> tuple[str, list[str], str] | None:
    """(keyword in lower case, argv of the rest, the rest verbatim) or None for no content."""
    stripped = line.strip(" \t\f\r\n")
    if not stripped or stripped.startswith("#"):
        return None
    m = _KEYWORD.match(stripped)
    if m is None:
        return None
    return m.group(1).lower(), tokenize(m.group(2)), m.group(2)


class _Loader:
    """Collects directives across Include files, tracking the Match block of each line."""

    def __init__(self, reader: RootReader) -> None:
        self.reader = reader
        self.directives: list[Directive] = []
        self.blocks: list[MatchBlock] = []
        self.files: list[str] = []
        self.problems: list[str] = []
        self.texts: dict[str, str | None] = {}  # each file read once, however often included
        self.loads = 0

    def load(self, path: str, block: int | None, depth: int) -> None:
        """Parse ``path`` (recursion depth is bounded by ``MAX_DEPTH``); FactError when the
        Include graph is deeper than sshd allows or fans out past our caps."""
        if depth > MAX_DEPTH:
            raise FactError(path, f"Include nested deeper than {MAX_DEPTH} levels (sshd "
                            "refuses such a configuration)")
        self.loads += 1
        if self.loads > MAX_INCLUDED_FILES:
            raise FactError(path, f"Include fan-out: more than {MAX_INCLUDED_FILES} files "
                            "included (an Include that includes itself?)")
        if path not in self.texts:
            self.texts[path] = self.reader.text(path)
        text = self.texts[path]
        if text is None:
            self.problems.append(f"{path}: not found")
            return
        if path not in self.files:
            self.files.append(path)
        for number, line in enumerate(text.splitlines(), 1):
            parsed = split_line(line)
            if parsed is not None:
                block = self._line(parsed, f"{path}:{number}", block, depth)
                if len(self.directives) + len(self.blocks) > MAX_DIRECTIVES:
                    raise FactError(path, f"more than {MAX_DIRECTIVES} directives")

    def _line(self, parsed: tuple[str, list[str], str], where: str, block: int | None,
              depth: int) -> int | None:
        keyword, args, raw = parsed
        keyword = ALIASES.get(keyword, keyword)
        if keyword == "match":
            self.blocks.append(MatchBlock(_criteria(args), where))
            return len(self.blocks) - 1
        if keyword == "include":
            for pattern in args:
                for included in self._expand(pattern):
                    self.load(included, block, depth + 1)
            return block
        if block is not None and keyword in KEYWORDS and not KEYWORDS[keyword][2]:
            self.problems.append(f"{where}: {keyword} is not allowed within a Match block")
        self.directives.append(Directive(keyword, tuple(args), where, block, raw))
        return block

    def _expand(self, pattern: str) -> list[str]:
        if not pattern.startswith("/"):
            pattern = f"{SSHDIR}/{pattern}"
        paths = ["/"]
        for part in (p for p in pattern.split("/") if p):
            if any(c in part for c in "*?["):
                paths = [m for d in paths for m in self.reader.glob(d, part)]
            else:
                paths = [f"{d.rstrip('/')}/{part}" for d in paths]
        return sorted(paths) if any(c in pattern for c in "*?[") else paths


def _criteria(args: list[str]) -> tuple[tuple[str, str], ...]:
    out: list[tuple[str, str]] = []
    i = 0
    while i < len(args):
        name = args[i].lower()
        if name == "all":
            out.append(("all", ""))
            i += 1
            continue
        out.append((name, args[i + 1] if i + 1 < len(args) else ""))
        i += 2
    return tuple(out)


def load_sshd_config(reader: RootReader, path: str = f"{SSHDIR}/sshd_config") -> SshdConfig | None:
    """The parsed configuration, or None when ``path`` does not exist under the root."""
    if reader.resolve(path) is None:
        return None
    loader = _Loader(reader)
    loader.load(path, None, 0)
    return SshdConfig(path, tuple(loader.directives), tuple(loader.blocks), tuple(loader.files),
                      tuple(loader.problems))
