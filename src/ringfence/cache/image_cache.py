"""Whole-image results: a warm scan of an unchanged image reads no layer and merges nothing.

Trivy keeps one analysis per image config; here one merged inventory per **verified
manifest digest** (the manifest pins the config, which pins every diffID, and names every
layer blob by digest) and per code and options. A result is trusted only when, in this
run, every layer blob's bytes are known to hash to the digest the manifest names: the file
holding it has an identity (device, inode, size, mtime, ctime) whose digest an earlier run
computed by hashing (``LayerCache.verified_digest``; never the digest an image claims). A
layer without such proof sends the scan down the per-layer path, which hashes, verifies
and fails exactly as a cold scan does.

Instead of each cataloger's version (computing those imports the catalogers: most of a
warm run's time), an entry records the code that produced it: the size and mtime of every
file of the ``ringfence`` package (modules and data files; a stat each). It is served only
while all of them are unchanged, so any change to ringfence's code is a miss. (Recording
only the modules loaded was not enough: a scan served by the layer cache loads no
cataloger, so its entry outlived a cataloger change.) Third-party libraries are not
covered (as for the layer cache).
"""

from __future__ import annotations

import hashlib
import json
import os
import sys
import zlib
from typing import Any

import ringfence
from ringfence.cache.layer_cache import SCHEMA_VERSION, LayerCache
from ringfence.model.image import ImageInfo
from ringfence.model.inventory import Distro, Inventory
from ringfence.model.package import Package
from ringfence.model.unknown import Unknown


def _signature(path: str) -> str | None:
    try:
        st = os.stat(path)
    except OSError:
        return None
    return f"{st.st_size}:{st.st_mtime_ns}"


def code_in_use() -> list[list[str]]:
    """[path, signature] of every ringfence module loaded in this process and of the
    package's data files: the code a result computed now depends on."""
    paths = {str(m.__file__) for name, m in list(sys.modules.items())
             if (name == "ringfence" or name.startswith("ringfence."))
             and getattr(m, "__file__", None)}
    root = os.path.dirname(os.path.abspath(str(ringfence.__file__)))
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = [d for d in dirnames if d != "__pycache__"]
        # every source file too, not only the modules loaded now: a scan served by the layer
        # cache loads no cataloger, so its entry would not depend on the catalogers' code
        paths.update(os.path.join(dirpath, f) for f in filenames if not f.endswith(".pyc"))
    return [[p, _signature(p) or ""] for p in sorted(paths)]


def code_unchanged(code: list[list[str]]) -> bool:
    return bool(code) and all(_signature(path) == sig for path, sig in code)


def image_key(info: ImageInfo, options: str) -> str | None:
    """The key of ``info``'s whole-image result (None: the image has no verified manifest
    digest or a layer has no content digest, so it gets no whole-image result)."""
    if not info.manifest_digest or not all(layer.digest.startswith("sha")
                                           for layer in info.layers):
        return None
    # "image-2": entries whose code list held only the modules loaded are never served
    return hashlib.sha256(f"{SCHEMA_VERSION}\0image-2\0{ringfence.__version__}\0{options}\0"
                          f"{info.manifest_digest}".encode()).hexdigest()


def layers_verified(cache: LayerCache, source: Any, info: ImageInfo) -> bool:
    """Whether every layer blob of ``source`` is a file whose current identity an earlier
    run hashed to the digest the (verified) manifest names for it."""
    identity_of = getattr(source, "blob_identity", None)
    if identity_of is None:
        return False
    for layer in info.layers:
        identity = identity_of(layer)
        known = cache.verified_digest(identity) if identity else None
        if known is None or known[0] != layer.digest:
            return False
    return True


def encode(inventory: Inventory, code: list[list[str]]) -> bytes:
    doc = {"code": code, "packages": [p.to_dict() for p in inventory.packages],
           "distro": inventory.distro.to_dict() if inventory.distro else None,
           "unknowns": [u.to_dict() for u in inventory.unknowns],
           "deleted": [p.to_dict() for p in inventory.deleted]}
    return zlib.compress(json.dumps(doc, separators=(",", ":")).encode(), 6)


def decode(value: bytes) -> Inventory | None:
    """The inventory, when the code that computed it is unchanged (else None: a miss)."""
    try:
        doc = json.loads(zlib.decompress(value))
        if not code_unchanged([[str(p), str(sig)] for p, sig in doc["code"]]):
            return None
        return Inventory(
            packages=tuple(Package.from_dict(p) for p in doc["packages"]),
            distro=Distro.from_dict(doc["distro"]) if doc["distro"] else None,
            unknowns=tuple(Unknown.from_dict(u) for u in doc["unknowns"]),
            deleted=tuple(Package.from_dict(p) for p in doc["deleted"]))
    except (zlib.error, ValueError, KeyError, TypeError, AttributeError):
        return None  # a damaged entry is recomputed and overwritten
