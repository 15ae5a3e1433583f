"""sshd ``Match`` evaluation: OpenSSH pattern lists (``*``, ``?``, ``!``) and CIDR lists."""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class MatchContext:
    """A connection, as ``sshd -T -C user=,host=,addr=,laddr=,lport=,rdomain=`` takes it."""

    user: str
    host: str
    addr: str
    laddr: str | None = None
    lport: int | None = None
    rdomain: str | None = None
    groups: tuple[str, ...] = ()  # the user's groups (sshd asks getgrouplist)


def _pattern(pattern: str, *, fold: bool) -> re.Pattern[str]:
    body = "".join(".*" if c == "*" else "." if c == "?" else re.escape(c) for c in pattern)
    return re.compile(body + r"\Z", re.IGNORECASE if fold else 0)


def pattern_state(value: str, patterns: str, *, fold: bool = False) -> int:
    """``match_pattern_list``: -1 a negated hit, 1 a positive hit, 0 no hit."""
    matched = 0
    for raw in patterns.split(","):
        negated = raw.startswith("!")
        pat = raw[1:] if negated else raw
        if _pattern(pat, fold=fold).match(value.lower() if fold else value):
            if negated:
                return -1
            matched = 1
    return matched


def pattern_list(value: str, patterns: str, *, fold: bool = False) -> bool:
    return pattern_state(value, patterns, fold=fold) == 1


def group_list(groups: tuple[str, ...], patterns: str) -> bool:
    """``ga_match_pattern_list``: a negated hit on any group refuses."""
    states = [pattern_state(g, patterns) for g in groups]
    return -1 not in states and 1 in states


def address_list(addr: str, patterns: str) -> bool:
    """``addr_match_list``: CIDR networks and wildcard patterns, ``!`` refuses."""
    try:
        ip = ipaddress.ip_address(addr)
    except ValueError:
        return False
    matched = False
    for raw in patterns.split(","):
        negated = raw.startswith("!")
        pat = raw[1:] if negated else raw
        if "/" in pat:
            try:
                hit = ip in ipaddress.ip_network(pat, strict=False)
            except ValueError:
                return False
        else:
            hit = bool(_pattern(pat, fold=True).match(addr))
        if hit:
            if negated:
                return False
            matched = True
    return matched


def criteria_match(criteria: tuple[tuple[str, str], ...], ctx: MatchContext) -> bool:
    """All criteria of one Match line hold for ``ctx`` (``all`` always does)."""
    return all(_one(name, value, ctx) for name, value in criteria)


def _one(name: str, value: str, ctx: MatchContext) -> bool:
    if name == "all":
        return True
    if name == "user":
        return pattern_list(ctx.user, value)
    if name == "group":
        return group_list(ctx.groups, value)
    if name == "host":
        return pattern_list(ctx.host, value, fold=True)
    if name == "address":
        return address_list(ctx.addr, value)
    if name == "localaddress":
        return ctx.laddr is not None and address_list(ctx.laddr, value)
    if name == "localport":
        return ctx.lport is not None and value.isdigit() and int(value) == ctx.lport
    if name == "rdomain":
        return ctx.rdomain is not None and pattern_list(ctx.rdomain, value)
    return False
