"""``docker run`` / ``podman run`` flags for a plan.

podman mounts its own tmpfs on /run, /tmp and /var/tmp under ``--read-only`` unless told
``--read-only-tmpfs=false``; the plan's explicit tmpfs list (with noexec and a size) is used
instead so both engines get the same mounts. The seccomp profile is written next to the
command (``seccomp_path``) and referenced with ``--security-opt seccomp=PATH``.
"""

from __future__ import annotations

import shlex
from typing import Final

from ringfence.errors import UsageError
from ringfence.harden.plan import Plan, tmpfs_options

ENGINES: Final = ("docker", "podman")


def run_flags(plan: Plan, engine: str = "docker",
              seccomp_path: str | None = "seccomp.json") -> list[str]:
    """The flags, in the order the plan decides them; ``seccomp_path`` None leaves the
    engine's default profile in place."""
    if engine not in ENGINES:
        raise UsageError(engine, f"unknown engine (have {', '.join(ENGINES)})")
    flags = ["--read-only"]
    if engine == "podman":
        flags.append("--read-only-tmpfs=false")
    flags += [f"--tmpfs={t.path}:{','.join(tmpfs_options(plan, t, engine))}"
              for t in plan.tmpfs]
    flags += ["--cap-drop=ALL", *(f"--cap-add={c}" for c in plan.cap_add),
              "--security-opt=no-new-privileges"]
    if seccomp_path is not None:
        flags.append(f"--security-opt=seccomp={seccomp_path}")
    flags += [f"--user={plan.user}", f"--pids-limit={plan.pids}", f"--memory={plan.memory}"]
    return flags


def run_command(plan: Plan, engine: str = "docker", seccomp_path: str | None = "seccomp.json",
                image: str = "") -> str:
    """A copyable shell command line, one flag a line."""
    parts = [f"{engine} run --rm", *(shlex.quote(f) for f in run_flags(plan, engine,
                                                                      seccomp_path))]
    parts.append(shlex.quote(image or plan.workload.image or "IMAGE"))
    return " \\\n  ".join(parts)
