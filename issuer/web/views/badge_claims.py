"""What the verifier's result and the badge page show of a verified badge (issue #9 items 7
and 8): its claims (`issuer.openbadges.verification.claims`) and the "Is this badge theirs?" check
(`issuer.openbadges.verification.holder`), with the small web-side decisions they need.

- **Images.** The Content Security Policy (`issuer.web.security`) lets pages load images from
  this site and `data:` URIs only, and a stranger's image address would tell its owner who
  looked at the badge: a badge image is shown when it is a `data:image/…` URI or an image of
  this service, and only for verified claims.
- **The e-mail address** typed for the holder check is read from the form, compared, and
  dropped: never logged, stored, echoed in the page or put in an error message.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlsplit

from markupsafe import Markup
from starlette.datastructures import FormData, UploadFile

from issuer.openbadges.verification import VerificationReport
from issuer.openbadges.verification.claims import VerifiedClaims, claims_of
from issuer.openbadges.verification.holder import HolderAnswer, cannot_check_holder

EMAIL_FIELD = "email"
MAX_EMAIL_FIELD = 320
"""Longer e-mail fields are not compared (an address has at most 254 characters)."""


@dataclass(frozen=True)
class ClaimsDisplay:
    """The claims of a report and the image the page may show with them."""

    claims: VerifiedClaims | None
    image_src: str | None
    holder_refusal: HolderAnswer | None
    """Why the holder check is not offered (forged badge, no e-mail identity), else None."""
    description_html: Markup | None = None
    criteria_html: Markup | None = None
    """The description and criteria as the badge page renders catalogue texts: Markdown
    paragraphs, lists and emphasis only, everything else escaped, no link."""


def image_src(claims: VerifiedClaims | None, base_url: str) -> str | None:
    """The badge image to show: a data: URI, or a path of this service; None otherwise."""
    if claims is None or not claims.verified or claims.image_url is None:
        return None
    url = claims.image_url
    if url.startswith("data:"):
        return url
    base = urlsplit(base_url.rstrip("/"))
    target = urlsplit(url)
    if (target.scheme, target.netloc.lower()) != (base.scheme, base.netloc.lower()):
        return None
    if not target.path.startswith(base.path + "/"):
        return None
    return target.path + (f"?{target.query}" if target.query else "")


def claims_display(report: VerificationReport | None, base_url: str) -> ClaimsDisplay:
    if report is None:
        return ClaimsDisplay(None, None, None)
    # Imported here: the badge page module imports this one.
    from issuer.web.views.credentials import markdown_to_html

    claims = claims_of(report)
    description = claims.description if claims else None
    criteria = claims.criteria if claims else None
    return ClaimsDisplay(claims, image_src(claims, base_url), cannot_check_holder(report),
                         markdown_to_html(description) if description else None,
                         markdown_to_html(criteria) if criteria else None)


def form_email(form: FormData) -> str | None:
    """The e-mail field of a submitted form: None when absent, else its text (possibly empty,
    which the holder check answers as an unreadable address)."""
    values = form.getlist(EMAIL_FIELD)
    if not values:
        return None
    value = values[0]
    if len(values) > 1 or isinstance(value, UploadFile) or len(value) > MAX_EMAIL_FIELD:
        return ""
    return value
