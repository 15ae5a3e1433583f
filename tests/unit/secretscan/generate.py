"""Real-format credentials assembled at run time from a seeded RNG (never committed).

Each generator returns the text a secret would appear in (a config line, a JSON file, a
PEM key made with ``cryptography``); ``NEAR_MISSES`` are texts that look close but must not
be reported (wrong length or charset, placeholders, low entropy, broken structure).
"""

from __future__ import annotations

import base64
import json
import random
import string
from collections.abc import Callable

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import dsa, ec, ed25519, rsa

UPPER_B32 = string.ascii_uppercase + "234567"
ALNUM = string.ascii_letters + string.digits


def _rng(seed: int) -> random.Random:
    return random.Random(seed)  # noqa: S311 - reproducible test data, not keys


def chars(alphabet: str, n: int, seed: int = 1) -> str:
    r = _rng(seed)
    return "".join(r.choice(alphabet) for _ in range(n))


def aws_key_id(seed: int = 1) -> str:
    return "AK" + "IA" + chars(UPPER_B32, 16, seed)


def aws_secret(seed: int = 2) -> str:
    return chars(ALNUM + "/+", 40, seed)


def github(prefix: str = "ghp", seed: int = 3) -> str:
    return f"{prefix}_" + chars(ALNUM, 36, seed)


def github_pat(seed: int = 4) -> str:
    return "github" + "_pat_" + chars(ALNUM, 22, seed) + "_" + chars(ALNUM, 59, seed + 1)


def gitlab(seed: int = 5) -> str:
    return "glp" + "at-" + chars(ALNUM + "_-", 20, seed)


def slack_token(kind: str = "b", seed: int = 6) -> str:
    return (f"xox{kind}-" + chars(string.digits, 12, seed) + "-"
            + chars(string.digits, 13, seed + 1) + "-" + chars(ALNUM, 24, seed + 2))


def slack_webhook(seed: int = 7) -> str:
    return ("https://hooks.slack.com/services/T" + chars(UPPER_B32, 8, seed) + "/B"
            + chars(UPPER_B32, 10, seed + 1) + "/" + chars(ALNUM, 24, seed + 2))


def _b64url(doc: dict[str, object]) -> str:
    return base64.urlsafe_b64encode(json.dumps(doc).encode()).decode().rstrip("=")


def jwt(seed: int = 8) -> str:
    sig = chars(ALNUM + "-_", 43, seed)
    return (_b64url({"alg": "HS256", "typ": "JWT"}) + "."
            + _b64url({"sub": chars(string.digits, 10, seed), "name": "svc", "iat": 1700000000})
            + "." + sig)


def gcp_service_account(seed: int = 9) -> str:
    key = private_key_pem("pkcs8")
    return json.dumps({
        "type": "service_account", "project_id": "demo-project",
        "private_key_id": chars("0123456789abcdef", 40, seed), "private_key": key,
        "client_email": "svc@demo-project.iam.gserviceaccount.com",
        "client_id": chars(string.digits, 21, seed),
        "token_uri": "https://oauth2.googleapis.com/token"}, indent=2)


def private_key_pem(kind: str) -> str:
    """A fresh key in one of the PEM/OpenSSH framings: rsa, ec, dsa, openssh, pkcs8,
    pkcs8-encrypted, rsa-encrypted (legacy Proc-Type headers)."""
    fmt = serialization.PrivateFormat
    enc: serialization.KeySerializationEncryption = serialization.NoEncryption()
    key: rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey | dsa.DSAPrivateKey | \
        ed25519.Ed25519PrivateKey = ec.generate_private_key(ec.SECP256R1())
    form = fmt.TraditionalOpenSSL
    if kind in ("rsa", "rsa-encrypted"):
        key = rsa.generate_private_key(public_exponent=65537, key_size=1024)  # noqa: S505 - fast; never used
    elif kind == "dsa":
        key = dsa.generate_private_key(key_size=1024)  # noqa: S505 - fast; never used
    elif kind == "openssh":
        key, form = ed25519.Ed25519PrivateKey.generate(), fmt.OpenSSH
    elif kind.startswith("pkcs8"):
        form = fmt.PKCS8
    if kind.endswith("-encrypted"):
        enc = serialization.BestAvailableEncryption(b"correct horse battery")
    return key.private_bytes(serialization.Encoding.PEM, form, enc).decode()


def pgp_private_key(seed: int = 10) -> str:
    """ASCII-armored OpenPGP secret key framing around random packet bytes."""
    body = base64.encodebytes(_rng(seed).randbytes(300)).decode()
    return ("-----BEGIN PGP PRIVATE KEY BLOCK-----\n\n" + body + "=" + chars(ALNUM, 4, seed)
            + "\n-----END PGP PRIVATE KEY BLOCK-----\n")


