"""Running an installation: issuer keys, workspace administrators, the e-mail queue, the purge of
personal data past the retention period."""

from __future__ import annotations

import click

from issuer.cli.context import LOCALE, _, handles_errors, initialised_service, load_service
from issuer.issuance.keys import KEY_REVOCATION_REASONS, IssuerKey, KeyRevocationReason


# -- keys ---------------------------------------------------------------------------------------
@click.group(help=_("Issuer keys."))
def keys() -> None:
    pass


@keys.command("list", help=_("List the keys: id, algorithm, created, state (current, retired, "
                             "revoked) with its date and, for a revoked key, the reason."))
@handles_errors
def keys_list() -> None:
    service = load_service()
    for key in service.keystore.all_keys():
        click.echo(f"{key.kid:<36} {key.algorithm:<8} {key.created.date()} {_key_state(key)}")


def _key_state(key: IssuerKey) -> str:
    if key.revoked is not None:
        reason = KEY_REVOCATION_REASONS.get(key.revocation_reason or "")
        why = (reason[0] if LOCALE == "fr" else reason[1]) if reason else "?"
        return _("revoked on {date} ({reason})").format(date=key.revoked.date(), reason=why)
    if key.retired is not None:
        return _("retired on {date}").format(date=key.retired.date())
    return _("current")


@keys.command("rotate", help=_("Create new keys and retire the current ones; old public keys stay "
                               "published so earlier badges still verify."))
@handles_errors
def keys_rotate() -> None:
    service = initialised_service()
    for key in service.rotate_keys():
        click.echo(_("Key created: {kid} ({algorithm})").format(kid=key.kid, algorithm=key.algorithm))


@keys.command("retire", help=_("Stop signing with key KID; it stays in the DID document, so the "
                               "badges it signed still verify. A new key replaces it when it was "
                               "the current one."))
@click.argument("kid")
@handles_errors
def keys_retire(kid: str) -> None:
    service = initialised_service()
    created = service.retire_key(kid)
    click.echo(_("Key retired: {kid}").format(kid=kid))
    for key in created:
        click.echo(_("Key created: {kid} ({algorithm})").format(kid=key.kid, algorithm=key.algorithm))


@keys.command("revoke", help=_("Key incident: revoke key KID (final). It leaves the DID document "
                               "and stops signing (a new key replaces it when it was the current "
                               "one); every badge it signed is issued again with the current key "
                               "and its holder told by e-mail. Safe to run again. See "
                               "docs/DEPLOYMENT.md."))
@click.argument("kid")
@click.option("--reason", required=True, type=click.Choice(sorted(KEY_REVOCATION_REASONS)),
              help=_("Why: compromise (the private key may have been copied) or superseded (no "
                     "longer considered safe)."))
@handles_errors
def keys_revoke(kid: str, reason: KeyRevocationReason) -> None:
    from issuer.mail import deliver_pending
    from issuer.workspace.key_incident import revoke_key

    service = initialised_service()
    report = revoke_key(service, kid, reason, actor="cli")
    if report.already_revoked:
        click.echo(_("Key {kid} was already revoked.").format(kid=kid))
    else:
        click.echo(_("Key revoked: {kid}").format(kid=kid))
    for key in report.created:
        click.echo(_("Key created: {kid} ({algorithm})").format(kid=key.kid, algorithm=key.algorithm))
    click.echo(_("Badges issued again: {badges}; wallet copies revoked: {copies}; endorsements "
                 "signed again: {endorsements}.").format(
        badges=len(report.reissued), copies=len(report.copies_revoked),
        endorsements=len(report.endorsements_resigned)))
    for refused in report.not_reissued:
        click.echo(_("Not issued again: {id} ({reason})").format(
            id=refused.credential_id,
            reason=refused.message_fr if LOCALE == "fr" else refused.message_en), err=True)
    deliver_pending(service)
    click.echo(_("Publish the new DID document if it is served as a static file "
                 "(`issuer publish`), then see docs/DEPLOYMENT.md."))


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
    from issuer.workspace.recipient_erasure import purge_expired_personal_data

    report = purge_expired_personal_data(initialised_service())
    click.echo(_("Purge done (before {cutoff}): people erased: {people}; badges forgotten: "
                 "{badges}; rejected badge requests deleted: {claims}.").format(
        people=report.people_erased, badges=report.badges_forgotten,
        claims=report.claims_deleted, cutoff=report.cutoff.date().isoformat()))
