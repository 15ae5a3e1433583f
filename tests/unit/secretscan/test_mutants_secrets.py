"""Secret rules and scanner, the decisions mutation testing found unpinned (bench/mutation.py
`secrets`): every budget at its boundary (a partial scan always says so), redaction lengths,
fingerprints (hashlib over the secret), entropy (by hand), the validators of the generic,
JWT and placeholder rules, the GCP context, and the allow-list file."""

from __future__ import annotations

import base64
import hashlib
import json
from dataclasses import replace
from pathlib import Path

import pytest

from ringfence.errors import InputError
from ringfence.model.unknown import Unknown
from ringfence.secretscan import scanner
from ringfence.secretscan.allowlist import Allowlist
from ringfence.secretscan.model import FILE, SecretHit
from ringfence.secretscan.rules import RULES_BY_ID, SECRET_RULES
from ringfence.secretscan.scanner import (
    entropy,
    fingerprint,
    keywords_in,
    redact,
    scan,
    scan_bounded,
    scan_text,
)

from .generate import aws_key_id, aws_secret, gcp_service_account, github, jwt


def _ids(text: str) -> list[str]:
    return [m.rule_id for m in scan_text(text)]


# --- budgets -----------------------------------------------------------------------------

def test_max_bytes_boundary() -> None:
    line = f"id = {aws_key_id()}\n".encode()
    exact = scan_bounded(line, max_bytes=len(line))
    assert exact.truncated is None and [m.rule_id for m in exact.matches] == ["IMG-101"]
    cut = scan_bounded(line + b"#", max_bytes=len(line))
    assert cut.truncated == f"scanned the first {len(line)} of {len(line) + 1} bytes"
    assert [m.rule_id for m in cut.matches] == ["IMG-101"]
    # a secret past the scanned prefix is not found, and the outcome says why
    late = scan_bounded(b"x" * 100 + line, max_bytes=100)
    assert late.matches == ()
    assert late.truncated == f"scanned the first 100 of {100 + len(line)} bytes"
    quiet = scan_bounded(b"x" * 200, max_bytes=100)  # nothing found: still truncated
    assert quiet.matches == () and quiet.truncated is not None


def _keys(n: int) -> bytes:
    return "".join(f"k{i} = {aws_key_id(100 + i)}\n" for i in range(n)).encode()


def test_max_matches_boundary() -> None:
    assert scan_bounded(_keys(2), max_matches=3).truncated is None
    three = scan_bounded(_keys(3), max_matches=3)
    assert len(three.matches) == 3 and three.truncated == "stopped after 3 secrets"
    four = scan_bounded(_keys(4), max_matches=3)
    assert len(four.matches) == 3 and four.truncated == "stopped after 3 secrets"


def test_max_candidates_boundary() -> None:
    data = _keys(3)
    assert scan_bounded(data, max_candidates=3).truncated is None
    cut = scan_bounded(data, max_candidates=2)
    assert len(cut.matches) == 2
    assert cut.truncated is not None and cut.truncated.startswith(
        "stopped after 2 candidate matches (at byte ")
    third = data.index(b"k2 = ") + len(b"k2 = ")
    assert cut.truncated == f"stopped after 2 candidate matches (at byte {third})"
    # rejected candidates count too: placeholders are candidates, never secrets
    fakes = b"".join(b"k = AKIAEXAMPLEEXAMPLE%02d\n" % (22 + i) for i in range(5))
    out = scan_bounded(fakes, max_candidates=2)
    assert out.matches == () and out.truncated is not None


def test_truncation_keeps_the_first_reason() -> None:
    data = _keys(4) + b"#" * 10
    out = scan_bounded(data, max_bytes=len(data) - 5, max_matches=2)
    assert out.truncated is not None and out.truncated.startswith("scanned the first")
    assert out.attempts >= 2


def test_attempts_count_each_keyword_occurrence_once() -> None:
    data = _keys(3) + b"akia and asia and AKIA but no key\n"
    out = scan_bounded(data)
    assert len(out.matches) == 3
    assert out.attempts == 6  # 3 keys + 3 bare keyword occurrences
    assert scan_bounded(b"no keywords here").attempts == 0


# --- what a match reports ----------------------------------------------------------------

