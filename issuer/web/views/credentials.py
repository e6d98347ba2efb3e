"""The badge page, `/credentials/{id}`, and what hangs off it (issue #3 item 3): the signed
forms (JSON, JWT, baked PNG and SVG), the Open Graph preview, the QR code and the printable
attestation.

The page is what a member shares from a phone and what an employer opens: it shows the badge in
plain words and the result of `issuer.openbadges.verification` for the stored credential as things stand
at this request: the status is read from the database on every view, and a verification is
reused only while its text, the keys, its status and its validity dates are unchanged
(`issuer.issuance.own_verification`), so a badge revoked a second ago shows as revoked now
(VERIFICATION.md R7). The page itself, as every visitor reading one language gets it, is
rendered once a minute and reused while everything it shows is unchanged (`BadgePageInputs`,
`issuer.web.page_cache`); an answer to one visitor's holder check is never kept. The
recipient's name appears only when the credential carries it, i.e. when they agreed to show it.

Ids are UUIDs, checked before the database is touched: anything else is the friendly 404 page.
Handlers are plain functions, so Starlette runs them in its thread pool (database reads,
signature checks, Pillow and WeasyPrint all block).
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from datetime import UTC, date, datetime
from functools import cache, lru_cache
from typing import Any

from babel.dates import format_date, format_time
from markdown_it import MarkdownIt
from markupsafe import Markup
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response

from issuer.errors import NotFound
from issuer.i18n import translations
from issuer.issuance.catalogue import Catalogue
from issuer.issuance.issue_requests import IssuedBadge
from issuer.issuance.logo import Logo
from issuer.issuance.own_verification import CredentialKind, StatusVersion, verify_own
from issuer.issuance.service import IssuerService
from issuer.network.endorsement_views import EndorsementView
from issuer.network.endorsements import endorsements_of_badge
from issuer.network.skill_badges import aligned_skills
from issuer.openbadges.badge_definitions import BadgeDefinition, CatalogueError, Event
from issuer.openbadges.credential import CITY_TIMEZONE
from issuer.openbadges.verification import Check, VerificationReport
from issuer.openbadges.verification.holder import HolderAnswer, check_holder
from issuer.presentation.attestation import data_uri, render_attestation_pdf
from issuer.presentation.preview import render_preview
from issuer.presentation.qr import qr_svg
from issuer.presentation.sharing import (
    ShareLink,
    linkedin_add_to_profile_url,
    linkedin_issue_date,
    share_links,
)
from issuer.web.deps import page_cache_of, service_of
from issuer.web.locale import babel_locale, request_locale
from issuer.web.page_cache import PageInputs
from issuer.web.templating import environment, html_response, render
from issuer.web.views.badge_claims import claims_display, form_email
from issuer.web.views.holder import holder_of
from issuer.web.views.verifier import (
    FORM_MEDIA_TYPES,
    VerifierInputError,
    check_rate_limit,
    media_type_of,
    parse_form,
    read_limited_body,
)

logger = logging.getLogger(__name__)

# The ids the service gives (uuid4, lower case); checked before any database access.
_CREDENTIAL_ID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
JSON_LD = "application/ld+json"
# The signed forms never change; a short lifetime still lets an erased badge disappear soon.
SIGNED_FORM_CACHE = "public, max-age=300"
ARTWORK_CACHE = "public, max-age=86400"
# The page carries a live verification result: no shared or browser cache may replay it.
LIVE_CACHE = "no-store"


# --- hooks and small pure helpers ------------------------------------------------------------

def is_indexable(issued: IssuedBadge) -> bool:
    """Whether search engines may index this badge page.

    Only with the recipient's consent (GDPR: a badge page found by searching a person's name is
    a disclosure they did not choose): `recipients.indexable`, never for an erased person. The
    page, the headers and the files all follow this answer.
    """
    return issued.indexable


def valid_credential_id(value: str) -> str | None:
    """The id when `value` is one the service could have issued, else None."""
    return value if _CREDENTIAL_ID.fullmatch(value) else None


def prefers_json(accept: str) -> bool:
    """Content negotiation for `/credentials/{id}`: HTML by default (browsers, `*/*`), the
    credential when the client ranks a JSON type above HTML (RFC 9110 §12.5.1 quality values)."""
    best_json = best_html = 0.0
    for part in accept.split(",")[:32]:
        media, _, parameters = part.partition(";")
        media = media.strip().lower()
        quality = 1.0
        for parameter in parameters.split(";"):
            name, _, value = parameter.partition("=")
            if name.strip().lower() == "q":
                try:
                    quality = float(value.strip())
                except ValueError:
                    quality = 0.0
        if media.endswith(("/json", "+json")):
            best_json = max(best_json, quality)
        elif media in ("text/html", "application/xhtml+xml"):
            best_html = max(best_html, quality)
    return best_json > 0 and best_json > best_html


def _parse_moment(value: Any) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        moment = datetime.fromisoformat(value.strip())  # Python 3.11 reads "Z"
    except ValueError:
        return None
    return moment if moment.tzinfo is not None else None


def _city_day(moment: datetime) -> date:
    """The calendar day in Roubaix: a mandate ending 12 June 23:59:59 Paris time is 21:59 UTC."""
    return moment.astimezone(CITY_TIMEZONE).date()


@cache
def _markdown() -> MarkdownIt:
    # Catalogue texts use paragraphs, lists and bold. Raw HTML and links stay off: the text is
    # escaped, and nothing in a badge description can add markup or a link to the page.
    return MarkdownIt("zero").enable(["emphasis", "list"])


@lru_cache(maxsize=256)
def _rendered_markdown(text: str) -> str:
    # The same few catalogue texts on every badge page: rendered once each (a pure function).
    rendered: str = _markdown().render(text)
    return rendered


def markdown_to_html(text: str) -> Markup:
    return Markup(_rendered_markdown(text))  # noqa: S704 - markdown-it escapes it (html off)


# --- what the page shows ----------------------------------------------------------------------

@dataclass(frozen=True)
class Edition:
    number: int
    day: date | None
    theme: str


@dataclass(frozen=True)
class BadgeFacts:
    """What a person reads about one issued badge, in the reader's language where the
    catalogue has it, else as the credential says it (French)."""

    credential_id: str
    page_url: str
    name: str                    # the badge's name (no role, no edition)
    credential_name: str         # the credential's own `name` (badge, edition, role)
    image_path: str | None       # our artwork, e.g. /badges/membre-cln.svg
    description: str             # Markdown
    criteria: str                # Markdown
    issuer_name: str
    holder_name: str | None      # only when the credential carries it (the recipient agreed)
    role: str | None
    edition: Edition | None
    valid_from: datetime | None
    valid_until: datetime | None
    # A council membership: the sector and the mandate the badge signs (issue 13 item 2).
    sector: str | None = None
    mandate: tuple[date, date] | None = None


@dataclass(frozen=True)
class LiveStatus:
    verdict: str                 # valid | invalid | indeterminate
    sentence: str                # one plain sentence (VerificationReport.summary)
    checks: tuple[Check, ...]
    revoked: bool
    suspended: bool
    checked_at: datetime
    report: VerificationReport | None = None   # None when verification itself broke
    # What the City's own database says (dates for the page), read with the status.
    revoked_at: datetime | None = None
    suspended_at: datetime | None = None


def badge_definition(service: IssuerService,
                     credential: dict[str, Any]) -> tuple[BadgeDefinition | None, Event | None]:
    """The catalogue badge (and edition) a credential of ours was issued for, when the
    catalogue still has it; a retired badge still has its page, from the credential alone."""
    achievement = credential.get("credentialSubject", {}).get("achievement", {})
    prefix = service.settings.base_url.rstrip("/") + "/achievements/"
    achievement_id = achievement.get("id", "") if isinstance(achievement, dict) else ""
    if not isinstance(achievement_id, str) or not achievement_id.startswith(prefix):
        return None, None
    slug, _, number = achievement_id.removeprefix(prefix).partition("/")
    try:
        badge = service.catalogue.badge(slug)
    except CatalogueError:
        return None, None
    if not number:
        return badge, None
    try:
        return badge, badge.event(int(number))
    except (CatalogueError, ValueError):
        return badge, None


def is_skill_badge(service: IssuerService, credential: dict[str, Any]) -> bool:
    """A skill badge of the network (catalogue family "skill"): peers may endorse it."""
    badge, _event = badge_definition(service, credential)
    return badge is not None and badge.family == "skill"


def badge_facts(service: IssuerService, issued: IssuedBadge, locale: str) -> BadgeFacts:
    credential = issued.credential
    subject = credential.get("credentialSubject", {})
    achievement = subject.get("achievement", {})
    badge, event = badge_definition(service, credential)
    issuer = credential.get("issuer", {})
    issuer_name = issuer.get("name") if isinstance(issuer, dict) else None
    role_label = subject.get("role") if isinstance(subject.get("role"), str) else None
    role = badge.role(role_label) if badge is not None and role_label else None
    edition = None
    if event is not None:
        edition = Edition(event.number, event.date, event.theme.get(locale))
    elif isinstance(credential.get("evidence"), list) and credential["evidence"]:
        first = credential["evidence"][0]
        match = re.search(r"(\d+)$", str(first.get("name", ""))) if isinstance(first, dict) else None
        if match:
            edition = Edition(int(match.group(1)), None, str(first.get("description", "")))
    name = subject.get("name")
    return BadgeFacts(
        credential_id=issued.credential_id,
        page_url=issued.url,
        name=badge.name.get(locale) if badge else str(achievement.get("name", "")),
        credential_name=str(credential.get("name") or achievement.get("name", "")),
        image_path=f"/badges/{badge.slug}.svg" if badge else None,
        description=badge.description.get(locale) if badge
        else str(achievement.get("description", "")),
        criteria=badge.criteria.get(locale) if badge
        else str(achievement.get("criteria", {}).get("narrative", "")),
        issuer_name=issuer_name or service.settings.profile_name,
        holder_name=name.strip() if isinstance(name, str) and name.strip() else None,
        role=role.name.get(locale) if role else role_label,
        edition=edition,
        valid_from=_parse_moment(credential.get("validFrom")),
        valid_until=_parse_moment(credential.get("validUntil")),
        sector=_sector_of(subject),
        mandate=_mandate_of(subject) if badge is not None and badge.family == "membership"
        else None,
    )


def _sector_of(subject: dict[str, Any]) -> str | None:
    """The CLN sector a membership badge signs, as `narrative` "Secteur <name>"
    (issuer.openbadges.credential)."""
    narrative = subject.get("narrative")
    if isinstance(narrative, str) and narrative.startswith("Secteur "):
        return narrative.removeprefix("Secteur ").strip() or None
    return None


def _mandate_of(subject: dict[str, Any]) -> tuple[date, date] | None:
    """The mandate's first and last days, from the signed activity dates (City time)."""
    start = _parse_moment(subject.get("activityStartDate"))
    end = _parse_moment(subject.get("activityEndDate"))
    if start is None or end is None:
        return None
    return (start.astimezone(CITY_TIMEZONE).date(), end.astimezone(CITY_TIMEZONE).date())


