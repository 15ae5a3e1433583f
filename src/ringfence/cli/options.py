"""Options shared by the image commands, turned into ScanOptions in one place."""

from __future__ import annotations

import functools
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click

from ringfence.cache.layer_cache import default_dir
from ringfence.cli.common import parse_size
from ringfence.image.resolve import OpenOptions
from ringfence.layers.limits import Limits
from ringfence.scan import ScanOptions


def image_options(func: Callable[..., Any]) -> Callable[..., Any]:
    @click.option("--platform", help="OS/ARCH[/VARIANT] to pick from a multi-platform image.")
    @click.option("--insecure-registry", is_flag=True,
                  help="Allow plain HTTP and unverified TLS for the registry.")
    @click.option("--authfile", type=click.Path(dir_okay=False),
                  help="Registry credentials (default: $REGISTRY_AUTH_FILE, "
                  "~/.docker/config.json).")
    @click.option("--layers", "layers_mode", type=click.Choice(["squashed", "all"]),
                  default="squashed", show_default=True,
                  help="'all' also reports packages deleted by a later layer.")
    @click.option("--cache-dir", type=click.Path(file_okay=False, path_type=Path),
                  help="Layer cache directory (default: $XDG_CACHE_HOME/ringfence).")
    @click.option("--no-cache", is_flag=True, help="Neither read nor write the layer cache.")
    @click.option("--max-image-bytes", callback=parse_size, default=None, metavar="SIZE",
                  help="Decompressed bytes all layers of one image may expand to (default "
                  "128g); more is exit 3. A tighter budget stops a layer bomb sooner.")
    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        return func(*args, **kwargs)

    return wrapper


def scan_options(platform: str | None, insecure_registry: bool, authfile: str | None,
                 layers_mode: str, cache_dir: Path | None, no_cache: bool,
                 max_image_bytes: int | None = None) -> ScanOptions:
    limits = Limits() if max_image_bytes is None else Limits(max_image_bytes=max_image_bytes)
    return ScanOptions(
        limits=limits,
        open=OpenOptions(platform=platform, insecure_registry=insecure_registry,
                         auth_file=authfile),
        cache_dir=None if no_cache else (cache_dir or default_dir()),
        include_deleted=layers_mode == "all",
    )