def test_line_order_and_fingerprint() -> None:
    key, secret = aws_key_id(7), aws_secret(8)
    text = f"# config\n\nid = {key}\naws_secret_access_key = {secret}\n{github()}\n"
    matches = scan_text(text)
    assert [(m.rule_id, m.line) for m in matches] == [("IMG-101", 3), ("IMG-102", 4),
                                                       ("IMG-104", 5)]
    assert matches[0].fingerprint == "IMG-101:" + hashlib.sha256(key.encode()).hexdigest()[:16]
    assert matches[1].fingerprint == fingerprint("IMG-102", secret.encode())
    assert matches[1].redacted == f"{secret[:4]}…(40 chars)"
    assert all(key not in m.redacted for m in matches)


@pytest.mark.parametrize(("secret", "shown"), [
    (b"abcdefg", "…(7 chars)"), (b"abcdefgh", "ab…(8 chars)"),
    (b"abcdefghijklmno", "ab…(15 chars)"), (b"abcdefghijklmnop", "abcd…(16 chars)"),
    (b"\xff\xfeabcdef", "\ufffd\ufffd…(8 chars)")])
def test_redact_boundaries(secret: bytes, shown: str) -> None:
    assert redact(secret) == shown


@pytest.mark.parametrize(("value", "bits"), [
    (b"", 0.0), (b"aaaa", 0.0), (b"abab", 1.0), (b"abcd", 2.0), (b"aabbccdd", 2.0),
    (b"abcdefgh", 3.0), (bytes(range(16)), 4.0), (b"aaab", 0.8112781244591328)])
def test_entropy(value: bytes, bits: float) -> None:
    assert entropy(value) == pytest.approx(bits)


def test_entropy_threshold_rejects_low_entropy_keys() -> None:
    low = "AKIA" + "A" * 8 + "B" * 8  # the pattern fits; 1.8 bits/char is not a key
    assert entropy(low.encode()) < RULES_BY_ID["IMG-101"].min_entropy
    assert _ids(f"id = {low}") == []
    assert _ids(f"id = {aws_key_id()}") == ["IMG-101"]


def test_keywords_in() -> None:
    assert keywords_in(b"xx AKIA yy ghp_ zz") == frozenset({b"akia", b"ghp_"})
    assert keywords_in(b"nothing") == frozenset()


def test_custom_rule_set() -> None:
    only_jwt = [RULES_BY_ID["IMG-109"]]
    text = f"t = {jwt()}\nid = {aws_key_id()}\n".encode()
    assert [m.rule_id for m in scan(text, only_jwt)] == ["IMG-109"]
    assert [m.rule_id for m in scan(text)] == ["IMG-109", "IMG-101"]  # by line
    assert scanner.scan(b"") == []


# --- validators --------------------------------------------------------------------------

@pytest.mark.parametrize(("value", "found"), [
    ("Zx9kQ2mP7vL4tR8w", True),           # letters and digits
    ("abcdefghijklmnop", False),          # no digit
    ("1234567890123456", False),          # no letter
    ("settings.SECRET_KEY2", False),      # reads as code (attribute access)
    ("my_token_value_99", False),         # an identifier with "_"
    ("Zx9kQ2mP7vL4tR8wAB", True),
    ("changeme12345678", False),          # placeholder
    ("Your_Token_12345x", False),
    ("x9${SECRET}abcdef", False),
    ("Zx9k.Q2mP7vL4tR8w", False),         # two identifiers joined by "." read as code
    ("9Zxk.Q2mP7vL4tR8w", True),          # ... but not when it cannot be an identifier
])
def test_generic_assignment_validator(value: str, found: bool) -> None:
    assert (_ids(f'password = "{value}"') == ["IMG-110"]) is found


def _jwt_with_header(header: bytes) -> str:
    head = base64.urlsafe_b64encode(header).rstrip(b"=").decode()
    body = base64.urlsafe_b64encode(b'{"sub":"1234567890","name":"x"}').rstrip(b"=").decode()
    return f"{head}.{body}.SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c"


@pytest.mark.parametrize(("header", "found"), [
    (b'{"alg":"HS256","typ":"JWT"}', True),
    (b'{"alg":"none"}', True),
    (b'{"typ":"JWT","kid":"abc"}', False),   # no alg: not a JWT header
    (b'["alg", "HS256", "x"]', False),       # JSON, not an object
    (b'{"alg":"HS256"', False),              # not JSON
])
def test_jwt_header_validator(header: bytes, found: bool) -> None:
    token = _jwt_with_header(header)
    assert token.startswith("eyJ") or not found
    assert (_ids(f"auth: {token}") == ["IMG-109"]) is found


