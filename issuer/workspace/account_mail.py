"""The e-mail telling a workspace account's owner that someone keeps failing to sign in to
their account (templates/email/sign_in_alert.*; issue #10 item 2). Sent once per episode of
failures (issuer.workspace.sign_in_throttle), queued in the transaction that records the failure and
sent after it like every message of the service: a row of `email_messages` (kind
"sign-in-alert") and the composed message spooled to var/mail-queue/, which
`issuer.mail.deliver_pending` sends (SMTP, or the outbox folder).

The message holds no link that signs anyone in: only the workspace's address."""

from __future__ import annotations

from dataclasses import dataclass
from email.message import EmailMessage
from typing import TYPE_CHECKING

from babel.dates import format_date, format_time
from sqlalchemy.orm import Session

from issuer.i18n import gettext, normalise_locale

# One compose tail for every e-mail (the City's frame, both languages, headers that refuse
# CR/LF): issuer.mail.compose.bilingual_email.
from issuer.mail.compose import PRIVACY_PATH, bilingual_email, clean_name
from issuer.mail.delivery import SPOOL_FOLDER, new_message_row
from issuer.mail.transport import write_outbox
from issuer.openbadges.credential import CITY_TIMEZONE
from issuer.settings import Settings
from issuer.storage.workspace_models import EmailMessage as MessageRow
from issuer.workspace.sign_in_steps import AlertOwner, SignInAlert

if TYPE_CHECKING:
    from issuer.issuance.service import IssuerService

SIGN_IN_ALERT_KIND = "sign-in-alert"


@dataclass(frozen=True)
class SignInAlertFacts:
    display_name: str | None
    failures: int
    since_day: str
    since_time: str
    clients: tuple[str, ...]
    more_clients: int
    issuer_name: str
    workspace_url: str
    privacy_url: str
    contact_email: str


def compose_sign_in_alert(settings: Settings, alert: SignInAlert, *,
                          locale: str = "fr") -> EmailMessage:
    """The alert, in the owner's language first (French unless said otherwise), then the
    other."""
    primary = normalise_locale(locale)
    base = settings.base_url.rstrip("/")
    since = alert.first_failure_at.astimezone(CITY_TIMEZONE)

    def facts(lang: str) -> SignInAlertFacts:
        babel_locale = "en_GB" if lang == "en" else "fr_FR"
        return SignInAlertFacts(
            display_name=clean_name(alert.display_name), failures=alert.failures,
            since_day=format_date(since.date(), "long", locale=babel_locale),
            since_time=format_time(since.time(), "short", locale=babel_locale),
            clients=tuple(clean_name(client) or "?" for client in alert.clients),
            more_clients=alert.more_clients, issuer_name=settings.profile_name,
            workspace_url=f"{base}/admin", privacy_url=f"{base}{PRIVACY_PATH}",
            contact_email=settings.profile_email)

    return bilingual_email(
        settings, "sign_in_alert",
        lambda lang: gettext("Failed sign-ins to your workspace account", lang), facts,
        to=alert.email, display_name=alert.display_name, locale=primary)


def queue_sign_in_alert(service: IssuerService, session: Session,
                        alert: SignInAlert) -> MessageRow:
    """Queue the alert in `session` (the one recording the failure); call
    `issuer.mail.deliver_pending(service)` after it commits. The audit line names the account
    by its id, never its address."""
    message = compose_sign_in_alert(service.settings, alert)
    row = new_message_row(session, kind=SIGN_IN_ALERT_KIND, to=alert.email,
                          subject=str(message["Subject"]), locale="fr", credential_id=None,
                          actor="anonymous", origin=None, audit_subject=alert.user_id)
    write_outbox(service.settings.var_dir / SPOOL_FOLDER, row.id, message)
    return row


def sign_in_alerts_for(service: IssuerService) -> AlertOwner:
    """The `alert_owner` of `issuer.workspace.accounts.Accounts` for this service."""

    def alert_owner(session: Session, alert: SignInAlert) -> MessageRow:
        return queue_sign_in_alert(service, session, alert)

    return alert_owner
