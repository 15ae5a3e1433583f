from __future__ import annotations

import pytest

from ringfence.errors import UsageError
from ringfence.image.reference import parse_reference
from ringfence.model.image import ImageRef


@pytest.mark.parametrize(("text", "expected"), [
    ("oci:/x/img", ImageRef("oci", path="/x/img")),
    ("oci:/x/img:v1", ImageRef("oci", path="/x/img", name="v1")),
    ("oci-archive:a.tar:latest", ImageRef("oci-archive", path="a.tar", name="latest")),
    ("docker-archive:a.tar:repo/x:1", ImageRef("docker-archive", path="a.tar", name="repo/x:1")),
    ("dir:/", ImageRef("dir", path="/")),
    ("sbom:bom.json", ImageRef("sbom", path="bom.json")),
    ("alpine", ImageRef("docker", registry="docker.io", repository="library/alpine",
                        tag="latest")),
    ("docker://127.0.0.1:5000/a/b:2", ImageRef("docker", registry="127.0.0.1:5000",
                                               repository="a/b", tag="2")),
    ("localhost/x@sha256:" + "a" * 64, ImageRef("docker", registry="localhost", repository="x",
                                               digest="sha256:" + "a" * 64)),
    ("quay.io/a/b:t@sha256:" + "b" * 64, ImageRef("docker", registry="quay.io",
                                                 repository="a/b", tag="t",
                                                 digest="sha256:" + "b" * 64)),
])
def test_parse(text: str, expected: ImageRef) -> None:
    assert parse_reference(text) == expected


@pytest.mark.parametrize("text", ["", "oci:", "UPPER/case", "x@sha256:short", "a:b:c:!"])
def test_bad_references_are_usage_errors(text: str) -> None:
    with pytest.raises(UsageError) as err:
        parse_reference(text)
    assert err.value.exit_code == 2
