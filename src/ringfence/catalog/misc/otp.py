"""Erlang/OTP application resource files (``*.app``): ``{application, Name, [{vsn, ...}]}``."""

from __future__ import annotations

import re

from ringfence.catalog.interface import Parsed
from ringfence.catalog.misc.common import package, text

_APP = re.compile(r"^\s*\{\s*application\s*,\s*'?(?P<name>[a-z][\w@]*)'?\s*,")
_VSN = re.compile(r"\{\s*vsn\s*,\s*\"(?P<version>[^\"]+)\"\s*\}")
_LICENSES = re.compile(r"\{\s*licenses\s*,\s*\[(?P<list>[^\]]*)\]")
_QUOTED = re.compile(r"\"([^\"]+)\"")


class ErlangOtpAppCataloger:
    name = "erlang-otp-app"
    version = "2"  # 2: licences normalised (catalog/licenses.py)

    def wants(self, path: str, size: int) -> bool:
        return path.endswith(".app")

    def parse(self, path: str, data: bytes) -> Parsed:
        if b"\x00" in data[:4096]:  # e.g. terminfo's iTerm.app: not an OTP resource file
            return Parsed()
        source = text(data)
        app, vsn = _APP.match(source), _VSN.search(source)
        if app is None or vsn is None:  # some other kind of .app file: not ours
            return Parsed()
        lic = _LICENSES.search(source)
        licenses = _QUOTED.findall(lic["list"]) if lic else []
        return Parsed((package(self.name, "otp", app["name"], vsn["version"], path,
                               licenses=licenses),))
