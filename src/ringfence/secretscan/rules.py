"""The secret rules (IMG-1NN): metadata, prefilter keywords, a pattern and its validators.

Each pattern captures the secret itself in the group named ``secret``; the scanner redacts
that group in every output. ``keywords`` are lowercase byte strings, and every match of a
rule's pattern starts at an occurrence of one of them (ignoring case; what must come before
is a look-behind): the scanner finds all occurrences in one search and runs the pattern
only there (``tests/unit/secretscan/test_prefilter.py`` checks this on every generated
example). ``min_entropy`` is the Shannon entropy (bits per character) the secret must
reach; ``context`` a byte string the whole content must contain as well.

Every pattern is linear-time on hostile input (an attacker writes the files we scan): each
starts at a literal or a keyword (often behind a look-behind boundary), every repetition
is bounded (``{0,N}``, never ``*`` or ``+``), and no two adjacent repetitions can match the
same character, so a failed attempt is given up after at most one pass over its span.
``tests/unit/secretscan/test_hostile.py`` runs every rule on 1 MiB hostile inputs.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Final

from ringfence.model.finding import Rule, Severity

_THEFT: Final = ("credential-theft", "lateral-movement")
_REFS: Final = ("CIS Docker 4.10", "T1552.001", "T1552.007")
_REMOVE: Final = ("Remove the credential from every layer (rebuild without it: deleting it in a "
                  "later layer leaves it retrievable), revoke and rotate it, and pass secrets "
                  "at run time (build secrets, mounted files, a secret store).")


@dataclass(frozen=True, slots=True)
class SecretRule:
    rule: Rule
    keywords: tuple[bytes, ...]
    pattern: re.Pattern[bytes]
    min_entropy: float = 0.0
    context: bytes | None = None
    validate: Callable[[bytes], bool] | None = None


def _rule(num: int, title: str, severity: Severity, remediation: str = _REMOVE) -> Rule:
    return Rule(f"IMG-{num}", title, severity, "image", remediation, _THEFT, _REFS)


def _jwt_header(secret: bytes) -> bool:
    head = secret.split(b".", 1)[0]
    try:
        doc = json.loads(base64.urlsafe_b64decode(head + b"=" * (-len(head) % 4)))
    except (binascii.Error, ValueError):
        return False
    return isinstance(doc, dict) and "alg" in doc


_CODE = re.compile(rb"[A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)*")


def _mixed(secret: bytes) -> bool:
    """A generic value needs letters and digits and must not read as code (an identifier or
    attribute access such as ``settings.SECRET_KEY``): words and names are not secrets."""
    has_digit = any(48 <= c <= 57 for c in secret)
    has_letter = any(65 <= c <= 90 or 97 <= c <= 122 for c in secret)
    code = _CODE.fullmatch(secret) is not None and (b"_" in secret or b"." in secret)
    return has_digit and has_letter and not code and not _placeholder(secret)


PLACEHOLDERS: Final = (b"example", b"xxxx", b"changeme", b"change_me", b"placeholder",
                       b"your_", b"your-", b"dummy", b"redacted", b"sample", b"****", b"${",
                       b"{{", b"%(", b"<")


def _placeholder(secret: bytes) -> bool:
    low = secret.lower()
    return any(p in low for p in PLACEHOLDERS)


def _not_placeholder(secret: bytes) -> bool:
    return not _placeholder(secret)


# Bounds (a real secret is far below each; a longer run simply does not match):
_WS: Final = rb"[ \t]{0,32}"       # blanks around "=" or ":"
PEM_BODY_MAX: Final = 65536            # base64 of the largest private keys is ~13 KiB
JWT_PART_MAX: Final = 8192             # one dot-separated part of a JWT

# RFC 7468 / RFC 4880 armour: up to 16 header lines (Proc-Type, DEK-Info, Version…), blank
# lines, then a body that starts with a base64 character.  The blank-line run and the body
# share no first character, and the body cannot contain "-", so each BEGIN line is tried
# once and given up after one pass (the old "\s*" before a body that also allowed newlines
# was quadratic: 1 MiB of newlines after a BEGIN line never finished).
_PEM = (rb"-----BEGIN (?P<kind>(?:RSA |EC |DSA |OPENSSH |ENCRYPTED |PGP )?PRIVATE KEY"
        rb"(?: BLOCK)?)-----\r?\n(?:[A-Za-z-]{1,64}: [^\r\n]{0,1024}\r?\n){0,16}\s{0,256}"
        rb"(?P<secret>[A-Za-z0-9+/=][A-Za-z0-9+/=\r\n]{63,%d})-----END (?P=kind)-----"
        % (PEM_BODY_MAX - 1))
_GENERIC = (rb"(?i)(?:passw(?:or)?d|secret|token|api_?key|access_?key)"
            rb"[a-z0-9_.-]{0,20}[\"']?" + _WS + rb"[:=]" + _WS + rb"[\"']?"
            rb"(?P<secret>[A-Za-z0-9+/=_.~!@#$%^&*-]{12,128})(?=[\"'`\s;,]|$)")
_JWT = (rb"(?<![A-Za-z0-9_-])(?P<secret>eyJ[A-Za-z0-9_-]{10,%d}\.eyJ[A-Za-z0-9_-]{10,%d}\."
        rb"[A-Za-z0-9_-]{16,%d})(?![A-Za-z0-9_.-])" % (JWT_PART_MAX, JWT_PART_MAX, JWT_PART_MAX))

SECRET_RULES: Final[tuple[SecretRule, ...]] = (
    SecretRule(_rule(101, "AWS access key id", Severity.HIGH),
               (b"akia", b"asia", b"abia", b"acca"),
               re.compile(rb"(?<![A-Za-z0-9])(?P<secret>(?:AKIA|ASIA|ABIA|ACCA)[A-Z2-7]{16})"
                          rb"(?![A-Za-z0-9])"),
               min_entropy=3.0, validate=_not_placeholder),
    SecretRule(_rule(102, "AWS secret access key", Severity.CRITICAL),
               (b"aws",),
               re.compile(rb"(?i)aws_?(?:secret_?)?(?:access_?)?key[\"']?" + _WS + rb"[:=]" + _WS
                          + rb"[\"']?(?P<secret>[A-Za-z0-9/+]{40})(?![A-Za-z0-9/+=])"),
               min_entropy=4.0, validate=_not_placeholder),
    SecretRule(_rule(103, "GCP service-account key (JSON)", Severity.CRITICAL),
               (b"private_key_id",),
               re.compile(rb"(?<=\")private_key_id\"\s{0,32}:\s{0,32}"
                          rb"\"(?P<secret>[0-9a-f]{40})\""),
               min_entropy=3.0, context=b"\"service_account\""),
    SecretRule(_rule(104, "GitHub token", Severity.CRITICAL),
               (b"ghp_", b"gho_", b"ghu_", b"ghs_", b"ghr_", b"github_pat_"),
               re.compile(rb"(?<![A-Za-z0-9_])(?P<secret>(?:gh[pousr]_[A-Za-z0-9]{36}|"
                          rb"github_pat_[A-Za-z0-9]{22}_[A-Za-z0-9]{59}))(?![A-Za-z0-9_])"),
               min_entropy=3.5, validate=_not_placeholder),
    SecretRule(_rule(105, "GitLab personal access token", Severity.CRITICAL),
               (b"glpat-",),
               re.compile(rb"(?<![A-Za-z0-9_-])(?P<secret>glpat-[A-Za-z0-9_-]{20})"
                          rb"(?![A-Za-z0-9_-])"),
               min_entropy=3.0, validate=_not_placeholder),
    SecretRule(_rule(106, "Slack token", Severity.HIGH),
               (b"xoxb-", b"xoxa-", b"xoxp-", b"xoxo-", b"xoxr-", b"xoxs-"),
               re.compile(rb"(?<![A-Za-z0-9-])(?P<secret>xox[abposr]-[0-9]{10,13}-"
                          rb"[0-9A-Za-z-]{10,72})(?![A-Za-z0-9-])"),
               min_entropy=3.0, validate=_not_placeholder),
    SecretRule(_rule(107, "Slack incoming webhook URL", Severity.MEDIUM),
               (b"hooks.slack.com",),
               re.compile(rb"(?<=https://)hooks\.slack\.com/services/"
                          rb"(?P<secret>T[A-Z0-9]{8,12}/B[A-Z0-9]{8,12}/[A-Za-z0-9]{24})"
                          rb"(?![A-Za-z0-9])"),
               min_entropy=3.0, validate=_not_placeholder),
    SecretRule(_rule(108, "Private key", Severity.HIGH),
               (b"-----begin ",), re.compile(_PEM), min_entropy=4.5),
    SecretRule(_rule(109, "JSON Web Token", Severity.MEDIUM),
               (b"eyj",),
               re.compile(_JWT), min_entropy=3.5, validate=_jwt_header),
    SecretRule(_rule(110, "Password, token or secret assignment", Severity.MEDIUM),
               (b"passw", b"secret", b"token", b"api_key", b"apikey", b"access_key",
                b"accesskey"),
               re.compile(_GENERIC), min_entropy=3.5, validate=_mixed),
)

RULES_BY_ID: Final[dict[str, SecretRule]] = {r.rule.id: r for r in SECRET_RULES}
