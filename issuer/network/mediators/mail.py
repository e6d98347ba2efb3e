"""The e-mail carrying a one-time sign-in link to "Mon espace" (templates/email/sign_in.*),
queued like the coordinators' invitations: a row of `email_messages` and the composed message
spooled to var/mail-queue/, which `issuer.mail.deliver_pending` sends (SMTP, or the outbox
folder) and then deletes. The link is the message's only copy: never logged nor audited."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
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
from issuer.openbadges.credential import CITY_TIMEZONE, normalise_email
from issuer.settings import Settings
from issuer.storage.workspace_models import EmailMessage as MessageRow

if TYPE_CHECKING:
    from issuer.issuance.service import IssuerService

SIGN_IN_MAIL_KIND = "sign-in"
_AUDIT_ACTOR = "anonymous"  # the person asked from a page, before signing in



@dataclass(frozen=True)
class SignInMailFacts:
    display_name: str | None
    link: str
    expires_day: str
    expires_time: str
    minutes: int
    issuer_name: str
    privacy_url: str
    contact_email: str


def compose_sign_in_link(settings: Settings, *, to: str, display_name: str | None, link: str,
                         expires_at: datetime, valid_for: timedelta,
                         locale: str = "fr") -> EmailMessage:
    """The e-mail carrying a one-time sign-in link to "Mon espace" (templates/email/sign_in.*),
    in the person's language first, then the other, like every e-mail of the service.
    `valid_for` is the link's lifetime, `expires_at` its end (both are said)."""
    primary = normalise_locale(locale)
    base = settings.base_url.rstrip("/")
    local = expires_at.astimezone(CITY_TIMEZONE)

    def facts(lang: str) -> SignInMailFacts:
        babel_locale = "en_GB" if lang == "en" else "fr_FR"
        return SignInMailFacts(
            display_name=clean_name(display_name), link=link,
            expires_day=format_date(local.date(), "long", locale=babel_locale),
            expires_time=format_time(local.time(), "short", locale=babel_locale),
            minutes=int(valid_for.total_seconds() // 60), issuer_name=settings.profile_name,
            privacy_url=f"{base}{PRIVACY_PATH}", contact_email=settings.profile_email)

    return bilingual_email(
        settings, "sign_in",
        lambda lang: gettext("Your link to sign in to your badges space", lang), facts,
        to=to, display_name=display_name, locale=primary)


def queue_sign_in_link(service: IssuerService, session: Session, *, recipient_id: str, to: str,
                       display_name: str | None, link: str, expires_at: datetime,
                       valid_for: timedelta, locale: str = "fr",
                       origin: str | None = None) -> MessageRow:
    """Queue the sign-in e-mail in `session`, the way issuer.mail queues an invitation: a row
    of `email_messages` (kind "sign-in") and the composed message spooled to
    var/mail-queue/<id>.eml (0600), which `deliver_pending` sends and then deletes. Call
    `issuer.mail.deliver_pending(service)` after the transaction commits. The audit line
    names the person by their recipient id only."""
    address = normalise_email(to)
    message = compose_sign_in_link(service.settings, to=address, display_name=display_name,
                                   link=link, expires_at=expires_at, valid_for=valid_for,
                                   locale=locale)
    row = new_message_row(session, kind=SIGN_IN_MAIL_KIND, to=address,
                          subject=str(message["Subject"]), locale=locale, credential_id=None,
                          actor=_AUDIT_ACTOR, origin=origin, audit_subject=recipient_id)
    write_outbox(service.settings.var_dir / SPOOL_FOLDER, row.id, message)
    return row


