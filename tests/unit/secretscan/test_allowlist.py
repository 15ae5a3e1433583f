"""Allow-list ``paths`` for every location kind the secret scanner reports (issue 17):
files (a path glob), config ``Env[NAME]``, ``Labels[KEY]`` and ``history[N].created_by``.
As fnmatch globs, ``[`` opened a character class, so a location copied from a report into
the allow-list (``Env[KEY]``) never matched it: findings a user could not silence. Each kind
is tested with an entry that silences it, one that must not, and the other kinds' entries
never crossing over; the hits come from real scans of hostile configs and images."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from ringfence.cli.main import main
from ringfence.errors import InputError
from ringfence.scan import ScanOptions, scan_image
from ringfence.secretscan.allowlist import Allowlist
from ringfence.secretscan.analyzer import SecretsAnalyzer
from ringfence.secretscan.config import scan_config
from ringfence.secretscan.model import CONFIG_LOCATIONS, FILE, SecretsReport
from tests.imagebuilder import Layer, Member, build_oci
from tests.unit.secretscan.generate import aws_key_id, github, gitlab


def _config() -> dict[str, object]:
    key, gh, gl = aws_key_id(31), github(seed=32), gitlab(seed=33)
    return {"config": {"Env": [f"AWS_ACCESS_KEY_ID={key}", f"CI_TOKEN={gh}", "PATH=/bin",
                               f"E[x]={gl}"],
                       "Labels": {"org.example.token": f"t {gh}", "a]b": f"t {gl}"}},
            "history": [{"created_by": "FROM scratch"}, {"created_by": f"RUN echo {key}"},
                        {"created_by": f"ENV T={gl}"}]}


def _left(*paths: str) -> list[str]:
    return [h.location for h in scan_config(_config(), Allowlist(paths=paths))]


ALL = ["Env[AWS_ACCESS_KEY_ID]", "Env[CI_TOKEN]", "Env[E[x]]", "Labels[a]b]",
       "Labels[org.example.token]", "history[1].created_by", "history[2].created_by"]


def test_every_config_location_as_reported_silences_itself_only() -> None:
    assert sorted(_left()) == ALL
    for location in ALL:  # copied from a report: exactly that hit goes
        assert sorted(_left(location)) == [x for x in ALL if x != location], location


@pytest.mark.parametrize(("entry", "gone"), [
    ("Env[CI_*]", ["Env[CI_TOKEN]"]),
    ("Env[*]", ["Env[AWS_ACCESS_KEY_ID]", "Env[CI_TOKEN]", "Env[E[x]]"]),
    ("Env[?[x]]", ["Env[E[x]]"]),  # "[" literal, "?" one character
    ("Env[ci_token]", []),  # names are case-sensitive
    ("Env[CI]", []),  # the whole name, not a prefix
    ("Env[AWS_ACCESS_KEY_ID=*]", []),  # the name, never the value
    ("Labels[org.example.*]", ["Labels[org.example.token]"]),
    ("Labels[*]", ["Labels[a]b]", "Labels[org.example.token]"]),
    ("history[1]", ["history[1].created_by"]),  # the short form
    ("history[1].created_by", ["history[1].created_by"]),
    ("history[*]", ["history[1].created_by", "history[2].created_by"]),
    ("history[0]", []), ("history[12]", []),
    # other kinds' entries never cross over: file globs, a config kind for another one
    ("*", []), ("*TOKEN*", []), ("Env*", []), ("Labels[CI_TOKEN]", []), ("Env[1]", []),
    ("*.created_by", []), ("/Env[CI_TOKEN]", []),
])
def test_config_entry_matches_its_kind(entry: str, gone: list[str]) -> None:
    assert sorted(_left(entry)) == [x for x in ALL if x not in gone]


def _scan(img: Path, allow: Allowlist) -> SecretsReport:
    result = scan_image(f"oci:{img}", ScanOptions(analyzers=(SecretsAnalyzer(allowlist=allow),)))
    report = result.analysis("secrets")
    assert isinstance(report, SecretsReport)
    return report


@pytest.mark.parametrize(("entries", "left"), [
    ((), ["/app/[id]/page.js", "/app/x.pem", "/etc/Env[CI_TOKEN]"]),
    (("/app/[id]/page.js",), ["/app/x.pem", "/etc/Env[CI_TOKEN]"]),  # "[id]" literal
    (("/app/[i]d]/page.js", "/app/?id?/page.JS"), ["/app/[id]/page.js", "/app/x.pem",
                                                    "/etc/Env[CI_TOKEN]"]),
    (("/app/**",), ["/etc/Env[CI_TOKEN]"]),  # "*" crosses "/"
    (("*.pem", "/etc/Env*"), ["/app/[id]/page.js"]),
    (("Env[CI_TOKEN]", "Labels[*]", "history[*]"), ["/app/[id]/page.js", "/app/x.pem",
                                                    "/etc/Env[CI_TOKEN]"]),
])
def test_file_entries_are_path_globs(tmp_path: Path, entries: tuple[str, ...],
                                     left: list[str]) -> None:
    img = build_oci(tmp_path / "img", [Layer([
        Member("app/[id]/page.js", f"t = '{github(seed=34)}'\n".encode()),
        Member("app/x.pem", f"{gitlab(seed=35)}\n".encode()),
        Member("etc/Env[CI_TOKEN]", f"{aws_key_id(36)}\n".encode())])])
    report = _scan(img, Allowlist(paths=entries))
    assert sorted(h.location for h in report.hits) == left
    assert all(h.source == FILE for h in report.hits)
    assert report.suppressed == 3 - len(left)


@pytest.mark.parametrize("entry", ["Env[", "Env[CI_TOKEN", "Labels[x", "history[1].created",
                                   "history["])
def test_malformed_config_entry_is_an_input_error(tmp_path: Path, entry: str) -> None:
    with pytest.raises(InputError, match="expected"):
        Allowlist.parse(f"paths = [{json.dumps(entry)}]", "allow.toml")
    allow = tmp_path / "allow.toml"
    allow.write_text(f"paths = [{json.dumps(entry)}]\n")
    img = build_oci(tmp_path / "img", [Layer([Member("a", b"x\n")])])
    assert main(["image", f"oci:{img}", "--scanners", "secret", "--no-cache",
                 "--secret-allowlist", str(allow)]) == 3


def test_cli_env_and_history_findings_can_be_silenced(tmp_path: Path,
                                                      capsys: pytest.CaptureFixture[str]) -> None:
    """The report's location, pasted into the allow-list, silences the finding: the gate
    passes (exit 0) where it failed before."""
    gh = github(seed=37)
    img = build_oci(tmp_path / "img", [Layer([Member("a", b"x\n")])], config_extra={
        "config": {"User": "1000", "Env": [f"CI_TOKEN={gh}"],
                   "Healthcheck": {"Test": ["CMD", "true"]}},
        "history": [{"created_by": f"ARG CI_TOKEN={gh}"}]})
    argv = ["image", f"oci:{img}", "-f", "json", "--scanners", "secret,config", "--no-cache",
            "--fail-on", "low"]
    assert main(argv) == 1
    found = {(f["rule"], f["location"]) for f in json.loads(capsys.readouterr().out)["findings"]
             if "Env[" in f["location"] or "history[" in f["location"]}
    assert {loc for _, loc in found} == {"Env[CI_TOKEN]", "history[0].created_by"}
    allow = tmp_path / "allow.toml"
    allow.write_text('paths = ["Env[CI_TOKEN]", "history[0]"]\n')
    code = main([*argv, "--secret-allowlist", str(allow)])
    left = json.loads(capsys.readouterr().out)["findings"]
    assert not any("Env[" in f["location"] or "history[" in f["location"] for f in left), left
    assert (code, left) == (0, [])


def test_table_covers_every_config_source() -> None:
    from ringfence.secretscan import model

    sources = {v for k, v in vars(model).items() if k.isupper() and isinstance(v, str)}
    assert sources == {FILE, *CONFIG_LOCATIONS}


def test_config_name_round_trip_and_edge_names() -> None:
    from ringfence.secretscan.model import config_location, config_name

    for kind in CONFIG_LOCATIONS:
        for name in ("A", "", "a]b", "x\ny", "[*]"):
            assert config_name(kind, config_location(kind, name)) == name
    assert config_name("env", "Labels[A]") is None and config_name("label", "Labels[A") is None
    # an empty variable name ("=secret") and a label key with a newline: silenced as written
    gh = github(seed=38)
    config = {"config": {"Env": [f"={gh}"], "Labels": {"multi\nline": f"t {gh}"}}}
    assert [h.location for h in scan_config(config)] == ["Env[]", "Labels[multi\nline]"]
    assert scan_config(config, Allowlist(paths=("Env[]", "Labels[multi*line]"))) == ()


def test_malformed_entry_names_its_file() -> None:
    with pytest.raises(InputError) as exc:
        Allowlist(paths=("Env[",))
    assert exc.value.subject == "allow-list"
    with pytest.raises(InputError) as exc:
        Allowlist.parse('paths = ["Labels[x"]', "/etc/ringfence/allow.toml")
    assert exc.value.subject == "/etc/ringfence/allow.toml"
    assert exc.value.message == "paths entry 'Labels[x': expected Labels[...]"
