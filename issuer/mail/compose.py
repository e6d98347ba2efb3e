"""Composing the e-mails people receive: a badge's delivery and a coordinator's invitation.

Each message is one stdlib `email.message.EmailMessage` (RFC 5322 + MIME), built with the
`email.policy.default` policy, which refuses CR/LF in header values (no header injection from a
name typed in an attendance list). The body is multipart/alternative: plain text first, HTML
second (RFC 2046 §5.1.4: the last part is the preferred one; text-only readers use the first).
Each part holds the whole message in the primary language (French unless the person chose
English), then the same text in the other language, each section marked with its `lang`.

Every e-mail shares one City frame (`templates/email/layout.*`): the City's logo and name at
the top, its address at the bottom, table-based HTML with inline styles (what Outlook, Gmail and
Apple Mail all lay out the same), at most 600 px wide and nothing wider than a 360 px phone.

Images travel inside the message, as inline parts of a multipart/related HTML part (RFC 2387)
referenced by `cid:` URLs (RFC 2392), not as addresses of our server. Outlook and Thunderbird
show remote images only after the reader allows them, while they show inline parts at once;
Gmail and Apple Mail show both. A remote image would also tell the server when the e-mail is
opened (a tracking pixel) and would break whenever the base URL is not public (a test or an
intranet installation). So: the City's logo (a PNG: SVG is shown by no common mail client) and,
in the badge e-mail, the badge artwork; no remote resource at all. Links go to our own pages and
to LinkedIn's documented add-to-profile form (issuer.presentation.sharing). Nothing here sends
anything.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import date, datetime
from email.headerregistry import Address
from email.message import EmailMessage
from email.policy import default as default_policy
from email.utils import format_datetime, make_msgid, parseaddr
from functools import cache
from typing import Any

from babel.dates import format_date, format_time
from jinja2 import Environment, FileSystemLoader, select_autoescape
from markupsafe import Markup

from issuer.errors import IssuerError
from issuer.i18n import SUPPORTED_LOCALES, gettext, normalise_locale, translations
from issuer.issuance.catalogue import Catalogue
from issuer.issuance.logo import load_logo
from issuer.openbadges.badge_definitions import CatalogueError
from issuer.openbadges.credential import CITY_TIMEZONE, credential_url
from issuer.presentation.sharing import linkedin_add_to_profile_url, linkedin_issue_date
from issuer.settings import Settings, templates_dir
from issuer.storage.models import IssuedCredential

PRIVACY_PATH = "/donnees-personnelles"
# C0 and C1 controls, DEL, the Unicode line/paragraph separators, and the bidi and zero-width
# formatting characters: never inside a header or a greeting (a name comes from an attendance
# list anyone could have typed; issuer.names refuses them now, older rows may still hold one).
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029\u200b-\u200f\u202a-\u202e"
                      r"\u2060-\u2069\u061c\ufeff]+")


class MailError(IssuerError):
    """An e-mail that cannot be composed or queued (no address, revoked badge...)."""

    code = "mail.refused"


# --- images inside the message ---------------------------------------------------------------

# The domain part of the Content-IDs: a name of ours that no other sender uses (RFC 2606 .invalid).
_CID_DOMAIN = "badges.roubaix.invalid"
LOGO_WIDTH = 48      # pixels, in the e-mail's header
BADGE_IMAGE_WIDTH = 160


@dataclass(frozen=True)
class InlineImage:
    """A PNG carried by the message and shown by its HTML as `cid:<cid>`."""

    cid: str            # without the angle brackets
    content: bytes
    filename: str
    width: int          # as shown, in CSS pixels
    height: int

    @property
    def src(self) -> str:
        return f"cid:{self.cid}"


def inline_png(content: bytes, name: str, *, width: int, height: int) -> InlineImage:
    """A PNG part whose Content-ID is derived from its bytes: unique for each image (RFC 2392),
    the same for the same image, so that every message need not be told apart."""
    digest = hashlib.sha256(content).hexdigest()[:24]
    return InlineImage(cid=f"{name}.{digest}@{_CID_DOMAIN}", content=content,
                       filename=f"{name}.png", width=width, height=height)


def logo_image(settings: Settings) -> InlineImage:
    logo = load_logo(settings.logo_path)
    return inline_png(logo.png, "logo", width=LOGO_WIDTH, height=logo.height_for_width(LOGO_WIDTH))


def badge_image(catalogue: Catalogue, credential: IssuedCredential) -> InlineImage | None:
    """The badge artwork (not the baked image: the e-mail needs no copy of the credential);
    None for a badge no longer in the catalogue."""
    try:
        badge = catalogue.badge(credential.badge_slug)
        content = catalogue.image_path(badge, "png").read_bytes()
    except (CatalogueError, OSError):
        return None
    return inline_png(content, "badge", width=BADGE_IMAGE_WIDTH, height=BADGE_IMAGE_WIDTH)


# French puts an article before a body's name that starts with a common noun ("La Ville de
# Roubaix vous a délivré…", "Le Département du Nord…"); a proper name takes none. English
# keeps the name as it is.
_FRENCH_ARTICLES = {"ville": "La", "mairie": "La", "métropole": "La", "région": "La",
                    "commune": "La", "communauté": "La", "direction": "La", "préfecture": "La",
                    "département": "Le", "conseil": "Le", "centre": "Le", "service": "Le"}


def issuer_as_subject(issuer_name: str, locale: str) -> str:
    """The issuer's name (ISSUER_PROFILE_NAME) as the subject of a sentence in `locale`."""
    first = issuer_name.split(" ", 1)[0].lower()
    article = _FRENCH_ARTICLES.get(first) if locale == "fr" else None
    return f"{article} {issuer_name}" if article else issuer_name