def test_jwt_with_invalid_base64_header_is_not_a_jwt() -> None:
    assert _ids("t = eyJhbGciOiJIUzI1NiJ9x.eyJzdWIiOiIxMjM0NTY3ODkwIn0."
                "SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV") == []


@pytest.mark.parametrize("fake", ["AKIAIOSFODNN7EXAMPLE", "AKIAXXXXXXXXXXXXXXXX",
                                  "AKIASAMPLE2345672345"])
def test_placeholder_key_ids(fake: str) -> None:
    assert _ids(f"id = {fake}") == []


def test_gcp_rule_needs_the_service_account_context() -> None:
    doc = gcp_service_account()
    assert "IMG-103" in _ids(doc)
    assert "IMG-103" not in _ids(doc.replace('"service_account"', '"authorized_user"'))


def test_specific_rule_wins_over_the_generic_on_the_same_span() -> None:
    secret = aws_secret(11)
    assert _ids(f"aws_secret_access_key = {secret}") == ["IMG-102"]
    # a generic assignment elsewhere in the same text is still reported
    assert _ids(f"aws_secret_access_key = {secret}\npassword = Zx9kQ2mP7vL4tR8w\n") == [
        "IMG-102", "IMG-110"]


def test_rules_table() -> None:
    assert [r.rule.id for r in SECRET_RULES] == [f"IMG-{n}" for n in range(101, 111)]
    for r in SECRET_RULES:
        assert r.rule.ring == "image" and r.rule.threats and r.rule.references
        assert all(k == k.lower() for k in r.keywords)
    assert RULES_BY_ID["IMG-102"].rule.severity.name == "CRITICAL"


# --- allow-list --------------------------------------------------------------------------

def _hit(rule: str = "IMG-104", location: str = "/app/.env",
         fp: str = "IMG-104:0123456789abcdef") -> SecretHit:
    return SecretHit(rule, FILE, location, 1, "ghp_…(40 chars)", fp)


def test_allowlist_each_key() -> None:
    assert not Allowlist().allows(_hit())
    assert Allowlist(rules=frozenset({"IMG-104"})).allows(_hit())
    assert not Allowlist(rules=frozenset({"IMG-105"})).allows(_hit())
    assert Allowlist(fingerprints=frozenset({"IMG-104:0123456789abcdef"})).allows(_hit())
    assert not Allowlist(fingerprints=frozenset({"IMG-104:ffff"})).allows(_hit())
    assert Allowlist(paths=("/app/*",)).allows(_hit())
    assert not Allowlist(paths=("/APP/*",)).allows(_hit())  # case-sensitive paths
    assert not Allowlist(paths=("/srv/*", "*.pem")).allows(_hit())
    assert Allowlist(paths=("/srv/*", "*.env")).allows(_hit())


def test_allowlist_file(tmp_path: Path) -> None:
    path = tmp_path / "allow.toml"
    path.write_text('rules = ["IMG-110"]\npaths = ["/usr/share/doc/**"]\n'
                    'fingerprints = ["IMG-104:3f2a9c0d1e4b5a67"]\n')
    allow = Allowlist.load(path)
    assert allow == Allowlist(frozenset({"IMG-110"}), ("/usr/share/doc/**",),
                              frozenset({"IMG-104:3f2a9c0d1e4b5a67"}))
    assert Allowlist.parse("") == Allowlist()
    for bad, why in (("rules = 1", "rules must be a list of strings"),
                     ('paths = ["a", 2]', "paths must be a list of strings"),
                     ("fingerprints = {}", "fingerprints must be a list of strings"),
                     ("other = []", "unknown keys ['other']"),
                     ("rules = [", "not valid TOML")):
        with pytest.raises(InputError) as exc:
            Allowlist.parse(bad, "my.toml")
        assert exc.value.subject == "my.toml" and why in exc.value.message
    path.write_text("rules = [")
    with pytest.raises(InputError) as exc:
        Allowlist.load(path)
    assert exc.value.subject == str(path)


