"""`issuer backup FILE` and `issuer restore FILE` (issuance.backup; docs/DEPLOYMENT.md, section 6).

Exit codes of `issuer restore` (README, "Command line"): 0 restored; 1 refused (the
installation is not empty without --force, another kind of database, a tool missing); 3 wrong
passphrase; 4 the archive was modified, is damaged, or is not one of ours. Nothing is written
before the archive has been checked whole.
"""

from __future__ import annotations

from pathlib import Path

import click

from issuer.cli.context import _, fail, handles_errors, initialised_service

EXIT_WRONG_PASSPHRASE = 3
EXIT_DAMAGED_ARCHIVE = 4


def _passphrase(given: str | None, *, confirm: bool) -> str:
    if given:
        return given
    return str(click.prompt(_("Backup passphrase"), hide_input=True,
                            confirmation_prompt=confirm, err=True))


@click.command(help=_("Back up the installation into one archive (mode 0600), encrypted as a "
                     "whole with a passphrase (ISSUER_BACKUP_PASSPHRASE, else asked): a "
                     "consistent copy of the database taken while the service runs, the keys, "
                     "issuer.toml and the uploaded evidence files."))
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@handles_errors
def backup(file: Path) -> None:
    from issuer.issuance.backup import create_backup

    service = initialised_service()
    settings = service.settings
    revision = service.database.schema_state().current
    summary = create_backup(settings, file,
                            _passphrase(settings.backup_passphrase, confirm=True),
                            schema_revision=revision)
    click.echo(_("Backup written: {path} ({kind} database, {keys} key files, {files} other "
                 "files)").format(path=summary.path, kind=summary.database_kind,
                                  keys=summary.key_files, files=summary.home_files))


@click.command(help=_("Restore an archive made by `issuer backup` into an empty installation "
                     "(ISSUER_HOME and DATABASE_URL). The archive is checked whole first: a wrong "
                     "passphrase exits with 3, a modified or damaged archive with 4."))
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--force", is_flag=True,
              help=_("Replace the keys, database and files of a non-empty installation."))
@handles_errors
def restore(file: Path, force: bool) -> None:
    from issuer.issuance.backup import DamagedArchive, WrongPassphrase, restore_backup
    from issuer.settings import Settings

    settings = Settings.load()
    try:
        manifest = restore_backup(settings, file,
                                  _passphrase(settings.backup_passphrase, confirm=False),
                                  force=force)
    except WrongPassphrase as error:
        fail(error, exit_code=EXIT_WRONG_PASSPHRASE)
    except DamagedArchive as error:
        fail(error, exit_code=EXIT_DAMAGED_ARCHIVE)
    click.echo(_("Restored the backup of {created} ({kind} database). Start the service "
                 "(`issuer db upgrade` first if this version is newer); key files encrypted at "
                 "rest need the same ISSUER_KEY_PASSPHRASE as before.").format(
                     created=manifest["created"], kind=manifest["database"]["kind"]))
