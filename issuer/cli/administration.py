"""Running an installation: issuer keys, workspace administrators, the e-mail queue, the purge of
personal data past the retention period."""

from __future__ import annotations

import click

from issuer.cli.context import _, handles_errors, initialised_service, load_service


# -- keys ---------------------------------------------------------------------------------------
@click.group(help=_("Issuer keys."))
def keys() -> None:
    pass


@keys.command("list", help=_("List the keys: id, algorithm, created, retired."))
@handles_errors
def keys_list() -> None:
    service = load_service()
    for key in service.keystore.keys():
        state = key.retired.date().isoformat() if key.retired else _("active")
        click.echo(f"{key.kid:<36} {key.algorithm:<8} {key.created.date()} {state}")


@keys.command("rotate", help=_("Create new keys and retire the current ones; old public keys stay "
                               "published so earlier badges still verify."))
@handles_errors
def keys_rotate() -> None:
    service = initialised_service()
    for key in service.rotate_keys():
        click.echo(_("Key created: {kid} ({algorithm})").format(kid=key.kid, algorithm=key.algorithm))


# -- admin (workspace accounts) -----------------------------------------------------------------
@click.group(help=_("Accounts of the coordinator's workspace (/admin)."))
def admin() -> None:
    pass


@admin.command("create", help=_("Create an administrator account of the workspace. The password is "
                                "asked twice (hidden), or read from ISSUER_ADMIN_PASSWORD in scripts."))
@click.argument("email")
@click.option("--name", help=_("Name shown in the workspace (default: the start of the e-mail)."))
@handles_errors
def admin_create(email: str, name: str | None) -> None:
    from issuer.workspace.accounts import Accounts

    service = load_service()
    password = service.settings.admin_password
    if not password:
        password = click.prompt(_("Password (at least 12 characters)"), hide_input=True,
                                confirmation_prompt=_("Repeat the password"))
    service.settings.var_dir.mkdir(parents=True, exist_ok=True)  # the default SQLite file's home
    service.database.migrate()
    user = Accounts(service.database).create_administrator(email, name or "", password)
    click.echo(_("Administrator created: {email}. Sign in at {url}/admin/connexion").format(
        email=user.email, url=service.settings.base_url))


# -- mail ---------------------------------------------------------------------------------------
@click.group(help=_("E-mails to recipients and coordinators (SMTP settings: ISSUER_SMTP_*)."))
def mail() -> None:
    pass


@mail.command("retry", help=_("Send the queued e-mails and retry the failed ones that are due "
                              "(run it from cron every few minutes). Exit code 0 even when some "
                              "fail: failures are kept, shown in /admin/courriels and retried."))
@click.option("--limit", type=click.IntRange(min=1), help=_("Send at most this many e-mails."))
@handles_errors
def mail_retry(limit: int | None) -> None:
    from issuer.mail import retry_due

    report = retry_due(initialised_service(), limit=limit, actor="cli")
    click.echo(_("{sent} sent, {outbox} written to the outbox, {failed} not delivered").format(
        sent=len(report.sent), outbox=len(report.outbox), failed=len(report.failed)))


# -- purge (personal data past the retention period) -------------------------------------------
@click.command(help=_("Erase the personal data of badges revoked more than ISSUER_RETENTION_DAYS "
                     "days ago (run it daily from cron). Status lists do not change."))
@handles_errors
def purge() -> None:
    from issuer.workspace.recipients import purge_expired_personal_data

    report = purge_expired_personal_data(initialised_service())
    click.echo(_("Purge done (before {cutoff}): people erased: {people}; badges forgotten: "
                 "{badges}; rejected badge requests deleted: {claims}.").format(
        people=report.people_erased, badges=report.badges_forgotten,
        claims=report.claims_deleted, cutoff=report.cutoff.date().isoformat()))