def live_status(service: IssuerService, issued: IssuedBadge, locale: str) -> LiveStatus:
    """The stored badge verified as any verifier would, status lists included."""
    return verify_stored(service, "badge", issued.credential_id, issued.credential_json, locale,
                         unavailable=translations(locale).gettext(
                             "The badge could not be checked just now. Please try again in a "
                             "moment."), status=issued.status)


def verify_stored(service: IssuerService, kind: CredentialKind, credential_id: str,
                  credential_json: str, locale: str, *, unavailable: str,
                  status: StatusVersion | None = None) -> LiveStatus:
    """One of our stored credentials (a badge or an endorsement) verified with its status as
    the database holds it now (`issuer.issuance.own_verification.verify_own`: reused only while
    nothing it depends on changed).

    It comes from our own database, signed by us: it is not a stranger's upload, so it is
    canonicalised in-process (`untrusted=False`, no sandbox worker). If verification itself
    breaks, the page says `unavailable`: it never crashes and never says valid."""
    checked_at = datetime.now(UTC)
    try:
        report, version = verify_own(service, kind, credential_id, credential_json,
                                     status=status)
    except Exception:
        logger.exception("live verification failed for %s %s", kind, credential_id)
        return LiveStatus("indeterminate", unavailable, (), False, False, checked_at)
    return LiveStatus(report.verdict, report.summary(locale), report.checks,
                      bool(report.revoked), bool(report.suspended), checked_at, report,
                      revoked_at=version.revoked_at if version else None,
                      suspended_at=version.suspended_at if version and version.suspended
                      else None)


