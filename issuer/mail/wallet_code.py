"""The e-mail carrying an offer's transaction code (templates/email/wallet_code.*), queued like
the sign-in links: a row of `email_messages` (kind "wallet-code") and the composed message
spooled to var/mail-queue/, which `issuer.mail.deliver_pending` sends and then deletes.

Why by e-mail: an offer shown as a QR code on a shared screen (a library's computer, a
projector) can be photographed by anyone; the code goes to the holder's own mailbox, so only
they can finish (OpenID4VCI 1.0 §4.1.1 `tx_code`, "sent over a separate channel"). The code is
the message's only copy: never logged nor audited, and the outbox reader withholds it from
anyone but an administrator (`issuer.workspace.outbox.carries_secret`: every kind but badges and
endorsements)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from email.message import EmailMessage
from typing import TYPE_CHECKING

from babel.dates import format_date, format_time
from sqlalchemy.orm import Session

from issuer.i18n import SUPPORTED_LOCALES, gettext, normalise_locale

# One compose tail for every e-mail (the City's frame, both languages, headers that refuse
# CR/LF): issuer.mail.compose.bilingual_email.
from issuer.mail.compose import (
    PRIVACY_PATH,
    MailError,
    bilingual_email,
    clean_name,
)
from issuer.mail.delivery import SPOOL_FOLDER, new_message_row
from issuer.mail.transport import write_outbox
from issuer.openbadges.badge_definitions import CatalogueError
from issuer.openbadges.credential import CITY_TIMEZONE, normalise_email
from issuer.settings import Settings
from issuer.storage.models import IssuedCredential
from issuer.storage.workspace_models import EmailMessage as MessageRow
from issuer.wallet.oid4vci import OFFER_LIFETIME, Offer

if TYPE_CHECKING:
    from issuer.issuance.service import IssuerService

WALLET_CODE_MAIL_KIND = "wallet-code"


@dataclass(frozen=True)
class WalletCodeFacts:
    display_name: str | None
    badge_name: str
    tx_code: str
    expires_day: str
    expires_time: str
    minutes: int
    issuer_name: str
    privacy_url: str
    contact_email: str


def compose_wallet_code(settings: Settings, *, to: str, display_name: str | None,
                        badge_names: dict[str, str], tx_code: str, expires_at: datetime,
                        locale: str = "fr") -> EmailMessage:
    """The transaction code e-mail, in the person's language first, then the other."""
    primary = normalise_locale(locale)
    base = settings.base_url.rstrip("/")
    local = expires_at.astimezone(CITY_TIMEZONE)

    def facts(lang: str) -> WalletCodeFacts:
        babel_locale = "en_GB" if lang == "en" else "fr_FR"
        return WalletCodeFacts(
            display_name=clean_name(display_name), badge_name=badge_names[lang],
            tx_code=tx_code,
            expires_day=format_date(local.date(), "long", locale=babel_locale),
            expires_time=format_time(local.time(), "short", locale=babel_locale),
            minutes=int(OFFER_LIFETIME.total_seconds() // 60),
            issuer_name=settings.profile_name, privacy_url=f"{base}{PRIVACY_PATH}",
            contact_email=settings.profile_email)

    return bilingual_email(
        settings, "wallet_code",
        lambda lang: gettext("Your code to put your badge in a wallet", lang), facts,
        to=to, display_name=display_name, locale=primary)


def queue_wallet_code(service: IssuerService, session: Session, offer: Offer,
                      credential_id: str, *, locale: str = "fr",
                      origin: str | None = None) -> MessageRow:
    """Queue the e-mail giving `offer`'s transaction code to the badge's holder, in `session`
    (call `issuer.mail.deliver_pending(service)` after the commit). The audit line names the
    badge and the message, not the person nor the code."""
    if offer.tx_code is None:
        raise ValueError("this offer has no transaction code")
    row = session.get(IssuedCredential, credential_id)
    recipient = None if row is None else row.recipient
    if row is None or recipient is None or not recipient.email or recipient.erased_at:
        raise MailError("Ce badge n'a plus d'adresse où envoyer le code.",
                        "This badge has no address left to send the code to.",
                        code="mail.no_address")
    try:
        badge = service.catalogue.badge(row.badge_slug)
        names = {lang: badge.name.get(lang) for lang in SUPPORTED_LOCALES}
    except CatalogueError:
        names = dict.fromkeys(SUPPORTED_LOCALES, row.badge_slug)
    address = normalise_email(recipient.email)
    message = compose_wallet_code(service.settings, to=address,
                                  display_name=recipient.display_name, badge_names=names,
                                  tx_code=offer.tx_code, expires_at=offer.expires_at,
                                  locale=locale)
    message_row = new_message_row(session, kind=WALLET_CODE_MAIL_KIND, to=address,
                                  subject=str(message["Subject"]), locale=locale,
                                  credential_id=credential_id, actor="holder", origin=origin,
                                  details={"offer": offer.offer_id})
    write_outbox(service.settings.var_dir / SPOOL_FOLDER, message_row.id, message)
    return message_row
