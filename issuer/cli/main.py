"""The `issuer` command group (the console entry point `issuer.cli.main:main`), with the commands
of each module of `issuer.cli`."""

from __future__ import annotations

import click

from issuer.cli.administration import admin, keys, mail, purge
from issuer.cli.backups import backup, restore
from issuer.cli.context import CONTEXT_SETTINGS, _
from issuer.cli.council import council
from issuer.cli.installation import init
from issuer.cli.issuing import (
    badges,
    check_deployment,
    issue,
    issue_batch,
    publish,
    revoke,
    suspend,
    unsuspend,
)
from issuer.cli.server import db, serve
from issuer.cli.verifying import verify


@click.group(context_settings=CONTEXT_SETTINGS,
             help=_("Open Badges 3.0 issuer of the City of Roubaix: create keys, issue, verify, "
                    "revoke and publish signed badges. Settings come from ISSUER_* environment "
                    "variables and an optional issuer.toml (see README)."))
@click.version_option(package_name="roubaix-badges-issuer")
def main() -> None:
    pass


for command in (init, badges, issue, issue_batch, verify, revoke, suspend, unsuspend, publish,
                check_deployment,
                serve, db, keys, admin, mail, purge, backup, restore, council):
    main.add_command(command)


if __name__ == "__main__":  # pragma: no cover
    main()