def linkedin_url(facts: BadgeFacts, credential: dict[str, Any],
                 organization_id: str | None = None) -> str | None:
    """LinkedIn's "Add to profile" form, filled with the credential's own values: issued the
    month of the event (or of the mandate's start), the City's LinkedIn page when it is set."""
    issued = linkedin_issue_date(credential)
    if issued is None:
        return None
    return linkedin_add_to_profile_url(
        name=facts.credential_name, organization_name=facts.issuer_name, issued=issued,
        expires=_city_day(facts.valid_until) if facts.valid_until else None,
        cert_url=facts.page_url, cert_id=facts.credential_id, organization_id=organization_id)


def share_message(facts: BadgeFacts, locale: str) -> str:
    """What a member posts with the link: the badge and the issuer, never their own name."""
    return translations(locale).gettext(
        "I received the digital badge “%(name)s” (%(issuer)s).") % {
        "name": facts.name, "issuer": facts.issuer_name}


def page_share_links(facts: BadgeFacts, locale: str) -> tuple[ShareLink, ...]:
    subject = translations(locale).gettext("My digital badge: %(name)s") % {"name": facts.name}
    return share_links(page_url=facts.page_url, message=share_message(facts, locale),
                       subject=subject)


def _moment_text(moment: datetime, locale: str) -> dict[str, str]:
    local = moment.astimezone(CITY_TIMEZONE)
    return {"date": format_date(local.date(), "long", locale=babel_locale(locale)),
            "time": format_time(local.time(), "short", locale=babel_locale(locale))}


