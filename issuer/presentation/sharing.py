"""Links to put a badge on LinkedIn and to share its page, as plain URLs (pure functions).

At the installation of the Conseil local du numérique a member asked for a badge "to add to
social networks" (domain brief): from a phone, one tap must do it. So every action here is an
ordinary link to the network's own documented share or "add" address: no third-party script,
no tracking pixel, no SDK, nothing loaded from another site until the person taps.

- **Add to LinkedIn profile** ("Add to Profile" for certifications, documented by LinkedIn at
  addtoprofile.linkedin.com): `https://www.linkedin.com/profile/add?startTask=CERTIFICATION_NAME`
  with `name`, `organizationId` (the City's LinkedIn page, so the profile shows its name and
  logo; setting `ISSUER_LINKEDIN_ORGANIZATION_ID`) or else `organizationName`, `issueYear`,
  `issueMonth`, `expirationYear`, `expirationMonth` (months 1–12), `certUrl`, `certId`. The
  issue month is when the person earned it (`linkedin_issue_date`): the event's day for an
  event badge, the mandate's first day for a council membership, else the start of validity.
- **LinkedIn** share-offsite (`url`), **Facebook** sharer (`u`), **X** web intent (`text`,
  `url`), **Bluesky** compose intent (`text`), **WhatsApp** click-to-chat (`text`), e-mail
  (`mailto:` with `subject` and `body`, RFC 6068).
- **Mastodon** has thousands of servers, so a single link needs a page that asks for the
  person's server. We use Mastodon's own share page, share.joinmastodon.org (published by the
  Mastodon project in March 2026, open source): it runs entirely in the browser, without
  tracking and without storing anything on its server, and takes the text as `?text=`. The
  alternatives are a third-party relay (Share₂Fedi processes the text on its server;
  tootpick.org is one person's site) or a form on our side that would redirect to any host a
  stranger names (an open redirect).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any
from urllib.parse import quote, urlencode
from zoneinfo import ZoneInfo

from issuer.openbadges.credential import CITY_TIMEZONE

LINKEDIN_ADD_TO_PROFILE = "https://www.linkedin.com/profile/add"
LINKEDIN_SHARE = "https://www.linkedin.com/sharing/share-offsite/"
FACEBOOK_SHARE = "https://www.facebook.com/sharer/sharer.php"
X_INTENT = "https://x.com/intent/tweet"
BLUESKY_INTENT = "https://bsky.app/intent/compose"
MASTODON_SHARE = "https://share.joinmastodon.org/"
WHATSAPP_SHARE = "https://wa.me/"


@dataclass(frozen=True)
class ShareLink:
    network: str   # stable key: linkedin, facebook, x, bluesky, mastodon, whatsapp, email
    label: str     # the network's own name (a proper noun; "E-mail" is translated by the page)
    url: str


def _query(params: dict[str, str | int]) -> str:
    # quote (%20), not quote_plus (+): a few share pages show a literal "+" for spaces.
    return urlencode(params, quote_via=quote, safe="")


def linkedin_add_to_profile_url(*, name: str, organization_name: str, issued: date,
                                expires: date | None, cert_url: str, cert_id: str,
                                organization_id: str | None = None) -> str:
    """The "Add to profile" link that opens LinkedIn's certification form already filled in.
    With `organization_id` (the digits of the City's LinkedIn page) LinkedIn shows that page,
    its name and logo; without it, `organization_name` as plain text. `issued`: see
    `linkedin_issue_date`."""
    params: dict[str, str | int] = {"startTask": "CERTIFICATION_NAME", "name": name}
    if organization_id:
        params["organizationId"] = organization_id
    else:
        params["organizationName"] = organization_name
    params["issueYear"] = issued.year
    params["issueMonth"] = issued.month
    if expires is not None:
        params["expirationYear"] = expires.year
        params["expirationMonth"] = expires.month
    params["certUrl"] = cert_url
    params["certId"] = cert_id
    return f"{LINKEDIN_ADD_TO_PROFILE}?{_query(params)}"


def linkedin_issue_date(credential: Mapping[str, Any],
                        timezone: ZoneInfo = CITY_TIMEZONE) -> date | None:
    """The day a badge was earned, as LinkedIn's "issue date" should say (issue 13 item 4): the
    event's day for an event badge and the mandate's first day for a council membership (both
    signed as `credentialSubject.activityStartDate`), else the start of validity (`validFrom`),
    in the City's time zone. None when the credential says neither."""
    subject = credential.get("credentialSubject")
    started = subject.get("activityStartDate") if isinstance(subject, Mapping) else None
    for value in (started, credential.get("validFrom")):
        if isinstance(value, str):
            try:
                moment = datetime.fromisoformat(value)
            except ValueError:
                continue
            return moment.astimezone(timezone).date() if moment.tzinfo else moment.date()
    return None


def share_links(*, page_url: str, message: str, subject: str) -> tuple[ShareLink, ...]:
    """Share links for a page. `message` is the sentence posted with the link (e.g. « J'ai reçu
    le badge … de la Ville de Roubaix »); `subject` is the e-mail subject. Networks that take
    only free text get the message followed by the address."""
    with_url = f"{message} {page_url}"
    return (
        ShareLink("linkedin", "LinkedIn", f"{LINKEDIN_SHARE}?{_query({'url': page_url})}"),
        ShareLink("facebook", "Facebook", f"{FACEBOOK_SHARE}?{_query({'u': page_url})}"),
        ShareLink("x", "X", f"{X_INTENT}?{_query({'text': message, 'url': page_url})}"),
        ShareLink("bluesky", "Bluesky", f"{BLUESKY_INTENT}?{_query({'text': with_url})}"),
        ShareLink("mastodon", "Mastodon", f"{MASTODON_SHARE}?{_query({'text': with_url})}"),
        ShareLink("whatsapp", "WhatsApp", f"{WHATSAPP_SHARE}?{_query({'text': with_url})}"),
        ShareLink("email", "E-mail",
                  f"mailto:?{_query({'subject': subject, 'body': with_url})}"),
    )
