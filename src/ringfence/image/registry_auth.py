"""Registry credentials and the answer to a ``WWW-Authenticate`` challenge.

Credentials come from the same files skopeo and podman read (containers-auth.json(5)), first
hit wins: the ``--authfile`` path, else ``$REGISTRY_AUTH_FILE``; then
``$XDG_RUNTIME_DIR/containers/auth.json``, ``$XDG_CONFIG_HOME/containers/auth.json``
(default ``~/.config``), ``$DOCKER_CONFIG/config.json`` (default ``~/.docker``). Only
base64 ``auth`` entries are used: ``credHelpers``/``credsStore`` (external programs) and
``identitytoken`` (OAuth refresh tokens) are out of scope.
"""

from __future__ import annotations

import base64
import binascii
import json
import os
import re
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path

import httpx

from ringfence.errors import InputError, RegistryError, UsageError

AUTH_FILE_ENV = "REGISTRY_AUTH_FILE"
MAX_AUTH_FILE_BYTES = 4 << 20
MAX_TOKEN_BYTES = 1 << 20
_DOCKER_HUB_ALIASES = ("index.docker.io", "registry-1.docker.io")
_PARAM = re.compile(r'([\w-]+)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^\s,"]+))')
NO_CREDENTIALS_HINT = ("log in with `skopeo login` / `podman login` or pass --authfile; "
                       "credHelpers and credsStore entries are not supported")

Send = Callable[[httpx.Request], httpx.Response]


@dataclass(frozen=True, slots=True)
class Credentials:
    username: str
    password: str
    source: str  # the auth file and key they came from

    def basic(self) -> str:
        raw = f"{self.username}:{self.password}".encode()
        return "Basic " + base64.b64encode(raw).decode("ascii")


@dataclass(frozen=True, slots=True)
class Challenge:
    scheme: str  # lower case: "bearer" or "basic"
    params: tuple[tuple[str, str], ...]

    def get(self, key: str) -> str | None:
        return next((v for k, v in self.params if k == key), None)


def normalize_registry(host: str) -> str:
    return "docker.io" if host in _DOCKER_HUB_ALIASES else host


def auth_file_paths(auth_file: str | None, env: Mapping[str, str], home: Path) -> list[Path]:
    paths = []
    explicit = auth_file or env.get(AUTH_FILE_ENV)
    if explicit:
        paths.append(Path(explicit))
    if env.get("XDG_RUNTIME_DIR"):
        paths.append(Path(env["XDG_RUNTIME_DIR"]) / "containers" / "auth.json")
    paths.append(Path(env.get("XDG_CONFIG_HOME") or home / ".config") / "containers" / "auth.json")
    paths.append(Path(env.get("DOCKER_CONFIG") or home / ".docker") / "config.json")
    return paths


def find_credentials(registry: str, repository: str, auth_file: str | None,
                     env: Mapping[str, str] | None = None,
                     home: Path | None = None) -> Credentials | None:
    """The first matching ``auths`` entry of the first auth file that has one."""
    if auth_file and not Path(auth_file).is_file():
        raise UsageError(auth_file, "credential file is not accessible")
    for path in auth_file_paths(auth_file, os.environ if env is None else env,
                                Path.home() if home is None else home):
        auths = _load_auths(path)
        creds = _lookup(auths, normalize_registry(registry), repository, str(path))
        if creds is not None:
            return creds
    return None


def _load_auths(path: Path) -> dict[str, object]:
    try:
        with open(path, "rb") as f:
            data = f.read(MAX_AUTH_FILE_BYTES + 1)
    except FileNotFoundError:
        return {}
    except OSError as exc:
        raise InputError(str(path), "cannot read auth file") from exc
    if len(data) > MAX_AUTH_FILE_BYTES:
        raise InputError(str(path), f"auth file larger than {MAX_AUTH_FILE_BYTES} bytes")
    try:
        doc = json.loads(data) if data.strip() else {}
    except (ValueError, UnicodeDecodeError) as exc:
        raise InputError(str(path), f"malformed auth file: {exc}") from exc
    auths = doc.get("auths") if isinstance(doc, dict) else None
    return auths if isinstance(auths, dict) else {}


def _lookup(auths: dict[str, object], registry: str, repository: str,
            source: str) -> Credentials | None:
    """Exact keys, most specific first (``host/ns/repo``, ``host/ns``, ``host``), then
    keys written as URLs (``https://index.docker.io/v1/``) normalised to their host."""
    parts = repository.split("/")
    keys = [f"{registry}/{'/'.join(parts[:n])}" for n in range(len(parts), 0, -1)]
    for key in [*keys, registry]:
        if key in auths:
            return _decode(auths[key], f"{source} [{key}]")
    for key, entry in auths.items():
        if _normalize_key(key) == registry:
            return _decode(entry, f"{source} [{key}]")
    return None