# --- what a badge e-mail says ----------------------------------------------------------------

@dataclass(frozen=True)
class Edition:
    number: int
    day: str           # formatted in the section's language
    theme: str


@dataclass(frozen=True)
class BadgeMailFacts:
    """What one language section of a badge e-mail says."""

    holder_name: str | None
    badge_name: str
    role: str | None
    edition: Edition | None
    valid_until: str | None     # formatted day, for badges that expire (CLN mandates)
    issuer_name: str
    issuer_subject: str         # the issuer's name as a sentence's subject ("La Ville de …")
    page_url: str
    linkedin_url: str
    json_url: str
    png_url: str
    pdf_url: str
    privacy_url: str
    contact_email: str
    # The one-time holder link to add the badge to a wallet (issuer.wallet.holder_links),
    # made when the e-mail leaves; None when the e-mail is only composed (its subject).
    wallet_url: str | None = None
    wallet_help_url: str | None = None
    wallet_days: int = 0


def other_locale(locale: str) -> str:
    return next(other for other in SUPPORTED_LOCALES if other != locale)


def clean_name(value: str | None) -> str | None:
    """A display name fit for a greeting and a header: control characters out, spaces folded."""
    if not value:
        return None
    cleaned = " ".join(_CONTROL.sub(" ", value).split())
    return cleaned or None


def _city_day(moment: datetime) -> date:
    return moment.astimezone(CITY_TIMEZONE).date()


def _babel(locale: str) -> str:
    return "en_GB" if locale == "en" else "fr_FR"


