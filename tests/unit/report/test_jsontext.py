"""The one JSON writer (``report/jsontext.py``, orjson) writes the bytes of
``json.dumps(doc, indent=2) + "\\n"``: on generated documents built to hit every way orjson
differs from the stdlib, and on real reports of the CLI (image JSON, SARIF, CycloneDX, SPDX,
a scan's depth document), compared byte for byte."""

from __future__ import annotations

import json
import random
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from ringfence.report.jsontext import json_text
from tests.imagebuilder import DPKG_STATUS, OS_RELEASE, Layer, Member, build_oci
from tests.unit.secretscan.generate import aws_key_id, github

REPO = Path(__file__).resolve().parents[3]
# characters orjson writes raw and the stdlib escapes, controls, quotes, astral, surrogates
_CHARS = ([chr(i) for i in range(0x00, 0x180)]
          + ["\u2028", "\ud7ff", "\ue000", "\uffff", "\U0001f600", "\U0010ffff", "\ud800",
             "\udfff", "é", "中"])
_FLOATS = (0.0, -0.0, 1e16, -1e16, 1e-5, 4.3e-05, 9.8, 1e15 + 0.5, 0.0001, 1e308, 5e-324,
           0.1 + 0.2, 2.0 ** 70)


def _doc(rng: random.Random, depth: int = 0) -> Any:
    k = rng.random()
    if depth > 3 or k < 0.3:
        return "".join(rng.choice(_CHARS) for _ in range(rng.randint(0, 8)))
    if k < 0.4:
        return rng.choice((rng.randint(-2 ** 63, 2 ** 64 - 1), 2 ** 64, -2 ** 70, 0))
    if k < 0.5:
        return rng.choice((*_FLOATS, rng.uniform(-1, 1) * 10.0 ** rng.randint(-10, 20)))
    if k < 0.55:
        return rng.choice((None, True, False))
    if k < 0.75:
        return [_doc(rng, depth + 1) for _ in range(rng.randint(0, 4))]
    keys = [_doc(rng, 9) if rng.random() < 0.95 else rng.randint(0, 9) for _ in range(4)]
    return {key: _doc(rng, depth + 1) for key in keys[:rng.randint(0, 4)]}


def test_generated_documents_are_written_as_the_stdlib_writes_them() -> None:
    rng = random.Random(12)  # noqa: S311 (reproducible test data)
    for _ in range(5000):
        doc = _doc(rng)
        assert json_text(doc) == json.dumps(doc, indent=2) + "\n", doc


@pytest.mark.parametrize("value", [
    "\x7f", "é", "\U0001f600", "\ud800", "a: 0.00001", "x e12", 1e-05, 4.3e-05, -1e300,
    5e-324, 1e16, 2 ** 64, {1: "x"},
    [1.5e300, "x"], {"k": [{"n": 1e-7}]}])
def test_each_difference_of_orjson_is_restored(value: Any) -> None:
    for doc in (value, [value], {"k": value, "n": [1, value]}):
        assert json_text(doc) == json.dumps(doc, indent=2) + "\n"


def test_what_the_stdlib_refuses_is_still_refused() -> None:
    import datetime
    from dataclasses import dataclass

    @dataclass
    class Point:
        x: int

    for value in (Point(1), datetime.date(2026, 1, 1), {"a": {1, 2}}):
        with pytest.raises(TypeError):
            json_text(value)


def _cli(*args: str) -> None:
    proc = subprocess.run([sys.executable, "-m", "ringfence.cli.main", *args], cwd=REPO,
                          capture_output=True, timeout=300, check=False)
    assert proc.returncode in (0, 1), proc.stderr[-2000:]


def test_real_reports_are_the_bytes_of_the_stdlib(tmp_path: Path) -> None:
    """Each report the CLI writes is what ``json.dumps(..., indent=2)`` writes for the
    same document (a parse and a stdlib write reproduce every byte: key order, escapes,
    number spelling, the final newline), on an image with packages, secrets and
    non-ASCII file names."""
    img = build_oci(tmp_path / "img", [Layer([
        Member("etc/os-release", OS_RELEASE), Member("var/lib/dpkg/status", DPKG_STATUS),
        Member("app/ré sumé/.env", f"AWS_KEY={aws_key_id()}\nTOKEN={github()}\n".encode()),
        Member("app/\U0001f600.yaml", f"token: {github()}\n".encode())])])
    outputs = []
    for fmt in ("json", "sarif", "cyclonedx", "spdx"):
        out = tmp_path / f"report.{fmt}"
        _cli("image", f"oci:{img}", "--no-cache", "--scanners", "secret,vuln", "-f", fmt,
             "-o", str(out))
        outputs.append(out)
    manifest = tmp_path / "pod.yaml"
    manifest.write_text("apiVersion: v1\nkind: Pod\nmetadata: {name: wéb, namespace: app}\n"
                        "spec:\n  containers:\n  - {name: web, image: 'shop/web:1'}\n")
    depth = tmp_path / "depth.json"
    _cli("scan", "--k8s", str(manifest), "--image-map", f"shop/web:1=oci:{img}", "-f", "json",
         "-o", str(depth))
    outputs.append(depth)
    for out in outputs:
        text = out.read_text(encoding="utf-8")
        assert text == json.dumps(json.loads(text), indent=2) + "\n", out.name
    image_doc = json.loads(outputs[0].read_text())
    assert "\\u00e9" in outputs[0].read_text() and "\\ud83d\\ude00" in outputs[0].read_text()
    assert image_doc["findings"], "the planted secrets are findings"
