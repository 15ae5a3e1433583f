"""``ringfence host declared PLAYBOOK --root DIR`` with the real ansible-playbook (the
``ansible`` package of the test extra): check mode through the chroot connection into
bookworm-py's root filesystem (it has the Python that Ansible's modules need).

The playbook, written here, hardens sshd, drops a sysctl file, renders a template and holds
a package: each is a task that would change the fresh root, and none is after the playbook
has been applied for real. A ``command`` task is not evaluated (check mode cannot know),
a task skipped by ``when`` is neither."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from ringfence.cli.main import main
from ringfence.schemas import schema_for

PLAYBOOK = """\
- hosts: all
  gather_facts: false
  tasks:
    - name: sshd refuses root logins
      ansible.builtin.lineinfile:
        path: /etc/ssh/sshd_config
        regexp: '^#?PermitRootLogin'
        line: PermitRootLogin no
        create: true
        mode: "0600"
    - name: sysctl.d exists
      ansible.builtin.file:
        path: /etc/sysctl.d
        state: directory
        mode: "0755"
    - name: kernel pointers hidden
      ansible.builtin.copy:
        dest: /etc/sysctl.d/90-hardening.conf
        content: "kernel.kptr_restrict = 2\\n"
        mode: "0644"
    - name: motd from template
      ansible.builtin.template:
        src: motd.j2
        dest: /etc/motd
        mode: "0644"
    - name: bash held at its version
      ansible.builtin.dpkg_selections:
        name: bash
        selection: hold
    - name: reload something
      ansible.builtin.command: /bin/true
    - name: never on this host
      ansible.builtin.file:
        path: /etc/never
        state: touch
      when: false
