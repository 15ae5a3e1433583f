"""HOST rules over the effective sshd configuration: the settings every connection gets,
and what each Match block changes for the connections it matches (Lynis SSH-7408)."""

from __future__ import annotations

from collections.abc import Callable, Iterator

from ringfence.checks.rule import Check, Violation
from ringfence.host.model import HostFacts
from ringfence.model.finding import Rule, Severity

Settings = dict[str, str]
Test = Callable[[Settings, Settings], list[str]]  # (block's own settings, effective) -> issues


def _scopes(f: HostFacts) -> Iterator[tuple[str, Settings, Settings]]:
    """(where, keywords set there, effective settings there): global, then each Match."""
    conf = f.sshd
    assert conf is not None
    base = conf.settings()
    yield conf.path, base, base
    for i, block in enumerate(conf.blocks):
        own = conf.block_settings(i)
        yield f"{block.source} ({block.describe()})", own, {**base, **own}


def _sshd_check(test: Test) -> Callable[[HostFacts], Iterator[Violation]]:
    def check(f: HostFacts) -> Iterator[Violation]:
        for where, own, effective in _scopes(f):
            for issue in test(own, effective):
                yield Violation(issue, where)

    return check


def _changed(own: Settings, eff: Settings, key: str, bad: Callable[[str], bool]) -> bool:
    """True when ``key`` is bad here and this scope is where it is set (or global)."""
    return bad(eff[key]) and (key in own or own is eff)


def _root_login(own: Settings, eff: Settings) -> list[str]:
    if _changed(own, eff, "permitrootlogin", lambda v: v == "yes"):
        return ["PermitRootLogin yes: root may log in with a password"]
    return []


def _passwords(own: Settings, eff: Settings) -> list[str]:
    return [f"{k} {eff[k]}: passwords can be guessed" for k in
            ("passwordauthentication", "kbdinteractiveauthentication")
            if _changed(own, eff, k, lambda v: v == "yes")]


def _empty(own: Settings, eff: Settings) -> list[str]:
    if _changed(own, eff, "permitemptypasswords", lambda v: v == "yes"):
        return ["PermitEmptyPasswords yes: accounts without a password can log in"]
    return []


FORWARDING = {"x11forwarding": ("yes",), "allowtcpforwarding": ("yes", "local", "remote"),
              "allowagentforwarding": ("yes",),
              "allowstreamlocalforwarding": ("yes", "local", "remote")}


def _forwarding(own: Settings, eff: Settings) -> list[str]:
    if eff["disableforwarding"] == "yes":
        return []
    return [f"{k} {eff[k]}" for k, bad in FORWARDING.items()
            if _changed(own, eff, k, bad.__contains__)]


def _rule(rid: str, title: str, sev: Severity, fix: str, threats: tuple[str, ...],
          refs: tuple[str, ...], test: Test) -> Check[HostFacts]:
    return Check(Rule(rid, title, sev, "host", fix, threats, ("Lynis SSH-7408", *refs)),
                 _sshd_check(test), lambda f: f.sshd is not None)


SSHD_CHECKS: tuple[Check[HostFacts], ...] = (
    _rule("HOST-020", "sshd refuses password logins as root", Severity.HIGH,
          "Set PermitRootLogin no (or prohibit-password) globally and in every Match block.",
          ("interactive-access", "credential-theft"), ("CIS Docker 1.2.1", "T1021.004"),
          _root_login),
    _rule("HOST-021", "sshd accepts keys, not passwords", Severity.MEDIUM,
          "Set PasswordAuthentication no and KbdInteractiveAuthentication no.",
          ("interactive-access", "credential-theft"), ("T1110", "T1021.004"), _passwords),
    _rule("HOST-022", "sshd refuses empty passwords", Severity.HIGH,
          "Set PermitEmptyPasswords no.", ("interactive-access",), ("T1078",), _empty),
    _rule("HOST-023", "sshd forwards no X11, TCP, agent or socket traffic", Severity.LOW,
          "Set DisableForwarding yes, or X11Forwarding/AllowTcpForwarding/"
          "AllowAgentForwarding/AllowStreamLocalForwarding no where not needed.",
          ("lateral-movement",), ("T1572",), _forwarding),
)
