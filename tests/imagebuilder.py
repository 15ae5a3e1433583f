"""Build small, real OCI layouts and docker archives inside tests (tarfile + JSON)."""

from __future__ import annotations

import gzip
import hashlib
import io
import json
import tarfile
from dataclasses import dataclass, field
from pathlib import Path


@dataclass
class Member:
    name: str
    data: bytes = b""
    type: bytes = tarfile.REGTYPE
    linkname: str = ""
    mode: int = 0o644
    size: int | None = None  # lie about the size (truncation tests)


@dataclass
class Layer:
    members: list[Member] = field(default_factory=list)
    compress: str = "gzip"  # gzip | raw | zstd

    def tar_bytes(self) -> bytes:
        buf = io.BytesIO()
        with tarfile.open(fileobj=buf, mode="w", format=tarfile.PAX_FORMAT) as tar:
            for m in self.members:
                info = tarfile.TarInfo(m.name)
                info.type = m.type
                info.mode = m.mode
                info.linkname = m.linkname
                if m.type == tarfile.REGTYPE:
                    info.size = len(m.data)
                    tar.addfile(info, io.BytesIO(m.data))
                else:
                    tar.addfile(info)
        return buf.getvalue()


def sha(data: bytes) -> str:
    return "sha256:" + hashlib.sha256(data).hexdigest()


def compress(raw: bytes, how: str) -> bytes:
    if how == "gzip":
        return gzip.compress(raw, compresslevel=1)
    if how == "zstd":
        import zstandard

        return zstandard.ZstdCompressor().compress(raw)
    return raw


_MT = {"gzip": "application/vnd.oci.image.layer.v1.tar+gzip",
       "zstd": "application/vnd.oci.image.layer.v1.tar+zstd",
       "raw": "application/vnd.oci.image.layer.v1.tar"}


def write_blob(root: Path, data: bytes) -> str:
    digest = sha(data)
    path = root / "blobs" / "sha256" / digest.split(":")[1]
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return digest


def build_oci(root: Path, layers: list[Layer], *, config_extra: dict[str, object] | None = None,
              raw_layers: list[bytes] | None = None, diff_ids: list[str] | None = None,
              tag: str = "latest") -> Path:
    """Write an OCI layout at ``root``. ``raw_layers`` overrides the tar bytes per layer
    (for hostile inputs); ``diff_ids`` overrides the config's diff_ids."""
    root.mkdir(parents=True, exist_ok=True)
    (root / "oci-layout").write_text('{"imageLayoutVersion": "1.0.0"}')
    descs, diffs = [], []
    for i, layer in enumerate(layers):
        raw = raw_layers[i] if raw_layers and i < len(raw_layers) else layer.tar_bytes()
        blob = compress(raw, layer.compress)
        descs.append({"mediaType": _MT[layer.compress], "digest": write_blob(root, blob),
                      "size": len(blob)})
        diffs.append(sha(raw))
    config = {"architecture": "amd64", "os": "linux",
              "config": {"User": "", "Env": ["PATH=/usr/bin:/bin"]},
              "rootfs": {"type": "layers", "diff_ids": diff_ids or diffs},
              "history": [{"created_by": f"layer {i}"} for i in range(len(layers))]}
    config.update(config_extra or {})
    cfg = json.dumps(config).encode()
    manifest = {"schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
                "config": {"mediaType": "application/vnd.oci.image.config.v1+json",
                           "digest": write_blob(root, cfg), "size": len(cfg)},
                "layers": descs}
    mbytes = json.dumps(manifest).encode()
    index = {"schemaVersion": 2, "manifests": [
        {"mediaType": "application/vnd.oci.image.manifest.v1+json",
         "digest": write_blob(root, mbytes), "size": len(mbytes),
         "annotations": {"org.opencontainers.image.ref.name": tag}}]}
    (root / "index.json").write_text(json.dumps(index))
    return root


def build_docker_archive(path: Path, layers: list[Layer], repo_tag: str = "test:latest") -> Path:
    raws = [layer.tar_bytes() for layer in layers]
    config = json.dumps({"architecture": "amd64", "os": "linux", "config": {},
                         "rootfs": {"type": "layers", "diff_ids": [sha(r) for r in raws]}}
                        ).encode()
    entries: dict[str, bytes] = {f"{sha(config)[7:]}.json": config}
    names = []
    for layer, raw in zip(layers, raws, strict=True):
        name = f"{sha(raw)[7:]}.tar"
        entries[name] = compress(raw, layer.compress)
        names.append(name)
    entries["manifest.json"] = json.dumps([{"Config": f"{sha(config)[7:]}.json",
                                            "RepoTags": [repo_tag], "Layers": names}]).encode()
    with tarfile.open(path, "w") as tar:
        for name, data in entries.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return path


DPKG_STATUS = b"""Package: base-files
Status: install ok installed
Priority: required
Architecture: amd64
Version: 12.4+deb12u5
Description: Debian base system miscellaneous files

Package: libc6
Status: install ok installed
Architecture: amd64
Source: glibc
Version: 2.36-9+deb12u4
Description: GNU C Library: Shared libraries

"""

OS_RELEASE = b'PRETTY_NAME="Debian GNU/Linux 12 (bookworm)"\nID=debian\nVERSION_ID="12"\n'
