"""Entry point: the command group and the single ``except Error``."""

from __future__ import annotations

import sys

import click

from ringfence import __version__
from ringfence.cli.db import db_group
from ringfence.cli.diff import baseline_group, diff_cmd
from ringfence.cli.harden import harden_cmd
from ringfence.cli.host import host_cmd
from ringfence.cli.k8s import k8s_cmd
from ringfence.cli.netpol import netpol_cmd
from ringfence.cli.probe import probe_cmd
from ringfence.cli.rbac import rbac_cmd
from ringfence.cli.runtime import runtime_cmd
from ringfence.cli.sbom import image_cmd, sbom_cmd
from ringfence.cli.scan import scan_cmd
from ringfence.cli.seccomp import seccomp_group
from ringfence.cli.trust import TRUST_COMMANDS
from ringfence.cli.webhook import webhook_group
from ringfence.errors import Error


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="ringfence")
def cli() -> None:
    """ringfence: defense in depth for containers — image, host and platform rings."""


cli.add_command(sbom_cmd)
for _command in TRUST_COMMANDS:
    cli.add_command(_command)
cli.add_command(image_cmd)
cli.add_command(rbac_cmd)
cli.add_command(netpol_cmd)
cli.add_command(db_group)
cli.add_command(k8s_cmd)
cli.add_command(host_cmd)
cli.add_command(diff_cmd)
cli.add_command(baseline_group)
cli.add_command(runtime_cmd)
cli.add_command(seccomp_group)
cli.add_command(probe_cmd)
cli.add_command(scan_cmd)
cli.add_command(harden_cmd)
cli.add_command(webhook_group)


def main(argv: list[str] | None = None) -> int:
    try:
        # without standalone mode click returns (not raises) the code of Exit(n)
        status = cli.main(args=argv, prog_name="ringfence", standalone_mode=False)
    except Error as exc:
        click.echo(f"error: {exc.diagnostics()}", err=True)
        return exc.exit_code
    except click.exceptions.Abort:
        click.echo("aborted", err=True)
        return 3
    except click.ClickException as exc:
        exc.show()
        return 2
    except click.exceptions.Exit as exc:
        return int(exc.exit_code)
    return status if isinstance(status, int) else 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