def test_allowlist_file_must_be_a_regular_small_file(tmp_path: Path) -> None:
    with pytest.raises(InputError):
        Allowlist.load(tmp_path)  # a directory
    big = tmp_path / "big.toml"
    big.write_text("# " + "x" * (1 << 20) + "\n")
    with pytest.raises(InputError):
        Allowlist.load(big)


def test_json_documents_stay_json() -> None:
    assert json.loads(gcp_service_account())["type"] == "service_account"


# --- checks and the report model ---------------------------------------------------------

def test_checks_report_file_and_config_hits_but_not_env() -> None:
    from ringfence.checks.engine import run_checks
    from ringfence.secretscan.checks import SECRET_CHECKS, SecretFacts
    from ringfence.secretscan.model import ENV, HISTORY, LABEL, SecretsReport

    files = SecretsReport(hits=(_hit(location="/app/.env"),), scanned=3,
                          truncated=(("/big.txt", "stopped after 100 secrets", "sha256:ab"),))
    config = (_hit("IMG-101", "Labels[key]", "IMG-101:aa"), _hit("IMG-104", "Env[T]", "x"),
              _hit("IMG-104", "history[2].created_by", "y"))
    config = (replace(config[0], source=LABEL), replace(config[1], source=ENV),
              replace(config[2], source=HISTORY))
    facts = SecretFacts(files, config)
    hits = list(facts.hits())
    assert [h.location for h in hits] == ["/app/.env", "Labels[key]", "history[2].created_by"]
    run = run_checks(SECRET_CHECKS, facts)
    assert sorted((f.rule_id, f.location) for f in run.findings) == [
        ("IMG-101", "Labels[key]"), ("IMG-104", "/app/.env"),
        ("IMG-104", "history[2].created_by")]
    assert [u.location for u in facts.unknowns()] == ["/big.txt"]
    # without the file scan no secret rule is evaluated (never reported as holding)
    none = SecretFacts(None, config, (Unknown("Env[X]", "secret scan truncated: x",
                                              "secrets"),))
    assert list(none.hits()) == [config[0], config[2]]
    assert run_checks(SECRET_CHECKS, none).findings == ()
    assert [u.location for u in none.unknowns()] == ["Env[X]"]


def test_hit_description_and_dict() -> None:
    hit = SecretHit("IMG-104", FILE, "/app/.env", 7, "ghp_…(40 chars)", "IMG-104:ab",
                    "sha256:" + "1" * 64, 0, "sha256:" + "2" * 64, 2)
    assert hit.retrievable
    assert hit.describe("GitHub token") == (
        "GitHub token (ghp_…(40 chars)) in /app/.env:7, added in layer 1 (sha256:111111111111)"
        "; deleted in layer 3 (sha256:222222222222) but still retrievable from the image")
    assert hit.to_dict() == {"rule_id": "IMG-104", "source": "file", "location": "/app/.env",
                             "line": 7, "redacted": "ghp_…(40 chars)",
                             "fingerprint": "IMG-104:ab", "layer": "sha256:" + "1" * 64,
                             "deleted_in": "sha256:" + "2" * 64, "retrievable": True}
    label = SecretHit("IMG-101", "label", "Labels[k]", 1, "AKIA…(20 chars)", "IMG-101:cd")
    assert not label.retrievable and label.to_dict()["retrievable"] is False
    assert label.describe("AWS access key id") == (
        "AWS access key id (AKIA…(20 chars)) in Labels[k]")


def test_report_counts_and_unknowns() -> None:
    from ringfence.secretscan.model import SecretsReport, truncation_unknown

    report = SecretsReport(skipped=(("binary", 4), ("too-large", 1)),
                           truncated=(("/a", "why", None), ("/b", "why2", "sha256:cc")))
    assert report.skipped_count("binary") == 4 and report.skipped_count("too-large") == 1
    assert report.skipped_count("excluded") == 0
    assert report.unknowns() == (truncation_unknown("/a", "why"),
                                 truncation_unknown("/b", "why2", "sha256:cc"))
    u = truncation_unknown("/b", "why2", "sha256:cc")
    assert (u.location, u.reason, u.plugin, u.layer) == (
        "/b", "secret scan truncated: why2", "secrets", "sha256:cc")


# --- the layer analyzer, the image config and the keyword index --------------------------

def _entry(path: str, data: bytes | None, kind: str = "file", size: int | None = None):  # type: ignore[no-untyped-def]
    from ringfence.layers.walk import Entry
    return Entry(path, kind, len(data or b"") if size is None else size, 0o644, 0, 0,
                 data=data, wanted=True)


