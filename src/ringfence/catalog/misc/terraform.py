"""Terraform ``.terraform.lock.hcl``: each ``provider "host/namespace/type"`` block's
``version``; the name keeps the registry host, as Syft reports it."""

from __future__ import annotations

import re

from ringfence.catalog.interface import Parsed
from ringfence.catalog.misc.common import basename, package, text
from ringfence.model.package import Package

_PROVIDER = re.compile(r"^provider\s+\"(?P<name>[^\"]+)\"\s*\{", re.MULTILINE)
_VERSION = re.compile(r"^\s*version\s*=\s*\"(?P<version>[^\"]+)\"", re.MULTILINE)


class TerraformLockCataloger:
    name = "terraform-lock"
    version = "1"

    def wants(self, path: str, size: int) -> bool:
        return basename(path) == ".terraform.lock.hcl"

    def parse(self, path: str, data: bytes) -> Parsed:
        source = text(data)
        blocks = list(_PROVIDER.finditer(source))
        packages: list[Package] = []
        problems: list[str] = []
        for i, block in enumerate(blocks):
            end = blocks[i + 1].start() if i + 1 < len(blocks) else len(source)
            version = _VERSION.search(source, block.end(), end)
            if version is None:
                problems.append(f"provider {block['name']}: no version")
                continue
            name = block["name"]
            namespace, _, short = name.rpartition("/")
            packages.append(package(self.name, "terraform", name, version["version"], path,
                                    namespace=namespace or None, purl_name=short))
        return Parsed(tuple(packages), tuple(problems))