def badge_mail_facts(settings: Settings, catalogue: Catalogue, credential: IssuedCredential,
                     locale: str) -> BadgeMailFacts:
    """The facts of one issued badge, in `locale`, from its stored row and signed JSON.

    The LinkedIn link is built exactly as the badge page builds it (credential `name`, issuer
    `name`, city-local days of validFrom / validUntil), so both show the same certification."""
    signed = json.loads(credential.credential_json)
    issuer = signed.get("issuer", {})
    issuer_name = ((issuer.get("name") if isinstance(issuer, dict) else None)
                   or settings.profile_name)
    try:
        badge = catalogue.badge(credential.badge_slug)
    except CatalogueError:  # a retired badge: the credential's own words
        badge = None
    achievement = signed.get("credentialSubject", {}).get("achievement", {})
    badge_name = badge.name.get(locale) if badge else str(achievement.get("name", ""))
    role = None
    if credential.role:
        known = badge.role(credential.role) if badge else None
        role = known.name.get(locale) if known else credential.role
    edition = None
    if badge is not None and credential.event_number is not None:
        try:
            event = badge.event(credential.event_number)
        except CatalogueError:
            event = None
        if event is not None:
            edition = Edition(event.number, format_date(event.date, "long", locale=_babel(locale)),
                              event.theme.get(locale))
    page_url = credential_url(settings.base_url, credential.id)
    # The same form as the badge page's: the month of the event (or of the mandate's start),
    # and the City's LinkedIn page when it is set.
    linkedin = linkedin_add_to_profile_url(
        name=str(signed.get("name") or achievement.get("name") or badge_name),
        organization_name=issuer_name,
        issued=linkedin_issue_date(signed) or _city_day(credential.valid_from),
        expires=_city_day(credential.valid_until) if credential.valid_until else None,
        cert_url=page_url, cert_id=credential.id,
        organization_id=settings.linkedin_organization_id)
    valid_until = (format_date(_city_day(credential.valid_until), "long", locale=_babel(locale))
                   if credential.valid_until else None)
    return BadgeMailFacts(
        holder_name=clean_name(credential.recipient.display_name),
        badge_name=badge_name, role=role, edition=edition, valid_until=valid_until,
        issuer_name=issuer_name, issuer_subject=issuer_as_subject(issuer_name, locale),
        page_url=page_url, linkedin_url=linkedin,
        json_url=f"{page_url}/credential.json", png_url=f"{page_url}/badge.png",
        pdf_url=f"{page_url}/attestation.pdf",
        privacy_url=f"{settings.base_url.rstrip('/')}{PRIVACY_PATH}",
        contact_email=settings.profile_email)


# --- templates -------------------------------------------------------------------------------

@cache
def _environment(locale: str) -> Environment:
    # Autoescape for .html only: the .txt parts are plain text, and a name is not markup there.
    env = Environment(loader=FileSystemLoader(templates_dir()),
                      autoescape=select_autoescape(["html"], default_for_string=False),
                      extensions=["jinja2.ext.i18n"], trim_blocks=True, lstrip_blocks=True,
                      keep_trailing_newline=True)
    env.install_gettext_translations(  # type: ignore[attr-defined]
        translations(locale), newstyle=True)
    env.globals["locale"] = locale
    return env


def _render(template: str, locale: str, context: dict[str, Any]) -> str:
    return _environment(locale).get_template(template).render(**context)


def _bilingual_body(kind: str, primary: str, context_for: dict[str, dict[str, Any]],
                    subject: str, *, settings: Settings,
                    images: dict[str, InlineImage] | None = None) -> tuple[str, str]:
    """(plain text, HTML): the `email/<kind>` section in the primary language, then in the
    other one, wrapped in the City's frame `email/layout.*` (logo, name, address). `images`
    are shown by the sections (`images.badge.src`); give the same to `_message`."""
    order = (primary, other_locale(primary))
    images = images or {}
    context_for = {lang: {**context, "images": images} for lang, context in context_for.items()}
    sections = [(locale, _render(f"email/{kind}.txt", locale, context_for[locale]).strip())
                for locale in order]
    # S704: the section comes from an autoescaping Jinja2 template, so it is markup already.
    html_sections = [(locale, Markup(_render(f"email/{kind}.html", locale,  # noqa: S704
                                             context_for[locale])))
                     for locale in order]
    layout = {"subject": subject, "primary": primary, "secondary": order[1],
              "logo": logo_image(settings), "issuer_name": settings.profile_name,
              "issuer_address": ", ".join(part for part in (
                  settings.profile_street_address,
                  f"{settings.profile_postal_code} {settings.profile_locality}".strip()) if part),
              "issuer_url": settings.profile_url}
    text = _render("email/layout.txt", primary,
                   {**layout, "sections": sections,
                    "other_version_note": _other_version_note(order[1])})
    html = _render("email/layout.html", primary,
                   {**layout, "sections": html_sections,
                    "other_version_note": _other_version_note(order[1])})
    return text, html