def test_analyzer_state_counts_each_skip_reason() -> None:
    from ringfence.secretscan.analyzer import BINARY_SNIFF, SecretsAnalyzer

    analyzer = SecretsAnalyzer(max_bytes=100)
    state = analyzer.new_state()
    key = f"id = {aws_key_id()}\n".encode()
    state.observe(_entry("/big", b"x" * 101))                         # too large
    state.observe(_entry("/big2", None, kind="too-large", size=10**9))  # walk: too large
    state.observe(_entry("/exact", key.ljust(100, b"#")))             # exactly the cap: read
    state.observe(_entry("/usr/share/doc/x", key))                    # excluded tree
    state.observe(_entry("/nul0", b"\0" + key))                       # NUL first: binary
    state.observe(_entry("/nul-late", b"#" * 50 + b"\0" + key))       # binary
    state.observe(_entry("/dir", None, kind="dir"))                   # not a file: ignored
    state.observe(_entry("/link", None, kind="hardlink"))             # target not read here
    facts = state.facts()
    assert facts["skipped"] == {"too-large": 2, "excluded": 1, "binary": 2}
    assert facts["scanned"] == 1
    assert [h[:3] for h in facts["hits"]] == [["/exact", "IMG-101", 1]]
    # a NUL beyond the sniffed prefix does not make a file binary
    big = SecretsAnalyzer(max_bytes=BINARY_SNIFF * 2)
    late = big.new_state()
    late.observe(_entry("/late", key + b"#" * BINARY_SNIFF + b"\0"))
    late.observe(_entry("/edge", b"#" * (BINARY_SNIFF - 1) + b"\0" + key))
    assert late.facts()["scanned"] == 1 and late.facts()["skipped"] == {"binary": 1}


def test_analyzer_truncation_and_version() -> None:
    from ringfence.secretscan.analyzer import SecretsAnalyzer

    analyzer = SecretsAnalyzer(max_bytes=1000, scan_bytes=10)
    assert analyzer.version == "3-1000-10" and SecretsAnalyzer().version.startswith("3-")
    assert analyzer.wants("/etc/app.conf", 1000) and not analyzer.wants("/etc/app.conf", 1001)
    assert not analyzer.wants("/usr/share/doc/README", 10)
    state = analyzer.new_state()
    state.observe(_entry("/a.conf", b"#" * 20))
    assert state.facts()["truncated"] == [["/a.conf", "scanned the first 10 of 20 bytes"]]


def test_analyzer_merge_over_layers() -> None:
    from ringfence.layers.analyzer import SquashView
    from ringfence.secretscan.analyzer import SecretsAnalyzer

    l1, l2 = "sha256:" + "1" * 64, "sha256:" + "2" * 64
    hit = ["/app/.env", "IMG-104", 3, "ghp_…(40 chars)", "IMG-104:aa"]
    facts1 = {"hits": [hit], "scanned": 2, "skipped": {"binary": 1},
              "truncated": [["/t", "why"]]}
    facts2 = {"hits": [], "scanned": 5, "skipped": {"binary": 2, "excluded": 1}}
    view = SquashView([(frozenset({"/app/.env", "/t"}), frozenset({"/app"}), frozenset(),
                        frozenset()), (frozenset(), frozenset(), frozenset({"/app/.env"}),
                                       frozenset())])
    report = SecretsAnalyzer().merge([(l1, facts1), (l2, facts2)], view)
    assert report.scanned == 7 and report.skipped == (("binary", 3), ("excluded", 1))
    assert report.truncated == (("/t", "why", l1),)
    (h,) = report.hits
    assert (h.source, h.location, h.line, h.redacted, h.fingerprint) == (
        FILE, "/app/.env", 3, "ghp_…(40 chars)", "IMG-104:aa")
    assert (h.layer, h.layer_index, h.deleted_in, h.deleted_index) == (l1, 0, l2, 1)
    # a view that does not cover the layers (a root filesystem): nothing is deleted
    flat = SecretsAnalyzer().merge([(l1, facts1), (l2, facts2)], SquashView([]))
    assert flat.hits[0].deleted_in is None
    # a layer without a diff id (a directory) and one without facts
    anon = SecretsAnalyzer().merge([("", facts1), (l2, None)], SquashView([]))
    assert (anon.hits[0].layer, anon.hits[0].layer_index) == (None, None)
    assert anon.truncated == (("/t", "why", None),)
    allowed = SecretsAnalyzer(allowlist=Allowlist(rules=frozenset({"IMG-104"}))).merge(
        [(l1, facts1)], SquashView([]))
    assert allowed.hits == () and allowed.suppressed == 1