def _normalize_key(key: str) -> str:
    stripped = key.removeprefix("http://").removeprefix("https://")
    if stripped != key:
        stripped = stripped.partition("/")[0]
    return normalize_registry(stripped)


def _decode(entry: object, source: str) -> Credentials | None:
    auth = entry.get("auth") if isinstance(entry, dict) else None
    if not auth:
        return None  # e.g. an identitytoken-only entry: out of scope
    try:
        user, sep, password = base64.b64decode(str(auth), validate=True).decode().partition(":")
    except (binascii.Error, UnicodeDecodeError) as exc:
        raise InputError(source, "auth entry is not base64 of USER:PASSWORD") from exc
    if not sep or not user:
        raise InputError(source, "auth entry is not base64 of USER:PASSWORD")
    return Credentials(user, password, source)


def parse_challenges(headers: list[str]) -> list[Challenge]:
    """``Bearer realm="…",service="…",scope="…"`` / ``Basic realm="…"``, one per header."""
    out = []
    for header in headers:
        scheme, _, rest = header.strip().partition(" ")
        params = tuple((k.lower(), re.sub(r"\\(.)", r"\1", q) if q or not t else t)
                       for k, q, t in _PARAM.findall(rest))
        if scheme:
            out.append(Challenge(scheme.lower(), params))
    return out


class Authenticator:
    """Answers 401s for one repository and remembers the Authorization header that worked."""

    def __init__(self, registry: str, repository: str, auth_file: str | None,
                 insecure: bool) -> None:
        self.registry = registry
        self.repository = repository
        self.insecure = insecure
        self.credentials = find_credentials(registry, repository, auth_file)
        self._header: str | None = None
        self._lock = threading.Lock()

    def header(self) -> str | None:
        return self._header

    def answer(self, response: httpx.Response, send: Send, used: str | None) -> str:
        """A new Authorization value for the challenge in ``response`` (a 401)."""
        with self._lock:
            if self._header is not None and self._header != used:
                return self._header  # another thread already answered
            challenges = parse_challenges(response.headers.get_list("www-authenticate"))
            bearer = next((c for c in challenges if c.scheme == "bearer"), None)
            if bearer is not None:
                self._header = "Bearer " + self._token(bearer, send)
            elif any(c.scheme == "basic" for c in challenges):
                self._header = self._basic(str(response.url))
            else:
                raise RegistryError(self.registry, "401 without a Basic or Bearer challenge "
                                    f"({challenges[0].scheme if challenges else 'none'})")
            return self._header

    def _basic(self, url: str) -> str:
        if self.credentials is None:
            raise RegistryError(self.registry, "registry requires a login",
                                hint=NO_CREDENTIALS_HINT)
        self._refuse_plain_http(url)
        return self.credentials.basic()

    def _refuse_plain_http(self, url: str) -> None:
        if url.startswith("http://") and not self.insecure:
            raise RegistryError(url, "refusing to send credentials over plain HTTP",
                                hint="pass --insecure-registry if this is intended")

    def _token(self, challenge: Challenge, send: Send) -> str:
        realm = challenge.get("realm")
        if not realm:
            raise RegistryError(self.registry, "Bearer challenge without a realm")
        params = {"scope": challenge.get("scope") or f"repository:{self.repository}:pull"}
        service = challenge.get("service")
        if service:
            params["service"] = service
        headers = {}
        if self.credentials is not None:
            self._refuse_plain_http(realm)
            headers["Authorization"] = self.credentials.basic()
        request = httpx.Request("GET", realm, params=params, headers=headers)
        return _parse_token(send(request), realm)


def _parse_token(response: httpx.Response, realm: str) -> str:
    try:
        if response.status_code != 200:
            raise RegistryError(realm, f"token request refused: HTTP {response.status_code}",
                                hint=NO_CREDENTIALS_HINT)
        body = b""
        for chunk in response.iter_bytes():
            body += chunk
            if len(body) > MAX_TOKEN_BYTES:
                raise RegistryError(realm, f"token response larger than {MAX_TOKEN_BYTES} bytes")
    finally:
        response.close()
    try:
        doc = json.loads(body)
    except (ValueError, UnicodeDecodeError) as exc:
        raise RegistryError(realm, "token response is not JSON") from exc
    token = (doc.get("token") or doc.get("access_token")) if isinstance(doc, dict) else None
    if not isinstance(token, str) or not token:
        raise RegistryError(realm, "token response has neither 'token' nor 'access_token'")
    return token