# rule id -> texts that must fire it (one finding each)
POSITIVES: dict[str, list[Callable[[], str]]] = {
    "IMG-101": [lambda: f"AWS_ACCESS_KEY_ID={aws_key_id()}\n",
                lambda: f'{{"key": "{"AS" + "IA" + chars(UPPER_B32, 16, 11)}"}}'],
    "IMG-102": [lambda: f"aws_secret_access_key = {aws_secret()}\n",
                lambda: f'AWS_SECRET_KEY: "{aws_secret(12)}"\n'],
    "IMG-103": [gcp_service_account],
    "IMG-104": [lambda: f"export GH={github()}\n", lambda: github("gho", 13),
                lambda: github("ghu", 14), lambda: github("ghs", 15), lambda: github("ghr", 16),
                github_pat],
    "IMG-105": [lambda: f"url = https://oauth2:{gitlab()}@gitlab.com/a/b.git\n"],
    "IMG-106": [lambda: f"SLACK={slack_token()}\n", lambda: slack_token("p", 17)],
    "IMG-107": [slack_webhook],
    "IMG-108": [lambda: private_key_pem("rsa"), lambda: private_key_pem("ec"),
                lambda: private_key_pem("dsa"), lambda: private_key_pem("openssh"),
                lambda: private_key_pem("pkcs8"), lambda: private_key_pem("pkcs8-encrypted"),
                lambda: private_key_pem("rsa-encrypted"), pgp_private_key],
    "IMG-109": [lambda: f"Authorization: Bearer {jwt()}\n"],
    "IMG-110": [lambda: f"DB_PASSWORD={chars(ALNUM + '!#%', 20, 18)}\n",
                lambda: f'"api_key": "{chars(ALNUM, 32, 19)}"',
                lambda: f"client_secret: {chars(ALNUM, 24, 20)}\n"],
}

# (what, the rule it imitates, text): that rule must stay quiet
NEAR_MISSES: list[tuple[str, str, str]] = [
    ("aws id too short", "IMG-101", "AWS_ACCESS_KEY_ID=AKIA" + chars(UPPER_B32, 15) + "\n"),
    ("aws id lowercase", "IMG-101", "id=akia" + chars(string.ascii_lowercase, 16) + "\n"),
    ("aws id charset", "IMG-101", "id=AKIA" + chars("0189", 16) + "\n"),
    ("aws doc example", "IMG-101", "AWS_ACCESS_KEY_ID=AKIAIOSFODNN7EXAMPLE\n"),
    ("aws secret 39", "IMG-102", "aws_secret_access_key=" + chars(ALNUM, 39) + "\n"),
    ("aws secret low entropy", "IMG-102", "aws_secret_access_key=" + "ab" * 20 + "\n"),
    ("aws secret example", "IMG-102",
     "aws_secret_access_key=wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY\n"),
    ("gcp without service_account", "IMG-103",
     '{"private_key_id": "' + chars("0123456789abcdef", 40) + '"}'),
    ("github 35", "IMG-104", "ghp_" + chars(ALNUM, 35)),
    ("github wrong prefix", "IMG-104", "ghx_" + chars(ALNUM, 36)),
    ("github placeholder", "IMG-104", "ghp_" + "x" * 36),
    ("gitlab 19", "IMG-105", "glpat-" + chars(ALNUM, 19)),
    ("gitlab placeholder", "IMG-105", "glpat-xxxxxxxxxxxxxxxxxxxx"),
    ("slack no digits", "IMG-106", "xoxb-abcdefghijkl-" + chars(ALNUM, 24)),
    ("slack webhook short", "IMG-107",
     "https://hooks.slack.com/services/T0000/B0000/" + chars(ALNUM, 24)),
    ("pem header only", "IMG-108", 'if line == "-----BEGIN RSA PRIVATE KEY-----": parse()\n'),
    ("pem public key", "IMG-108",
     "-----BEGIN PUBLIC KEY-----\n" + "A" * 64 + "\n-----END PUBLIC KEY-----"),
    ("pem placeholder body", "IMG-108", "-----BEGIN RSA PRIVATE KEY-----\n" + "x" * 80
     + "\n-----END RSA PRIVATE KEY-----\n"),
    ("jwt not json", "IMG-109",
     "eyJ" + chars(ALNUM, 20) + ".eyJ" + chars(ALNUM, 20) + "." + chars(ALNUM, 30)),
    ("generic low entropy", "IMG-110", "password=aaaaaaaaaaaaaaaa\n"),
    ("generic placeholder", "IMG-110", "password=CHANGEME_PLEASE_123\n"),
    ("generic template", "IMG-110", "password=${DB_PASSWORD}\n"),
    ("generic identifier", "IMG-110", "token = self.next_token_value\n"),
    ("generic short", "IMG-110", "password=Ab3dEf9\n"),
    ("generic word", "IMG-110", "secret: supersecretvalue\n"),
]
NEAR_MISSES += [
    ("generic attribute", "IMG-110", "password = settings.EMAIL_HOST_PASSWORD2\n"),
    ("generic call", "IMG-110", "password = forms.CharField(label='x')\n"),
]
# one character too long: a pattern that loses its right boundary reports these
NEAR_MISSES += [
    ("aws id too long", "IMG-101", "AWS_ACCESS_KEY_ID=AKIA" + chars(UPPER_B32, 17) + "\n"),
    ("aws secret 41", "IMG-102", "aws_secret_access_key=" + chars(ALNUM, 41, seed=7) + "\n"),
    ("github 37", "IMG-104", "ghp_" + chars(ALNUM, 37, seed=8)),
    ("gitlab 21", "IMG-105", "glpat-" + chars(ALNUM, 21, seed=9)),
]