def test_config_env_labels_history_and_allowlist() -> None:
    from ringfence.secretscan.config import scan_config, scan_config_bounded

    key, gh = aws_key_id(21), github(seed=22)
    config = {"config": {"Env": [f"AWS_ID={key}=x", 7, "PATH=/bin"],
                         "Labels": {"b": "plain", "a": f"token {gh}"}},
              "history": [{"created_by": f"RUN echo {key}"}, "junk", {"created_by": 5}]}
    hits = scan_config(config)
    assert [(h.rule_id, h.source, h.location, h.line) for h in hits] == [
        ("IMG-101", "env", "Env[AWS_ID]", 1), ("IMG-104", "label", "Labels[a]", 1),
        ("IMG-101", "history", "history[0].created_by", 1)]
    assert hits[0].fingerprint == fingerprint("IMG-101", key.encode())
    assert hits[0].redacted == redact(key.encode())
    allow = Allowlist(paths=("Labels[*]",))  # every label key; a file glob never matches
    assert [h.location for h in scan_config(config, allow)] == [
        "Env[AWS_ID]", "history[0].created_by"]
    assert len(scan_config(config, Allowlist(paths=("Labels*", "*")))) == 3
    _, unknowns = scan_config_bounded({"config": {"Env": ["A=" + "x" * (1 << 21)]}})
    assert [(u.location, u.reason) for u in unknowns] == [
        ("Env[A]", f"secret scan truncated: scanned the first {1 << 20} of "
                   f"{(1 << 21) + 2} bytes")]
    assert scan_config({}) == () and scan_config({"config": {"Labels": ["x"]}}) == ()


def test_scan_text_keeps_undecodable_bytes_and_rule_sets() -> None:
    text = f"\udcff\udc80 id = {aws_key_id()}"  # surrogate-escaped bytes of a binary-ish file
    assert [m.rule_id for m in scan_text(text)] == ["IMG-101"]
    assert scan_text(text, [RULES_BY_ID["IMG-109"]]) == []


def test_keyword_index_overlapping_occurrences_find_engine() -> None:
    from ringfence.secretscan.prefilter import KeywordIndex, available_engines

    index = KeywordIndex([b"aa", b"ab"], engine="find")
    assert index.find(b"xAAaAb") == {b"aa": [1, 2, 3], b"ab": [4]}
    assert "find" in available_engines()


def test_excluded_paths_by_basename() -> None:
    from ringfence.secretscan.analyzer import excluded

    assert excluded("/srv/backup.tar.gz") and excluded("/usr/lib/libssl.so.3")
    assert excluded("/app/model.BIN") and excluded("/usr/share/doc/x/README")
    assert excluded("/src/.git/config") and excluded("/app/__pycache__/x.txt")
    assert not excluded("/opt/x.so.d/app.env")      # ".so." in a directory, not the file
    assert not excluded("/opt/img.png/credentials")  # an extension-like directory
    assert not excluded("/root/.db")                 # a dotfile, not a .db file
    assert not excluded("/etc/app.conf") and not excluded("/app/.env")


def test_analyzer_counts_every_oversized_file() -> None:
    from ringfence.secretscan.analyzer import SecretsAnalyzer

    state = SecretsAnalyzer(max_bytes=10).new_state()
    state.observe(_entry("/w", None, kind="too-large", size=10**9))
    for n in range(3):
        state.observe(_entry(f"/big{n}", b"x" * 11))
    assert state.facts()["skipped"] == {"too-large": 4}