# --- request handling -----------------------------------------------------------------------

def _issued(request: Request) -> IssuedBadge:
    credential_id = valid_credential_id(request.path_params["credential_id"])
    if credential_id is None:
        raise HTTPException(404, "unknown badge")
    try:
        return service_of(request).credential(credential_id)
    except NotFound:
        raise HTTPException(404, "unknown badge") from None


def _robots(issued: IssuedBadge) -> dict[str, str]:
    return {} if is_indexable(issued) else {"x-robots-tag": "noindex"}


def _file_stem(service: IssuerService, issued: IssuedBadge) -> str:
    """`badge-<slug>[-<edition>]-<first 8 characters of the id>`, for downloaded files."""
    badge, event = badge_definition(service, issued.credential)
    parts = ["badge"] + ([badge.slug] if badge else []) + ([str(event.number)] if event else [])
    return "-".join([*parts, issued.credential_id[:8]])


def credential_page(request: Request) -> Response:
    issued = _issued(request)
    if prefers_json(request.headers.get("accept", "")):
        # Byte for byte as issued (storage.models.IssuedCredential): never re-serialised.
        return Response(issued.credential_json.encode("utf-8"), media_type=JSON_LD,
                        headers={"cache-control": SIGNED_FORM_CACHE, "vary": "Accept",
                                 "access-control-allow-origin": "*", **_robots(issued)})
    return _credential_page(request, issued)


HOLDER_FORM_LIMIT = 16 * 1024
"""The holder check form holds one e-mail field: a larger body is refused while reading."""


async def credential_holder_check(request: Request) -> Response:
    """POST on the badge page: "Is this badge theirs?" (issue #9 item 8). Cross-site posts are
    refused by the site-wide guard (`issuer.web.admin.csrf`, this path is not exempt); the
    verification rate limit is shared with the verifier, since each answer verifies the badge
    again. The address is compared and dropped (see `badge_claims`)."""
    email = ""
    refused: VerifierInputError | None = None
    try:
        check_rate_limit(request)
        if media_type_of(request) not in FORM_MEDIA_TYPES:
            raise VerifierInputError.of("verify.unreadable_form")
        form = await parse_form(request, await read_limited_body(request, HOLDER_FORM_LIMIT))
        try:
            email = form_email(form) or ""
        finally:
            await form.close()
    except VerifierInputError as error:
        refused = error
    return await run_in_threadpool(_holder_page, request, email, refused)


