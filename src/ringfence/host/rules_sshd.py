"""HOST rules over the effective sshd configuration: the settings every connection gets,
and what each Match block changes for the connections it matches (Lynis SSH-7408)."""

from __future__ import annotations

from collections.abc import Callable, Iterator

from ringfence.checks.rule import Check, Violation
from ringfence.host.model import HostFacts
from ringfence.model.finding import Rule, Severity

Settings = dict[str, str]
# (block's own settings, effective) -> (issue, condition) pairs
Test = Callable[[Settings, Settings], list[tuple[str, str]]]
SCOPES = ("global", "match")  # conditions of a rule over one keyword: where it is set


def _scopes(f: HostFacts) -> Iterator[tuple[str, Settings, Settings]]:
    """(where, keywords set there, effective settings there): global, then each Match."""
    conf = f.sshd
    assert conf is not None
    base = conf.settings()
    yield conf.path, base, base
    for i, block in enumerate(conf.blocks):
        own = conf.block_settings(i)
        yield f"{block.source} ({block.describe()})", own, {**base, **own}


def _sshd_check(test: Test, by_scope: bool) -> Callable[[HostFacts], Iterator[Violation]]:
    """``by_scope``: the condition is where the keyword is set (global or a Match block)."""
    def check(f: HostFacts) -> Iterator[Violation]:
        for where, own, effective in _scopes(f):
            scope = SCOPES[0] if own is effective else SCOPES[1]
            for issue, condition in test(own, effective):
                yield Violation(issue, where, scope if by_scope else condition)

    return check


def _changed(own: Settings, eff: Settings, key: str, bad: Callable[[str], bool]) -> bool:
    """True when ``key`` is bad here and this scope is where it is set (or global)."""
    return bad(eff[key]) and (key in own or own is eff)


def _root_login(own: Settings, eff: Settings) -> list[tuple[str, str]]:
    if _changed(own, eff, "permitrootlogin", lambda v: v == "yes"):
        return [("PermitRootLogin yes: root may log in with a password", "")]
    return []


PASSWORDS = {"passwordauthentication": "password",
             "kbdinteractiveauthentication": "kbd-interactive"}


def _passwords(own: Settings, eff: Settings) -> list[tuple[str, str]]:
    return [(f"{k} {eff[k]}: passwords can be guessed", condition)
            for k, condition in PASSWORDS.items() if _changed(own, eff, k, lambda v: v == "yes")]


def _empty(own: Settings, eff: Settings) -> list[tuple[str, str]]:
    if _changed(own, eff, "permitemptypasswords", lambda v: v == "yes"):
        return [("PermitEmptyPasswords yes: accounts without a password can log in", "")]
    return []


# keyword -> (its unsafe values, the rule's condition)
FORWARDING = {"x11forwarding": (("yes",), "x11"),
              "allowtcpforwarding": (("yes", "local", "remote"), "tcp"),
              "allowagentforwarding": (("yes",), "agent"),
              "allowstreamlocalforwarding": (("yes", "local", "remote"), "streamlocal")}


def _forwarding(own: Settings, eff: Settings) -> list[tuple[str, str]]:
    if eff["disableforwarding"] == "yes":
        return []
    return [(f"{k} {eff[k]}", condition) for k, (bad, condition) in FORWARDING.items()
            if _changed(own, eff, k, bad.__contains__)]


def _rule(rid: str, title: str, sev: Severity, fix: str, threats: tuple[str, ...],
          refs: tuple[str, ...], test: Test,
          conditions: tuple[str, ...] = SCOPES) -> Check[HostFacts]:
    """A rule over one keyword has the conditions SCOPES; over several, one per keyword."""
    return Check(Rule(rid, title, sev, "host", fix, threats, ("Lynis SSH-7408", *refs)),
                 _sshd_check(test, conditions == SCOPES), lambda f: f.sshd is not None,
                 conditions)


SSHD_CHECKS: tuple[Check[HostFacts], ...] = (
    _rule("HOST-020", "sshd refuses password logins as root", Severity.HIGH,
          "Set PermitRootLogin no (or prohibit-password) globally and in every Match block.",
          ("interactive-access", "credential-theft"), ("CIS Docker 1.2.1", "T1021.004"),
          _root_login),
    _rule("HOST-021", "sshd accepts keys, not passwords", Severity.MEDIUM,
          "Set PasswordAuthentication no and KbdInteractiveAuthentication no.",
          ("interactive-access", "credential-theft"), ("T1110", "T1021.004"), _passwords,
          tuple(PASSWORDS.values())),
    _rule("HOST-022", "sshd refuses empty passwords", Severity.HIGH,
          "Set PermitEmptyPasswords no.", ("interactive-access",), ("T1078",), _empty),
    _rule("HOST-023", "sshd forwards no X11, TCP, agent or socket traffic", Severity.LOW,
          "Set DisableForwarding yes, or X11Forwarding/AllowTcpForwarding/"
          "AllowAgentForwarding/AllowStreamLocalForwarding no where not needed.",
          ("lateral-movement",), ("T1572",), _forwarding,
          tuple(c for _, c in FORWARDING.values())),
)