def test_analyzer_merge_edge_layers() -> None:
    from ringfence.layers.analyzer import SquashView
    from ringfence.secretscan.analyzer import SecretsAnalyzer

    l1, l2 = "sha256:" + "1" * 64, "sha256:" + "2" * 64
    facts = {"hits": [["/k", "IMG-104", 1, "r", "IMG-104:aa"]], "scanned": 1, "skipped": {}}
    # a layer without facts before one with them: the later layer still counts
    report = SecretsAnalyzer().merge([(l1, None), (l2, facts)], SquashView([]))
    assert report.scanned == 1 and [h.layer for h in report.hits] == [l2]
    # a view of other layers than the facts: no deletion is inferred from it
    view = SquashView([(frozenset({"/k"}), frozenset(), frozenset(), frozenset()),
                       (frozenset(), frozenset(), frozenset({"/k"}), frozenset())])
    alone = SecretsAnalyzer().merge([(l1, facts)], view)
    assert alone.hits[0].deleted_in is None and alone.hits[0].deleted_index is None


def test_config_values_with_undecodable_bytes() -> None:
    from ringfence.secretscan.config import scan_config

    hits = scan_config({"config": {"Env": [f"K=\udcff{aws_key_id(31)}"]}})
    assert [(h.rule_id, h.location) for h in hits] == [("IMG-101", "Env[K]")]


def test_default_keyword_engine_and_errors() -> None:
    from ringfence.secretscan.prefilter import KeywordIndex, available_engines

    assert KeywordIndex([b"akia"]).engine == available_engines()[0]
    for bad in ([b""], [b"AKIA"]):
        with pytest.raises(ValueError) as exc:
            KeywordIndex(bad)
        assert str(exc.value) == "keywords must be non-empty lowercase byte strings"


def test_allowlist_error_subjects(tmp_path: Path) -> None:
    with pytest.raises(InputError) as exc:
        Allowlist.parse("rules = 1")
    assert exc.value.subject == "allow-list"
    with pytest.raises(InputError) as exc:
        Allowlist.load(tmp_path)
    assert exc.value.subject == str(tmp_path)


def test_description_of_a_hit_from_an_unnamed_layer() -> None:
    hit = SecretHit("IMG-104", FILE, "/k", 2, "r", "f", None, 0)
    assert hit.describe("T") == "T (r) in /k:2, added in layer 1 ()"


def test_jwt_header_of_every_padding_length() -> None:
    # unpadded base64url header lengths 30 (2 "=" needed), 31 (1) and 32 (none)
    for header in (b'{"alg":"HS256","x":12}', b'{"alg":"HS256","x":123}',
                   b'{"alg":"HS256","x":1234}'):
        assert len(base64.urlsafe_b64encode(header).rstrip(b"=")) in (30, 31, 32)
        assert _ids(f"auth: {_jwt_with_header(header)}") == ["IMG-109"], header


@pytest.mark.parametrize("value", [
    "xKoqWmPzRtYvLbN0", "xKoqWmPzRtYvLbN9",      # the only digit at each end of 0-9
    "A1234567890@#$%^", "Z1234567890@#$%^",      # the only letter at each end of A-Z
    "a1234567890@#$%^", "z1234567890@#$%^"])     # ... and of a-z
def test_generic_value_character_classes_at_their_bounds(value: str) -> None:
    assert _ids(f'password = "{value}"') == ["IMG-110"]


def test_entropy_threshold_is_inclusive() -> None:
    # 4 symbols twice, 8 once: exactly 3.5 bits per character, IMG-110's threshold
    assert entropy(b"aabbcc11defgh234") == 3.5 == RULES_BY_ID["IMG-110"].min_entropy
    assert _ids('password = "aabbcc11defgh234"') == ["IMG-110"]


def test_line_breaks_do_not_count_towards_a_keys_entropy() -> None:
    # 22 symbols uniformly: 4.46 bits, under IMG-108's 4.5; its line breaks would lift the
    # figure to 4.51 if they were counted
    chars = ("ABCDEFGHIJKLMNOPQRSTUV" * 30)[:660]
    body = "\n".join(chars[i:i + 64] for i in range(0, len(chars), 64)) + "\n"
    assert entropy(body.replace("\n", "").encode()) < 4.5 <= entropy(body.encode())
    for eol in ("\n", "\r\n"):
        pem = f"-----BEGIN PRIVATE KEY-----{eol}{body.replace(chr(10), eol)}" \
              f"-----END PRIVATE KEY-----{eol}"
        assert _ids(pem) == []


def test_attempts_are_counted_when_the_candidate_budget_stops_the_scan() -> None:
    cut = scan_bounded(_keys(3), max_candidates=2)
    assert cut.attempts == 3 and len(cut.matches) == 2
