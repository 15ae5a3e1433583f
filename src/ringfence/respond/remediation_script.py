"""A remediation plan as the ecosystem's own commands (``ringfence fix -f script``).

Package names and versions come from the scanned image, which may be hostile. Each
command is built only from a name and a version that match the ecosystem's own grammar
(Debian policy 5.6.1/5.6.12, PEP 508 names, npm's package-name rules, …) and is still
quoted with ``shlex.quote``; anything else becomes a comment with the offending text made
printable (``repr``-escaped, so no newline can end a comment and start a command). A
package without a fix is a comment. The script does nothing unless run, and starts with
``set -eu``.
"""

from __future__ import annotations

import re
import shlex
from collections.abc import Callable
from typing import Final

from ringfence.respond.remediation import Plan, Upgrade

_DEB_NAME: Final = re.compile(r"^[a-z0-9][a-z0-9+.-]+$")
_DEB_VERSION: Final = re.compile(r"^(?:[0-9]+:)?[0-9][A-Za-z0-9.+~-]*$")
_APK_NAME: Final = re.compile(r"^[A-Za-z0-9][A-Za-z0-9+._-]*$")
_APK_VERSION: Final = re.compile(r"^[0-9][A-Za-z0-9._]*(?:-r[0-9]+)?$")
_RPM_NAME: Final = re.compile(r"^[A-Za-z0-9_+][A-Za-z0-9._+-]*$")
_RPM_VERSION: Final = re.compile(r"^(?:[0-9]+:)?[A-Za-z0-9._+~^]+-[A-Za-z0-9._+~^]+$")
_PYPI_NAME: Final = re.compile(r"^[A-Za-z0-9](?:[A-Za-z0-9._-]*[A-Za-z0-9])?$")
_NPM_NAME: Final = re.compile(r"^(?:@[a-z0-9][a-z0-9._~-]*/)?[a-z0-9][a-z0-9._~-]*$")
_GO_MODULE: Final = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._~/-]*$")
_MAVEN_NAME: Final = re.compile(r"^[A-Za-z0-9_.-]+:[A-Za-z0-9_.-]+$")
_PLAIN: Final = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._+-]*$")  # gem, crate, nuget, composer
_COMPOSER_NAME: Final = re.compile(r"^[a-z0-9][a-z0-9_.-]*/[a-z0-9][a-z0-9_.-]*$")
_VERSION: Final = re.compile(r"^[A-Za-z0-9][A-Za-z0-9.+_~-]*$")  # language ecosystems


def _name(upgrade: Upgrade) -> str:
    """The name the package manager installs by: the binary package for OS packages, the
    advisory's (registry's) spelling for language packages."""
    return upgrade.name if upgrade.type in ("deb", "apk", "rpm") else upgrade.lookup_name


def _apt(u: Upgrade, name: str, version: str) -> str | None:
    if not (_DEB_NAME.match(name) and _DEB_VERSION.match(version)):
        return None
    if u.matched_version != u.installed:
        # the fix is the source package's version; this binary's own version differs
        # (binNMU, a binary versioned apart): pinning it to the source's would name a
        # version that may not exist
        return (f"apt-get install --only-upgrade {shlex.quote(name)}  # source "
                f"{_safe(u.lookup_name)} fixed in {_safe(version)}")
    return f"apt-get install --only-upgrade {shlex.quote(f'{name}={version}')}"


def _rpm(name: str, version: str) -> str | None:
    if not (_RPM_NAME.match(name) and _RPM_VERSION.match(version)):
        return None
    epoch, _, rest = version.rpartition(":")
    nevra = f"{name}-{epoch}:{rest}" if epoch else f"{name}-{rest}"
    return f"dnf upgrade-minimal {shlex.quote(nevra)}"


def _lang(pattern: re.Pattern[str], build: Callable[[str, str], str]
          ) -> Callable[[Upgrade, str, str], str | None]:
    def command(u: Upgrade, name: str, version: str) -> str | None:
        if not (pattern.match(name) and _VERSION.match(version)):
            return None
        return build(name, version)

    return command


_q = shlex.quote
COMMANDS: Final[dict[str, Callable[[Upgrade, str, str], str | None]]] = {
    "deb": _apt,
    "apk": lambda u, n, v: (f"apk add {_q(f'{n}={v}')}"
                            if _APK_NAME.match(n) and _APK_VERSION.match(v) else None),
    "rpm": lambda u, n, v: _rpm(n, v),
    "pypi": _lang(_PYPI_NAME, lambda n, v: f"pip install {_q(f'{n}=={v}')}"),
    "npm": _lang(_NPM_NAME, lambda n, v: f"npm install {_q(f'{n}@{v}')}"),
    "gem": _lang(_PLAIN, lambda n, v: f"gem install {_q(n)} -v {_q(v)}  "
                 "# or: bundle update --conservative " + _q(n)),
    "cargo": _lang(_PLAIN, lambda n, v: f"cargo update -p {_q(n)} --precise {_q(v)}"),
    "golang": _lang(_GO_MODULE, lambda n, v: "go get " + _q(n + "@v" + v.removeprefix("v"))
                    + " && go mod tidy"),
    "nuget": _lang(_PLAIN, lambda n, v: f"dotnet add package {_q(n)} --version {_q(v)}"),
    "composer": _lang(_COMPOSER_NAME, lambda n, v: f"composer require {_q(f'{n}:{v}')}"),
    "maven": _lang(_MAVEN_NAME, lambda n, v: "# maven: set the version of " + n + " to " + v
                   + " in pom.xml (<dependencyManagement> for a transitive dependency), "
                   "or gradle: a constraint " + _q(f"{n}:{v}")),
}


def _safe(text: str) -> str:
    """``text`` for a comment: printable ASCII only (escapes otherwise), no newline."""
    out = text.encode("unicode_escape").decode("ascii")
    return out if out.isprintable() else repr(out)


def command(upgrade: Upgrade) -> str:
    """One line: the command, or a comment saying why there is none."""
    what = f"{_safe(upgrade.purl)} ({len(upgrade.findings)} finding(s))"
    if upgrade.target is None:
        return f"# no fix: {what}: no version clears {', '.join(map(_safe, upgrade.blocking))}"
    build = COMMANDS.get(upgrade.type)
    if build is None:
        return f"# {what}: upgrade to {_safe(upgrade.target)} (no command for " \
               f"{_safe(upgrade.type)} packages)"
    line = build(upgrade, _name(upgrade), upgrade.target)
    if line is None:
        return f"# skipped {what}: name or version {_safe(_name(upgrade))!s} " \
               f"{_safe(upgrade.target)} is not valid for {_safe(upgrade.type)}; not quoted " \
               "into a command"
    return line if line.startswith("#") else f"{line}  # clears {len(upgrade.findings)}"


def script(plan: Plan, image: str) -> str:
    """The whole plan as a POSIX shell script, in the plan's order."""
    lines = ["#!/bin/sh", f"# ringfence fix: {_safe(image)}: {plan.cleared} of "
             f"{plan.findings} finding(s) cleared by the upgrades below", "set -eu"]
    lines += [command(u) for u in plan.upgrades]
    return "\n".join(lines) + "\n"