"""
CHANGING = {"sshd refuses root logins": ["/etc/ssh/sshd_config"],
            "sysctl.d exists": ["/etc/sysctl.d"],
            "kernel pointers hidden": ["/etc/sysctl.d/90-hardening.conf"],
            "motd from template": ["/etc/motd"],
            "bash held at its version": []}

pytestmark = pytest.mark.skipif(os.geteuid() != 0, reason="the chroot connection needs root")


def _ansible() -> str:
    beside = Path(sys.executable).parent / "ansible-playbook"
    found = shutil.which("ansible-playbook") or (str(beside) if beside.is_file() else None)
    if found is None:
        pytest.fail("ansible-playbook missing: the test extra installs `ansible`")
    return found


@pytest.fixture(scope="module")
def pristine(images_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    bundle = tmp_path_factory.mktemp("bundle") / "b"
    subprocess.run(["umoci", "unpack", "--image", f"{images_dir / 'bookworm-py.oci'}:latest",
                    str(bundle)], check=True, capture_output=True)
    return bundle / "rootfs"


@pytest.fixture()
def setup(pristine: Path, tmp_path: Path) -> tuple[Path, Path]:
    root = tmp_path / "root"
    shutil.copytree(pristine, root, symlinks=True)
    books = tmp_path / "playbooks"
    books.mkdir()
    (books / "site.yml").write_text(PLAYBOOK)
    (books / "motd.j2").write_text("Managed host {{ inventory_hostname | basename }}\n")
    return root, books / "site.yml"


def _declared(playbook: Path, root: Path, *extra: str) -> tuple[int, dict[str, Any]]:
    out = playbook.parent / "out.json"
    out.unlink(missing_ok=True)
    code = main(["host", "declared", str(playbook), "--root", str(root), "--ansible-playbook",
                 _ansible(), "-f", "json", "-o", str(out), *extra])
    doc = json.loads(out.read_text()) if out.exists() else {}
    if doc:  # every document this command writes validates against its published schema
        schema = schema_for(doc)
        assert schema is not None
        jsonschema.Draft202012Validator(schema).validate(doc)
    return code, doc


def test_check_mode_reports_exactly_the_tasks_that_would_change(
        setup: tuple[Path, Path]) -> None:
    root, playbook = setup
    before = {p: (root / p[1:]).exists()
              for p in ("/etc/motd", "/etc/sysctl.d/90-hardening.conf")}
    code, doc = _declared(playbook, root, "--fail-on", "medium")
    assert code == 1, doc
    changing = {i["name"]: i["files"] for i in doc["items"] if i["status"] == "would change"}
    assert changing == CHANGING
    by_name = {i["name"]: i for i in doc["items"]}
    assert "+PermitRootLogin no" in by_name["sshd refuses root logins"]["diff"]
    assert "+kernel.kptr_restrict = 2" in by_name["kernel pointers hidden"]["diff"]
    assert by_name["reload something"]["status"] == "not evaluated"
    assert by_name["never on this host"]["status"] == "skipped"
    assert {f["rule"] for f in doc["findings"]} == {"HOST-110"}
    assert len(doc["findings"]) == 5
    line = PLAYBOOK.splitlines().index("    - name: reload something") + 1
    assert [u["location"] for u in doc["unknowns"]] == [f"site.yml:{line}"]
    # check mode changed nothing
    assert before == {p: (root / p[1:]).exists() for p in before}


def test_nothing_would_change_once_the_playbook_is_applied(setup: tuple[Path, Path]) -> None:
    root, playbook = setup
    subprocess.run([_ansible(), str(playbook), "-i", f"{root},", "-c",
                    "community.general.chroot"], check=True, capture_output=True,
                   env={**os.environ, "ANSIBLE_NOCOLOR": "1"})
    assert "PermitRootLogin no" in (root / "etc/ssh/sshd_config").read_text()
    code, doc = _declared(playbook, root, "--fail-on", "low")
    assert code == 0, doc
    assert doc["findings"] == [] and "HOST-110" in doc["evaluated"]
    assert [i["name"] for i in doc["items"] if i["status"] == "in state"] == list(CHANGING)
    code, _ = _declared(playbook, root, "--strict")  # the command task stays unknown
    assert code == 4


def test_a_playbook_that_does_not_parse_is_an_error(setup: tuple[Path, Path],
                                                    capsys: pytest.CaptureFixture[str]) -> None:
    root, playbook = setup
    playbook.write_text("- hosts: all\n  tasks:\n    - name: [unclosed\n")
    code, doc = _declared(playbook, root)
    assert code == 3 and doc == {}
    assert "ansible-playbook failed" in capsys.readouterr().err


def test_missing_ansible_is_an_error_with_the_install_hint(
        setup: tuple[Path, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    root, playbook = setup
    code = main(["host", "declared", str(playbook), "--root", str(root), "--ansible-playbook",
                 str(tmp_path / "no-ansible-playbook"), "-f", "json"])
    err = capsys.readouterr().err
    assert code == 3 and "not installed" in err and "pip install ansible" in err


def test_a_root_ansible_cannot_enter_is_an_error(setup: tuple[Path, Path], tmp_path: Path,
                                                 capsys: pytest.CaptureFixture[str]) -> None:
    _, playbook = setup
    empty = tmp_path / "empty-root"  # no shell, no Python: nothing can run inside it
    empty.mkdir()
    code, doc = _declared(playbook, empty)
    assert code == 3 and doc == {}, doc
    assert "error:" in capsys.readouterr().err


@pytest.mark.parametrize("kind", ["fifo", "huge"])
def test_a_playbook_that_is_not_a_regular_file_of_sane_size_is_refused(
        setup: tuple[Path, Path], kind: str, capsys: pytest.CaptureFixture[str]) -> None:
    root, playbook = setup
    playbook.unlink()
    if kind == "fifo":
        os.mkfifo(playbook)  # ansible-playbook would block on it forever
    else:
        playbook.write_bytes(b"# " + b"x" * (17 << 20) + b"\n")
    code, doc = _declared(playbook, root)
    err = capsys.readouterr().err
    assert code == 3 and doc == {}
    assert ("not a regular file" in err) if kind == "fifo" else ("larger than" in err)