def _holder_page(request: Request, email: str, refused: VerifierInputError | None) -> Response:
    issued = _issued(request)
    if refused is not None:
        status = refused.status if refused.status in (403, 413, 429) else 400
        return _credential_page(request, issued, holder_error=refused, status_code=status)
    return _credential_page(request, issued, holder_email=email)


def _credential_page(request: Request, issued: IssuedBadge, *, holder_email: str | None = None,
                     holder_error: VerifierInputError | None = None,
                     status_code: int = 200) -> Response:
    service = service_of(request)
    locale = request_locale(request)
    status = live_status(service, issued, locale)
    headers = {"cache-control": LIVE_CACHE, "vary": "Accept, Accept-Language, Cookie",
               **_robots(issued)}
    # The holder (signed in, or holding a holder access) sees "Add to my wallet": a page of
    # their own, never the shared one (issue #12).
    wallet_holder = holder_of(request, issued.credential_id) is not None
    if holder_email is None and holder_error is None and status.report is not None \
            and not wallet_holder:
        return _shared_page(request, service, issued, status, status.report, locale, headers)
    if holder_error is not None:
        headers.update(holder_error.headers)
    # An answer to one visitor's "Is this badge theirs?": rendered for them, never kept.
    context = _page_context(service, issued, status, locale, endorsable=is_skill_badge(
        service, issued.credential), holder_email=holder_email, holder_error=holder_error,
        wallet_holder=wallet_holder)
    return render(request, "credential.html", context, locale=locale, headers=headers,
                  status_code=status_code)


@dataclass(frozen=True, eq=False)
class BadgePageInputs:
    """Everything the badge page shown to any visitor is made of, besides the language and
    the address (the cache key, `_shared_page`) and what never changes while the service runs
    (settings, templates, translations). Compared field by field before a page is reused."""

    credential_json: str                 # the signed badge (facts, claims, share links)
    indexable: bool                      # robots meta
    status: StatusVersion | None         # revocation and suspension, with their dates
    report: VerificationReport           # the verification: the very object the own
    #                                      verification cache holds, so a new report (status,
    #                                      keys or validity changed, cache expired) is a new page
    catalogue: Catalogue                 # badge names, texts, roles, editions (same object
    #                                      while the catalogue and skill badges are unchanged)
    endorsements: tuple[EndorsementView, ...]   # the published ones, read on every view
    minute: datetime                     # "Checked on … at HH:MM": the time shown

    def same_as(self, other: PageInputs) -> bool:
        return (isinstance(other, BadgePageInputs)
                and self.report is other.report and self.catalogue is other.catalogue
                and self.minute == other.minute and self.status == other.status
                and self.indexable == other.indexable
                and self.endorsements == other.endorsements
                and self.credential_json == other.credential_json)


def _shared_page(request: Request, service: IssuerService, issued: IssuedBadge,
                 status: LiveStatus, report: VerificationReport, locale: str,
                 headers: dict[str, str]) -> Response:
    """The page every visitor reading this language gets: rendered once per minute while its
    inputs are unchanged (`issuer.web.page_cache`). The status and the published endorsements
    are read on every view (a revocation shows at the next view); nothing in it comes from
    the visitor but the language (no form answer, no session)."""
    cache = page_cache_of(request)
    endorsable = is_skill_badge(service, issued.credential)
    inputs = BadgePageInputs(
        credential_json=issued.credential_json, indexable=is_indexable(issued),
        status=issued.status, report=report, catalogue=service.catalogue,
        endorsements=endorsements_of_badge(service, issued.credential_id) if endorsable else (),
        minute=status.checked_at.replace(second=0, microsecond=0))
    key = ("credential", issued.credential_id, locale, request.url.path)
    body = cache.lookup(key, inputs)
    if body is None:
        with cache.rendering(key):
            body = cache.lookup(key, inputs)
            if body is None:
                context = _page_context(service, issued, status, locale, endorsable=endorsable,
                                        endorsements=inputs.endorsements)
                body = environment(locale).get_template("credential.html").render(
                    request=request, current_path=request.url.path, **context).encode("utf-8")
                cache.store(key, inputs, body)
    return html_response(request, body, locale=locale, headers=headers)


