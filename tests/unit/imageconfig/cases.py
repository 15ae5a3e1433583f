"""Loader for tests/cases/IMG-*: a small JSON describing an image becomes a real OCI layout
(tests/imagebuilder.py) that is scanned with the secrets and file-metadata analyzers, so the
whole path (walk, catalogers, analyzers, merge, facts) runs for every case.

``image.json``::

    {"reference": "docker://host/repo:tag",      # optional: the reference the user scanned
     "config": {...},                             # the config's "config" object; an Env
                                                  # item {"name": N, "generate": G} is
                                                  # N=generate.G() made at run time
     "history": ["created_by", ...],              # or {"secret"|"near_miss": ...} items
                                                  # (and Labels values) made as below
     "dpkg": ["sudo", ...],                       # a real dpkg status file with these
     "layers": [[{"path": "usr/bin/x", "mode": "4755", "type": "file|dir|whiteout",
                  "content": "...", "secret": "IMG-101", "near_miss": "aws id too short"}]]}

``secret`` puts the first generated example of that rule into the file and ``near_miss``
the named near miss (tests/unit/secretscan/generate.py): credentials are assembled at run
time, never committed.
"""

from __future__ import annotations

import json
import tarfile
import tempfile
from dataclasses import replace
from pathlib import Path
from typing import Any

from ringfence.image.reference import parse_reference
from ringfence.image_checks import analyzers_for, secret_facts
from ringfence.imageconfig.facts import ImageFacts, image_facts
from ringfence.scan import ScanOptions, scan_image
from ringfence.secretscan.checks import SecretFacts
from tests.imagebuilder import Layer, Member, build_oci
from tests.unit.secretscan import generate
from tests.unit.secretscan.generate import NEAR_MISSES, POSITIVES

_NEAR = {name: text for name, _, text in NEAR_MISSES}


def _content(spec: dict[str, Any]) -> bytes:
    if "secret" in spec:
        return POSITIVES[spec["secret"]][0]().encode()
    if "near_miss" in spec:
        return _NEAR[spec["near_miss"]].encode()
    return str(spec.get("content", "")).encode()


def _text(item: Any) -> str:
    """A history entry or label value: a string, or {"secret"|"near_miss": ...} made now."""
    return item if isinstance(item, str) else _content(item).decode()


def _member(spec: dict[str, Any]) -> Member:
    mode = int(spec.get("mode", "644"), 8)
    kind = spec.get("type", "file")
    if kind == "dir":
        return Member(spec["path"], type=tarfile.DIRTYPE, mode=mode)
    if kind == "whiteout":
        parent, _, base = spec["path"].rpartition("/")
        return Member(f"{parent}/.wh.{base}" if parent else f".wh.{base}")
    return Member(spec["path"], _content(spec), mode=mode)


def _dpkg_status(names: list[str]) -> Member:
    stanzas = [f"Package: {n}\nStatus: install ok installed\nArchitecture: amd64\n"
               f"Version: 1.0-1\nDescription: {n}\n" for n in names]
    return Member("var/lib/dpkg/status", "\n".join(stanzas).encode())


def _scan(case: Path) -> tuple[Any, dict[str, Any]]:
    spec = json.loads((case / "image.json").read_text())
    layers = [Layer([_member(m) for m in layer]) for layer in spec.get("layers") or [[]]]
    layers[0].members.insert(0, _dpkg_status(spec.get("dpkg", ["base-files"])))
    config = dict(spec.get("config", {}))
    if "Env" in config:  # {"name": N, "generate": G}: N=<generate.G()> made at run time
        config["Env"] = [e if isinstance(e, str) else f"{e['name']}="
                         f"{getattr(generate, e['generate'])()}" for e in config["Env"]]
    if isinstance(config.get("Labels"), dict):
        config["Labels"] = {k: _text(v) for k, v in config["Labels"].items()}
    extra = {"config": config,
             "history": [{"created_by": _text(h)} for h in spec.get("history", [])]}
    with tempfile.TemporaryDirectory() as tmp:
        img = build_oci(Path(tmp) / "img", layers, config_extra=extra)
        result = scan_image(f"oci:{img}", ScanOptions(analyzers=analyzers_for(
            ("secret", "config"))))
    return result, spec


def image_case(case: Path) -> ImageFacts:
    result, spec = _scan(case)
    facts = image_facts(result)
    if "reference" in spec:  # what the user typed; the layout itself is local
        facts = replace(facts, reference=parse_reference(spec["reference"]))
    return facts


def secret_case(case: Path) -> SecretFacts:
    result, _ = _scan(case)
    return secret_facts(result)
