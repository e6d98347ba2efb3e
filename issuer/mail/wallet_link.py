"""The e-mail carrying a one-time holder link (templates/email/wallet_link.*), sent when
someone on a badge page says "C'est mon badge". Queued like the sign-in e-mail of "Mon
espace" (issuer.network.mediators.mail): a row of `email_messages` and the composed message spooled
to var/mail-queue/, which `issuer.mail.deliver_pending` sends and then deletes. The link is the
message's only copy: never logged nor audited."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from email.message import EmailMessage
from typing import TYPE_CHECKING

from babel.dates import format_date
from sqlalchemy.orm import Session

from issuer.i18n import gettext, normalise_locale

# The mail module's building blocks, as issuer.network.mediators.mail uses them.
from issuer.mail.compose import (
    PRIVACY_PATH,
    badge_mail_facts,
    bilingual_email,
)
from issuer.mail.delivery import SPOOL_FOLDER, deliver_pending, new_message_row
from issuer.mail.transport import write_outbox
from issuer.openbadges.credential import CITY_TIMEZONE, normalise_email
from issuer.storage.audit_log import record_audit
from issuer.storage.models import IssuedCredential, utc_now
from issuer.storage.workspace_models import EmailMessage as MessageRow
from issuer.wallet.holder_links import (
    ANONYMOUS_ACTOR,
    POLICY,
    HolderLinkPolicy,
    create_holder_link,
    deliverable_badge,
    holder_link_url,
)

if TYPE_CHECKING:
    from issuer.issuance.service import IssuerService

WALLET_LINK_MAIL_KIND = "wallet-link"
HELP_PATH = "/aide/portefeuille"


@dataclass(frozen=True)
class HolderLinkFacts:
    holder_name: str | None
    badge_name: str
    link: str
    expires_day: str
    help_url: str
    issuer_name: str
    privacy_url: str
    contact_email: str


def compose_holder_link(service: IssuerService, credential: IssuedCredential, *, to: str,
                        link: str, expires_at: datetime, locale: str = "fr") -> EmailMessage:
    settings = service.settings
    primary = normalise_locale(locale)
    base = settings.base_url.rstrip("/")

    def facts(lang: str) -> HolderLinkFacts:
        badge = badge_mail_facts(settings, service.catalogue, credential, lang)
        return HolderLinkFacts(
            holder_name=badge.holder_name, badge_name=badge.badge_name, link=link,
            expires_day=format_date(expires_at.astimezone(CITY_TIMEZONE).date(), "long",
                                    locale="en_GB" if lang == "en" else "fr_FR"),
            help_url=f"{base}{HELP_PATH}", issuer_name=settings.profile_name,
            privacy_url=f"{base}{PRIVACY_PATH}", contact_email=settings.profile_email)

    return bilingual_email(settings, "wallet_link",
                           lambda lang: gettext("Add your badge to your digital wallet", lang),
                           facts, to=to,
                           display_name=credential.recipient.display_name, locale=primary)


def queue_holder_link(service: IssuerService, session: Session, *, recipient_id: str,
                      credential: IssuedCredential, to: str, link: str, expires_at: datetime,
                      locale: str = "fr", origin: str | None = None) -> MessageRow:
    """Queue the holder-link e-mail in `session` (see the module docstring); call
    `issuer.mail.deliver_pending(service)` after the transaction commits."""
    address = normalise_email(to)
    message = compose_holder_link(service, credential, to=address, link=link,
                                  expires_at=expires_at, locale=locale)
    row = new_message_row(session, kind=WALLET_LINK_MAIL_KIND, to=address,
                          subject=str(message["Subject"]), locale=normalise_locale(locale),
                          credential_id=None, actor="anonymous", origin=origin,
                   audit_subject=recipient_id)
    write_outbox(service.settings.var_dir / SPOOL_FOLDER, row.id, message)
    return row


def send_holder_link(service: IssuerService, credential_id: str, *, locale: str = "fr",
                     origin: str | None = None, now: datetime | None = None,
                     policy: HolderLinkPolicy = POLICY) -> str | None:
    """If the badge may go to a wallet and its holder has an address, create a link, queue its
    e-mail to that address and deliver it. Returns the e-mail's id, or None. Run it after
    answering (a background task): the answer must not depend on its outcome."""
    now = now or utc_now()
    with service.database.session() as session:
        row = deliverable_badge(session, credential_id)
        if row is None or not row.recipient.email:
            return None
        token, expires_at = create_holder_link(session, credential_id, now=now, policy=policy)
        message = queue_holder_link(
            service, session, recipient_id=row.recipient_id, credential=row,
            to=row.recipient.email, link=holder_link_url(service.settings.base_url, token),
            expires_at=expires_at, locale=locale, origin=origin)
        record_audit(session, actor=ANONYMOUS_ACTOR, action="wallet.holder_link_sent",
                     subject=row.recipient_id,
                     details={"credential": credential_id, "message": message.id},
                     origin=origin)
        message_id = message.id
    deliver_pending(service)
    return message_id