def _page_context(service: IssuerService, issued: IssuedBadge, status: LiveStatus, locale: str,
                  *, endorsable: bool, endorsements: tuple[EndorsementView, ...] | None = None,
                  holder_email: str | None = None,
                  holder_error: VerifierInputError | None = None,
                  wallet_holder: bool = False) -> dict[str, Any]:
    facts = badge_facts(service, issued, locale)
    gettext = translations(locale).gettext
    status_lines = []
    if status.revoked and status.revoked_at:
        status_lines.append(gettext("Revoked on %(date)s.")
                            % {"date": _moment_text(status.revoked_at, locale)["date"]})
    if status.suspended and status.suspended_at:
        status_lines.append(gettext("Suspended since %(date)s.")
                            % {"date": _moment_text(status.suspended_at, locale)["date"]})
    base_url = service.settings.base_url.rstrip("/")
    display = claims_display(status.report, service.settings.base_url)
    holder: HolderAnswer | None = None
    if holder_email is not None and status.report is not None:
        holder = check_holder(status.report, holder_email)
    if endorsements is None:
        endorsements = endorsements_of_badge(service, issued.credential_id) if endorsable else ()
    return {
        "facts": facts,
        "status": status,
        # What the signature vouches for, and "Is this badge theirs?" (issue #9 items 7, 8).
        "claims": display.claims,
        "claims_image_src": display.image_src,
        "holder": holder,
        "holder_refusal": display.holder_refusal if status.report is not None else None,
        "holder_available": status.report is not None,
        "holder_error": holder_error.message(locale) if holder_error is not None else None,
        "status_lines": status_lines,
        "checked": _moment_text(status.checked_at, locale),
        "description_html": markdown_to_html(facts.description),
        "criteria_html": markdown_to_html(facts.criteria),
        "linkedin_url": linkedin_url(facts, issued.credential,
                                     service.settings.linkedin_organization_id),
        "share_links": page_share_links(facts, locale),
        "share_message": share_message(facts, locale),
        "indexable": is_indexable(issued),
        "preview_url": f"{base_url}/credentials/{issued.credential_id}/preview.png",
        "og_locale": "en_GB" if locale == "en" else "fr_FR",
        # The skills of the catalogue the badge is aligned to, with the version it names.
        "aligned_skills": aligned_skills(service, issued.credential, locale),
        # Peer endorsements (issue #5 item 5): skill badges only, published ones only.
        "endorsable": endorsable,
        "endorsements": endorsements,
        # "Add to my wallet" straight away for the holder (signed in, or holding a holder
        # access); anyone else gets "This is my badge", which mails the holder (issue #12).
        "wallet_holder": wallet_holder,
        # Revoked, suspended or expired: nothing offered for sharing (issue 13 item 3).
        "withdrawn": is_withdrawn(issued) or status.revoked or status.suspended,
    }


def credential_json(request: Request) -> Response:
    issued = _issued(request)
    return Response(issued.credential_json.encode("utf-8"), media_type=JSON_LD,
                    headers={"cache-control": SIGNED_FORM_CACHE,
                             "access-control-allow-origin": "*",
                             "content-disposition":
                                 f'inline; filename="{_file_stem(service_of(request), issued)}.json"',
                             **_robots(issued)})


def credential_jwt(request: Request) -> Response:
    issued = _issued(request)
    return Response(issued.credential_jwt.encode("ascii"), media_type="application/jwt",
                    headers={"cache-control": SIGNED_FORM_CACHE,
                             "access-control-allow-origin": "*", **_robots(issued)})


