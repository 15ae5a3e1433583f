"""Whole-image results: a warm scan of an unchanged image reads no layer and merges nothing.

Trivy keeps one analysis per image config; here one merged inventory per **verified
manifest digest** (the manifest pins the config, which pins every diffID, and names every
layer blob by digest) and per code and options. A result is trusted only when, in this
run, every layer blob's bytes are known to hash to the digest the manifest names: the file
holding it has an identity (device, inode, size, mtime, ctime) whose digest an earlier run
computed by hashing (``LayerCache.verified_digest``; never the digest an image claims). A
layer without such proof sends the scan down the per-layer path, which hashes, verifies
and fails exactly as a cold scan does.

The key holds the code identity instead of each cataloger's version: a hash of the name,
size and mtime of every file of the installed ``ringfence`` package, so computing it does
not import the catalogers (that import is most of a warm run's time) and any change to any
module, cataloger or not, is a miss.
"""

from __future__ import annotations

import functools
import hashlib
import json
import os
import zlib
from typing import Any

import ringfence
from ringfence.cache.layer_cache import SCHEMA_VERSION, LayerCache
from ringfence.model.image import ImageInfo
from ringfence.model.inventory import Distro, Inventory
from ringfence.model.package import Package
from ringfence.model.unknown import Unknown


@functools.lru_cache(maxsize=1)
def code_identity() -> str:
    """Hash of (relative path, size, mtime) of every file of the ringfence package."""
    root = os.path.dirname(os.path.abspath(ringfence.__file__))
    h = hashlib.sha256(f"{ringfence.__version__}\0".encode())
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = sorted(d for d in dirnames if d != "__pycache__")
        for name in sorted(filenames):
            path = os.path.join(dirpath, name)
            st = os.stat(path)
            rel = os.path.relpath(path, root)
            h.update(f"{rel}\0{st.st_size}\0{st.st_mtime_ns}\n".encode())
    return h.hexdigest()


def image_key(info: ImageInfo, options: str) -> str | None:
    """The key of ``info``'s whole-image result (None: the image has no verified manifest
    digest or a layer has no content digest, so it gets no whole-image result)."""
    if not info.manifest_digest or not all(layer.digest.startswith("sha")
                                           for layer in info.layers):
        return None
    return hashlib.sha256(f"{SCHEMA_VERSION}\0image\0{code_identity()}\0{options}\0"
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


def encode(inventory: Inventory) -> bytes:
    doc = {"packages": [p.to_dict() for p in inventory.packages],
           "distro": inventory.distro.to_dict() if inventory.distro else None,
           "unknowns": [u.to_dict() for u in inventory.unknowns],
           "deleted": [p.to_dict() for p in inventory.deleted]}
    return zlib.compress(json.dumps(doc, separators=(",", ":")).encode(), 6)


def decode(value: bytes) -> Inventory | None:
    try:
        doc = json.loads(zlib.decompress(value))
        return Inventory(
            packages=tuple(Package.from_dict(p) for p in doc["packages"]),
            distro=Distro.from_dict(doc["distro"]) if doc["distro"] else None,
            unknowns=tuple(Unknown.from_dict(u) for u in doc["unknowns"]),
            deleted=tuple(Package.from_dict(p) for p in doc["deleted"]))
    except (zlib.error, ValueError, KeyError, TypeError, AttributeError):
        return None  # a damaged entry is recomputed and overwritten