def _other_version_note(secondary: str) -> str:
    # Written in the *second* language, so that its reader sees at once that their version
    # follows: the message id is English; its French is "Version française ci-dessous".
    return gettext("English version below.", secondary)


# --- messages --------------------------------------------------------------------------------

def sender_address(settings: Settings) -> Address:
    """ISSUER_MAIL_FROM (`Name <address>` or a bare address), else the issuer profile's."""
    name, address = parseaddr(settings.mail_from or "")
    if not address:
        name, address = settings.profile_name, settings.profile_email
    return _address(clean_name(name), address)


def bilingual_email(settings: Settings, kind: str, subject: Callable[[str], str],
                    facts: Callable[[str], Any], *, to: str, display_name: str | None,
                    locale: str) -> EmailMessage:
    """An e-mail in the City's frame: `email/<kind>` with `facts(lang)` in each language, the
    primary one (`locale`) first, under the subject `subject(primary) / subject(secondary)`,
    to `display_name <to>`. The tail every e-mail shares but the badge's own (whose subject
    names the badge in the primary language only, and which carries its artwork): holder
    e-mails (revocation, wallet link and code, key incident), a mediator's sign-in link, a
    peer endorsement, the workspace's invitation and sign-in alert."""
    primary = normalise_locale(locale)
    both = subject(primary) + " / " + subject(other_locale(primary))
    text, html = _bilingual_body(kind, primary,
                                 {lang: {"facts": facts(lang)} for lang in SUPPORTED_LOCALES},
                                 both, settings=settings)
    return _message(settings, to=_address(clean_name(display_name), to), subject=both,
                    text=text, html=html, primary=primary)


def _address(name: str | None, address: str) -> Address:
    try:
        return Address(display_name=name or "", addr_spec=address.strip())
    except (ValueError, IndexError) as error:  # headerregistry's parser
        raise MailError(f"Adresse e-mail inutilisable : « {address} ».",
                        f"Unusable e-mail address: '{address}'.",
                        code="mail.bad_address") from error


def _message(settings: Settings, *, to: Address, subject: str, text: str, html: str,
             primary: str, images: dict[str, InlineImage] | None = None) -> EmailMessage:
    message = EmailMessage(policy=default_policy)
    sender = sender_address(settings)
    message["Subject"] = _CONTROL.sub(" ", subject)
    message["From"] = sender
    message["To"] = to
    if settings.profile_email and parseaddr(settings.profile_email)[1] != sender.addr_spec:
        message["Reply-To"] = settings.profile_email
    message["Date"] = format_datetime(datetime.now().astimezone())
    message["Message-ID"] = make_msgid(domain=sender.domain or None)
    # RFC 3834: automatic replies (out-of-office) must not answer this message.
    message["Auto-Submitted"] = "auto-generated"
    message["Content-Language"] = f"{primary}, {other_locale(primary)}"
    message.set_content(text, subtype="plain", cte="quoted-printable")
    message.add_alternative(html, subtype="html", cte="quoted-printable")
    # multipart/alternative [text/plain, multipart/related [text/html, image/png…]]: the
    # images belong to the HTML part only (RFC 2387), so text-only readers get no attachment.
    html_part = message.get_body(("html",))
    for image in (logo_image(settings), *(images or {}).values()):
        if html_part is not None and image.src in html:
            html_part.add_related(image.content, maintype="image", subtype="png",
                                  cid=f"<{image.cid}>", filename=image.filename,
                                  disposition="inline")
    return message