def _baked(request: Request, kind: str) -> Response:
    issued = _issued(request)
    service = service_of(request)
    try:
        body = service.baked_png(issued) if kind == "png" else service.baked_svg(issued)
    except CatalogueError:
        raise HTTPException(404, "this badge's artwork is no longer in the catalogue") from None
    media = "image/png" if kind == "png" else "image/svg+xml"
    filename = f"{_file_stem(service, issued)}.{kind}"
    return Response(body, media_type=media,
                    headers={"cache-control": SIGNED_FORM_CACHE,
                             "content-disposition": f'attachment; filename="{filename}"',
                             **_robots(issued)})


def baked_png(request: Request) -> Response:
    return _baked(request, "png")


def baked_svg(request: Request) -> Response:
    return _baked(request, "svg")


def preview_png(request: Request) -> Response:
    """The Open Graph image: artwork, badge name, issuer; nothing about the recipient."""
    issued = _issued(request)
    service = service_of(request)
    badge, _event = badge_definition(service, issued.credential)
    if badge is None:
        raise HTTPException(404, "this badge's artwork is no longer in the catalogue")
    achievement = issued.credential["credentialSubject"]["achievement"]
    gettext = translations("fr").gettext  # one image per URL: the page's first language
    withdrawn = is_withdrawn(issued)
    # A withdrawn badge's preview says so, and is not kept by caches (issue 13 item 3).
    tagline = (gettext("Withdrawn badge: no longer valid") if withdrawn
               else gettext("Verifiable digital badge"))
    body = render_preview(service.badge_png(badge), str(achievement.get("name") or badge.name.fr),
                          service.settings.profile_name, tagline, logo_png=service.logo.png)
    return Response(body, media_type="image/png",
                    headers={"cache-control": "no-cache" if withdrawn else ARTWORK_CACHE,
                             **_robots(issued)})


def is_withdrawn(issued: IssuedBadge, now: datetime | None = None) -> bool:
    """Revoked, suspended or past its `validUntil`: the badge is no longer offered for sharing
    (no LinkedIn, share links, wallet, QR code or downloads but the signed JSON)."""
    status = issued.status
    if status is not None and (status.revoked_at is not None or status.suspended):
        return True
    valid_until = issued.credential.get("validUntil")
    if not isinstance(valid_until, str):
        return False
    try:
        end = datetime.fromisoformat(valid_until)
    except ValueError:
        return False
    return end.tzinfo is not None and end <= (now or datetime.now(UTC))


def qr_code(request: Request) -> Response:
    issued = _issued(request)
    gettext = translations(request_locale(request)).gettext
    body = qr_svg(issued.url, title=gettext("QR code of the badge page: %(url)s")
                  % {"url": issued.url})
    return Response(body, media_type="image/svg+xml",
                    headers={"cache-control": ARTWORK_CACHE, **_robots(issued)})


def _logo_data_uri(logo: Logo) -> str:
    # WeasyPrint draws SVG itself: the sharper of the two when the City has one.
    return (data_uri(logo.svg, "image/svg+xml") if logo.svg is not None
            else data_uri(logo.png, "image/png"))


def attestation_pdf(request: Request) -> Response:
    issued = _issued(request)
    service = service_of(request)
    locale = request_locale(request)
    facts = badge_facts(service, issued, locale)
    badge, _event = badge_definition(service, issued.credential)
    status = live_status(service, issued, locale)
    description = facts.description.split("\n\n", 1)[0]
    gettext = translations(locale).gettext
    html = environment(locale).get_template("attestation.html").render(
        facts=facts, status=status, checked=_moment_text(status.checked_at, locale),
        description_html=markdown_to_html(description),
        artwork=data_uri(service.badge_png(badge), "image/png") if badge else None,
        qr=data_uri(qr_svg(issued.url), "image/svg+xml"),
        logo=_logo_data_uri(service.logo),
        issuer=service.profile,
        qr_alt=gettext("QR code of the badge page: %(url)s") % {"url": issued.url})
    filename = f"attestation-{_file_stem(service, issued).removeprefix('badge-')}.pdf"
    return Response(render_attestation_pdf(html), media_type="application/pdf",
                    headers={"cache-control": LIVE_CACHE,
                             "content-disposition": f'attachment; filename="{filename}"',
                             **_robots(issued)})

