"""Docker references as containers/image (docker/reference) normalises and compares them,
and the ``signedIdentity`` matchers of containers-policy.json(5).

A signature's ``docker-reference`` is parsed with ``ParseNormalizedNamed`` semantics
(``busybox`` -> ``docker.io/library/busybox``); ``exactReference``/``exactRepository``
values likewise; ``remapIdentity`` rewrites with the stricter ``ParseNamed`` (the result
must already be normalised).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from ringfence.errors import InputError

_ALNUM = r"[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?"
DOMAIN = rf"(?:{_ALNUM}(?:\.{_ALNUM})*|\[[a-fA-F0-9:]+\])(?::[0-9]+)?"
_COMPONENT = r"[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*"
_REFERENCE = re.compile(
    rf"^(?P<name>(?:{DOMAIN}/)?{_COMPONENT}(?:/{_COMPONENT})*)"
    r"(?::(?P<tag>[\w][\w.-]{0,127}))?"
    r"(?:@(?P<digest>[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*:[0-9a-fA-F]{32,}))?$")
_HEX64 = re.compile(r"^[a-f0-9]{64}$")
NAME_TOTAL_LENGTH_MAX = 255
DOCKER_HUB = "docker.io"


@dataclass(frozen=True, slots=True)
class DockerReference:
    """A normalised named reference: ``domain/path[:tag][@digest]``."""

    domain: str
    path: str
    tag: str | None = None
    digest: str | None = None

    @property
    def name(self) -> str:
        return f"{self.domain}/{self.path}"

    @property
    def name_only(self) -> bool:
        return self.tag is None and self.digest is None

    def __str__(self) -> str:
        text = self.name
        if self.tag is not None:
            text += f":{self.tag}"
        if self.digest is not None:
            text += f"@{self.digest}"
        return text


def _split(text: str) -> DockerReference:
    match = _REFERENCE.match(text)
    if match is None or len(match.group("name")) > NAME_TOTAL_LENGTH_MAX:
        raise InputError(text, "invalid docker reference format")
    name = match.group("name")
    domain, _, path = name.partition("/")
    return DockerReference(domain, path, match.group("tag"), match.group("digest"))


def parse_normalized(text: str) -> DockerReference:
    """``reference.ParseNormalizedNamed``: add docker.io and library/ where implied."""
    if _HEX64.match(text):
        raise InputError(text, "cannot specify 64-byte hexadecimal strings")
    first, sep, rest = text.partition("/")
    if not sep or ("." not in first and ":" not in first and first != "localhost"
                   and first.lower() == first):
        domain, remainder = DOCKER_HUB, text
    else:
        domain, remainder = first, rest
    if domain == "index.docker.io":
        domain = DOCKER_HUB
    if domain == DOCKER_HUB and "/" not in remainder:
        remainder = f"library/{remainder}"
    remote = remainder.split(":", 1)[0].split("@", 1)[0]
    if remote.lower() != remote:
        raise InputError(text, "repository name must be lowercase")
    ref = _split(f"{domain}/{remainder}")
    if "/" not in ref.name:
        raise InputError(text, "invalid docker reference format")
    return ref


def parse_named(text: str) -> DockerReference:
    """``reference.ParseNamed``: the text must already be in normalised form."""
    ref = parse_normalized(text)
    if str(ref) != text:
        raise InputError(text, "repository name must be canonical")
    return ref


def try_parse(text: str) -> DockerReference | None:
    try:
        return parse_normalized(text)
    except InputError:
        return None


def _repo_digest_or_exact(intended: DockerReference, signature: DockerReference) -> bool:
    if signature.name_only:
        return False
    if intended.tag is not None:  # NamedTagged, also when a digest is present
        return str(signature) == str(intended)
    if intended.digest is not None:  # the digest itself is checked against the manifest
        return signature.name == intended.name
    return False


def _remap(prefix: str, signed_prefix: str, ref: DockerReference) -> DockerReference | None:
    name = ref.name
    if not (name == prefix or (name.startswith(prefix) and name[len(prefix):][:1] == "/")):
        return ref
    try:
        return parse_named(str(ref).replace(prefix, signed_prefix, 1))
    except InputError:
        return None


@dataclass(frozen=True, slots=True)
class IdentityMatch:
    """One ``signedIdentity`` object of a policy requirement."""

    type: str  # matchExact | matchRepoDigestOrExact | matchRepository | exactReference ...
    value: str = ""  # dockerReference / dockerRepository
    prefix: str = ""
    signed_prefix: str = ""

    def matches(self, image: DockerReference | None, signed: str) -> bool:
        """Does a signature claiming ``signed`` fit an image known as ``image``?"""
        signature = try_parse(signed)
        if signature is None:
            return False
        if self.type in ("exactReference", "exactRepository"):
            return self._exact(signature)
        if image is None:  # no Docker identity for this image: nothing can match
            return False
        if self.type == "matchExact":
            return (not image.name_only and not signature.name_only
                    and str(signature) == str(image))
        if self.type == "matchRepoDigestOrExact":
            return _repo_digest_or_exact(image, signature)
        if self.type == "matchRepository":
            return signature.name == image.name
        if self.type == "remapIdentity":
            remapped = _remap(self.prefix, self.signed_prefix, image)
            return remapped is not None and _repo_digest_or_exact(remapped, signature)
        return False

    def _exact(self, signature: DockerReference) -> bool:
        intended = try_parse(self.value)
        if intended is None:
            return False
        if self.type == "exactRepository":
            return signature.name == intended.name
        return (not intended.name_only and not signature.name_only
                and str(signature) == str(intended))


def policy_namespaces(ref: DockerReference) -> list[str]:
    """Scopes to try after the full ``name:tag``: the repository, its parent namespaces,
    the host, then ``*.domain`` wildcards (port stripped), longest first."""
    scopes = []
    name = ref.name
    while True:
        scopes.append(name)
        slash = name.rfind("/")
        if slash == -1:
            break
        name = name[:slash]
    host = name.split(":")[0]
    while "." in host:
        host = host[host.index(".") + 1:]
        scopes.append(f"*.{host}")
    return scopes


def policy_identity(ref: DockerReference) -> str:
    """``PolicyConfigurationIdentity`` of a docker reference (name:tag or name@digest)."""
    return str(ref)