def badge_subject(facts_by_locale: dict[str, BadgeMailFacts], primary: str) -> str:
    return _badge_subject(facts_by_locale[primary].badge_name, primary)


def _badge_subject(badge_name: str, primary: str) -> str:
    secondary = other_locale(primary)
    return (gettext("Your digital badge: %(badge)s", primary) % {"badge": badge_name}
            + " / " + gettext("Your digital badge", secondary))


def queued_badge_subject(settings: Settings, catalogue: Catalogue, credential: IssuedCredential,
                         locale: str) -> str:
    """`badge_subject` of the badge's facts in `locale`, from the catalogue's name of the badge
    when it knows it (as `badge_mail_facts` does); only a retired badge's facts are read from
    its signed JSON. Queuing an event's e-mails needs only the subject, and the whole facts
    (the signed JSON parsed, dates formatted, the LinkedIn link built) were half its cost."""
    try:
        badge = catalogue.badge(credential.badge_slug)
    except CatalogueError:
        return badge_subject({locale: badge_mail_facts(settings, catalogue, credential, locale)},
                             locale)
    return _badge_subject(badge.name.get(locale), locale)


def compose_badge_email(settings: Settings, catalogue: Catalogue, credential: IssuedCredential, *,
                        to: str, locale: str = "fr",
                        wallet_url: str | None = None, wallet_days: int = 0) -> EmailMessage:
    """The delivery e-mail of one issued badge, to `to` (the recipient's own address), with
    the holder's one-time `wallet_url` when given."""
    primary = normalise_locale(locale)
    help_url = f"{settings.base_url.rstrip('/')}/aide/portefeuille" if wallet_url else None
    facts = {lang: replace(badge_mail_facts(settings, catalogue, credential, lang),
                           wallet_url=wallet_url, wallet_help_url=help_url,
                           wallet_days=wallet_days)
             for lang in SUPPORTED_LOCALES}
    subject = badge_subject(facts, primary)
    artwork = badge_image(catalogue, credential)
    images = {"badge": artwork} if artwork else {}
    text, html = _bilingual_body("badge", primary, {lang: {"facts": facts[lang]} for lang in facts},
                                 subject, settings=settings, images=images)
    return _message(settings, to=_address(facts[primary].holder_name, to), subject=subject,
                    text=text, html=html, primary=primary, images=images)


@dataclass(frozen=True)
class InvitationFacts:
    display_name: str | None
    role: str                   # "administrator" / "coordinator", translated in the template
    invitation_url: str
    expires_day: str
    expires_time: str
    invited_by: str | None
    issuer_name: str
    workspace_url: str
    privacy_url: str
    contact_email: str


def compose_invitation(settings: Settings, *, to: str, display_name: str | None,
                       invitation_url: str, expires_at: datetime, role: str = "coordinator",
                       invited_by: str | None = None, locale: str = "fr") -> EmailMessage:
    """The e-mail inviting a person to the coordinators' workspace: the link where they choose
    their password, and until when it works. `invitation_url` holds the one-time token: the
    message is its only copy, so it is never logged or audited."""
    primary = normalise_locale(locale)
    base = settings.base_url.rstrip("/")

    def facts(lang: str) -> InvitationFacts:
        local = expires_at.astimezone(CITY_TIMEZONE)
        return InvitationFacts(
            display_name=clean_name(display_name), role=role, invitation_url=invitation_url,
            expires_day=format_date(local.date(), "long", locale=_babel(lang)),
            expires_time=format_time(local.time(), "short", locale=_babel(lang)),
            invited_by=clean_name(invited_by), issuer_name=settings.profile_name,
            workspace_url=f"{base}/admin", privacy_url=f"{base}{PRIVACY_PATH}",
            contact_email=settings.profile_email)

    return bilingual_email(
        settings, "invitation",
        lambda lang: gettext("Invitation to the digital badges workspace", lang), facts,
        to=to, display_name=display_name, locale=primary)
