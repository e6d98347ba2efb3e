"""Verification for anyone (issue #3 item 4): the /verifier page (French, English through the
locale switch) and its English alias /verify. An employer pastes a credential (JSON or JWT),
uploads a baked PNG / SVG, or enters the badge's address; the answer is one sentence first,
then what was verified (`badge_claims`: the claims, as facts only for an authentic badge), the
"Is this badge theirs?" form, then every check. That form sends the badge again with the
address (`resubmission_fields`): nothing is kept server-side between the two requests.

Everything here reads what a stranger sends, so each step is bounded (VERIFICATION.md R9, R16, R17):
the body is read up to a cap (refused while reading, not after); a URL is fetched with the
bounded `Fetcher` (https only, never a private or loopback address, size and time limits), or
resolved locally when it names one of this service's own credentials; `verify()` runs in the
threadpool with the untrusted settings, so the event loop never waits on it.

Load (issue #10, items 3 and 4): an input that is byte for byte one of our stored credentials
(its JSON or JWT, pasted, posted or named by its address) is answered by
`issuer.issuance.own_verification.verify_own`, cached by credential and status. Anything else is
verified live, at most `MAX_CONCURRENT_VERIFICATIONS` at once in the process: each may wait
on other sites for several fetch deadlines, in one of the threadpool's 40 threads, which the
pages need too; one more is refused at once (503, `verify.busy`, Retry-After).

CSRF: the form changes no state, but a cross-site POST is refused like Datasette and Go's
`http.CrossOriginProtection` do, from headers rather than tokens: `Sec-Fetch-Site` when the
browser sends it (only `same-origin` and `none` pass), else `Origin` (must be our own origin),
else (no browser metadata: curl, scripts) the request goes ahead. The JSON API
(`issuer.web.api`) shares the reading and verifying functions below.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, Literal
from urllib.parse import SplitResult, urlsplit

from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData, UploadFile
from starlette.requests import ClientDisconnect, Request
from starlette.responses import Response

from issuer.errors import InvalidInput, IssuerError
from issuer.issuance.own_verification import own_stored_credential, verify_own
from issuer.issuance.service import IssuerService
from issuer.issuance.verification_context import bounded_fetcher, verification_context_for
from issuer.openbadges.fetch import Fetcher
from issuer.openbadges.verification import VerificationReport, verify
from issuer.openbadges.verification.holder import HolderAnswer, check_holder
from issuer.openbadges.verification.inputs import read_input
from issuer.web.deps import service_of
from issuer.web.locale import request_locale, requested_switch
from issuer.web.rate_limit import client_key, retry_after_header, verification_limiter
from issuer.web.templating import render
from issuer.web.views.badge_claims import claims_display, form_email

MAX_INPUT_BYTES = 2_000_000
"""Largest credential or image accepted; the same cap as VerificationContext.max_input_bytes."""
FORM_OVERHEAD_BYTES = 64 * 1024
"""Room for multipart boundaries, headers and the other (small) fields of a form."""
MAX_URL_LENGTH = 2_048
DRAIN_LIMIT_BYTES = 20 * 1024 * 1024
"""After refusing a too-large form, read (and drop) up to this much more of the upload so the
browser, still sending, receives our page instead of a connection reset."""
REMOTE_ACCEPT = ("application/ld+json, application/json;q=0.9, application/jwt;q=0.8, "
                 "image/png;q=0.7, image/svg+xml;q=0.7")
FILE_ACCEPT = ".png,.svg,image/png,image/svg+xml"
FORM_MEDIA_TYPES = ("multipart/form-data", "application/x-www-form-urlencoded")
MAX_CONCURRENT_VERIFICATIONS = 8
"""Live verifications of other issuers' badges at once, well below the 40 threads Starlette
runs blocking handlers in: the pages always find threads."""
BUSY_RETRY_SECONDS = 5

InputField = Literal["credential", "file", "url"]
INPUT_FIELDS: tuple[InputField, ...] = ("credential", "file", "url")

_MESSAGES: dict[str, tuple[str, str]] = {
    "verify.empty": (
        ("Donnez un badge à vérifier : collez son texte, choisissez son image ou indiquez son "
         "adresse."),
        "Give a badge to check: paste its text, choose its image or enter its address."),
    "verify.several_inputs": (
        ("Une seule façon à la fois : collez le badge, ou choisissez son image, ou indiquez son "
         "adresse. Videz les autres champs."),
        ("One way at a time: paste the badge, or choose its image, or enter its address. Empty "
         "the other fields.")),
    "verify.too_large": (
        ("Envoi trop volumineux (limite : {megabytes} Mo). Un badge pèse bien moins : vérifiez "
         "le fichier choisi."),
        "Too large (limit: {megabytes} MB). A badge is much smaller: check the file you chose."),
    "verify.unreadable_form": (
        "Le formulaire envoyé n'a pas pu être lu. Réessayez depuis la page de vérification.",
        "The form could not be read. Try again from the verification page."),
    "verify.bad_url": (
        "Adresse illisible : indiquez l'adresse complète du badge, qui commence par https://.",
        "Unreadable address: enter the badge's full address, starting with https://."),
    "verify.url_too_long": (
        "Adresse trop longue (limite : {limit} caractères).",
        "Address too long (limit: {limit} characters)."),
    "verify.not_a_badge_url": (
        ("Cette adresse de notre service ne mène pas à un badge. Indiquez l'adresse du badge "
         "lui-même (elle contient /credentials/)."),
        ("This address of our service does not lead to a badge. Enter the address of the badge "
         "itself (it contains /credentials/).")),
    "verify.cross_site": (
        ("Ce formulaire a été envoyé depuis un autre site : par sécurité, il n'est pas traité. "
         "Utilisez le formulaire ci-dessous."),
        ("This form was sent from another website: for safety it was not processed. Use the "
         "form below.")),
    "verify.rate_limited": (
        "Trop de vérifications en peu de temps. Réessayez dans {seconds} secondes.",
        "Too many checks in a short time. Try again in {seconds} seconds."),
    "verify.busy": (
        ("Le service vérifie déjà beaucoup de badges en ce moment. Réessayez dans {seconds} "
         "secondes."),
        "The service is checking many badges right now. Try again in {seconds} seconds."),
}


class VerifierInputError(InvalidInput):
    """Input the verifier cannot use. `status` is the HTTP status to answer with; `fields` the
    form fields at fault (for aria-invalid); `report` the verification report when the input
    was read by `verify()` and found unreadable."""

    code = "verify.invalid_input"

    def __init__(self, message_fr: str, message_en: str, *, code: str, status: int = 400,
                 fields: tuple[InputField, ...] = (), report: VerificationReport | None = None,
                 headers: Mapping[str, str] | None = None) -> None:
        super().__init__(message_fr, message_en, code=code)
        self.status = status
        self.fields = fields
        self.report = report
        self.headers = dict(headers or {})

    @classmethod
    def of(cls, code: str, *, status: int = 400, fields: tuple[InputField, ...] = (),
           headers: Mapping[str, str] | None = None, **details: object) -> VerifierInputError:
        message_fr, message_en = _MESSAGES[code]
        return cls(message_fr.format(**details), message_en.format(**details), code=code,
                   status=status, fields=fields, headers=headers)


def too_large_error(limit: int = MAX_INPUT_BYTES) -> VerifierInputError:
    megabytes = f"{limit / 1_000_000:g}"
    return VerifierInputError.of("verify.too_large", status=413, megabytes=megabytes)


def rate_limited_error(wait: float) -> VerifierInputError:
    seconds = retry_after_header(wait)
    return VerifierInputError.of("verify.rate_limited", status=429, seconds=seconds,
                                 headers={"retry-after": seconds})


COUNTED_STATE = "verification_counted"
"""The request state's key where `issuer.web.verify_fast_path` leaves the count it made (a
one-element tuple: the wait, None when let through) before handing the request on."""


def check_rate_limit(request: Request) -> None:
    """Count this verification request (once: the fast path may have counted it already);
    raise the 429 error when the client is over its budget."""
    counted = request.scope.get("state", {}).get(COUNTED_STATE)
    wait = counted[0] if counted is not None \
        else verification_limiter(request).hit(client_key(request))
    if wait is not None:
        raise rate_limited_error(wait)


# --- what the stranger sent ---------------------------------------------------------------------

@dataclass(frozen=True)
class Submission:
    """One badge to verify: credential text (JSON or JWT), image bytes, or an address."""

    field: InputField
    data: str | bytes
    is_url: bool = False


async def read_limited_body(request: Request, limit: int) -> bytes:
    """The request body, refused with a 413 error as soon as it passes `limit` bytes (a
    declared Content-Length beyond it is refused before reading anything)."""
    declared = request.headers.get("content-length", "").strip()
    if declared.isdecimal() and (len(declared) > 18 or int(declared) > limit):
        raise too_large_error(MAX_INPUT_BYTES)
    chunks: list[bytes] = []
    received = 0
    try:
        async for chunk in request.stream():
            received += len(chunk)
            if received > limit:
                raise too_large_error(MAX_INPUT_BYTES)
            chunks.append(chunk)
    except ClientDisconnect:
        raise VerifierInputError.of("verify.unreadable_form") from None
    return b"".join(chunks)


async def drain_body(request: Request, limit: int = DRAIN_LIMIT_BYTES) -> None:
    """Read and drop what remains of an upload we refused, up to `limit` bytes."""
    received = 0
    try:
        async for chunk in request.stream():
            received += len(chunk)
            if received > limit:
                return
    except (ClientDisconnect, RuntimeError):  # RuntimeError: the stream was already consumed
        return


def media_type_of(request: Request) -> str:
    return request.headers.get("content-type", "").split(";", 1)[0].strip().lower()


async def parse_form(request: Request, body: bytes) -> FormData:
    """The form in a body already read (and so already bounded), parsed by Starlette's
    multipart / urlencoded parsers through a replayed request."""
    delivered = False

    async def replay() -> dict[str, Any]:
        nonlocal delivered
        if delivered:
            return {"type": "http.disconnect"}
        delivered = True
        return {"type": "http.request", "body": body, "more_body": False}

    replayed = Request(request.scope, replay)
    try:
        return await replayed.form(max_files=4, max_fields=16,
                                   max_part_size=MAX_INPUT_BYTES + FORM_OVERHEAD_BYTES)
    except Exception:  # noqa: BLE001 - whatever the parser trips on, a stranger's bytes are unreadable
        raise VerifierInputError.of("verify.unreadable_form") from None


def form_text(form: FormData, name: InputField) -> str:
    values = form.getlist(name)
    if len(values) > 1:
        raise VerifierInputError.of("verify.several_inputs", fields=(name,))
    if not values:
        return ""
    value = values[0]
    if isinstance(value, UploadFile):
        raise VerifierInputError.of("verify.unreadable_form", fields=(name,))
    return value


async def form_file(form: FormData, name: InputField) -> bytes:
    """The bytes of an uploaded file field (a plain text field of that name counts too: curl's
    `-F file=<badge.json` sends one); empty when nothing was chosen."""
    values = form.getlist(name)
    if len(values) > 1:
        raise VerifierInputError.of("verify.several_inputs", fields=(name,))
    if not values:
        return b""
    value = values[0]
    if isinstance(value, UploadFile):
        data = await value.read(MAX_INPUT_BYTES + 1)
        if len(data) > MAX_INPUT_BYTES:
            raise too_large_error()
        return data
    return value.encode("utf-8")


def _looks_like_url(text: str) -> bool:
    stripped = text.strip()
    return stripped.lower().startswith(("https://", "http://")) and not any(
        c.isspace() for c in stripped)


def submission_from_values(credential: str, file: bytes, url: str) -> Submission:
    """The one way the form was used; refuses none or several. A link pasted in the text area
    is taken as an address (people paste links anywhere)."""
    given: list[Submission] = []
    if credential.strip():
        given.append(Submission("credential", credential.strip(),
                                is_url=_looks_like_url(credential)))
    if file:
        given.append(Submission("file", file))
    if url.strip():
        given.append(Submission("url", url.strip(), is_url=True))
    if not given:
        raise VerifierInputError.of("verify.empty", fields=("credential",))
    if len(given) > 1:
        raise VerifierInputError.of("verify.several_inputs",
                                    fields=tuple(item.field for item in given))
    return given[0]


# --- from an address to a badge -------------------------------------------------------------------

def _normalised_url(url: str, field_name: InputField) -> str:
    url = url.strip()
    if len(url) > MAX_URL_LENGTH:
        raise VerifierInputError.of("verify.url_too_long", limit=MAX_URL_LENGTH,
                                    fields=(field_name,))
    if "://" not in url and url and not url.startswith("/"):
        url = "https://" + url  # "badges.ville-roubaix.fr/credentials/…" typed without a scheme
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - raises ValueError on a port that is not a number
    except ValueError:
        raise VerifierInputError.of("verify.bad_url", fields=(field_name,)) from None
    if not parts.scheme or not parts.hostname:
        raise VerifierInputError.of("verify.bad_url", fields=(field_name,))
    return url


def _port(parts: SplitResult) -> int | None:
    return parts.port or {"https": 443, "http": 80}.get(parts.scheme.lower())


def _same_service(target: SplitResult, base: SplitResult) -> bool:
    """Same host, and the same port unless neither names one (http or https alike: a person
    may type either scheme for our own site)."""
    if (target.hostname or "").lower() != (base.hostname or "").lower():
        return False
    return (target.port is None and base.port is None) or _port(target) == _port(base)


OwnForm = Literal["json", "jwt", "png", "svg"]
_OWN_FORMS: dict[str, OwnForm] = {"credential.jwt": "jwt", "badge.png": "png", "badge.svg": "svg"}
_OWN_SUFFIXES: dict[str, OwnForm] = {"json": "json", "jwt": "jwt", "png": "png", "svg": "svg"}


def own_credential_reference(url: str, base_url: str) -> tuple[str, OwnForm] | None:
    """(credential id, form to verify) when `url` is one of this service's credentials: its page
    `/credentials/<id>` or any document under it (the JWT and baked images keep their form;
    the attestation or QR code stand for the credential). None for another site's address. An
    address of this service that is not a credential is refused: fetching ourselves would only
    loop back to a page."""
    target, base = urlsplit(url), urlsplit(base_url)
    if not _same_service(target, base):
        return None
    prefix = base.path.rstrip("/") + "/credentials/"
    segments = target.path[len(prefix):].strip("/").split("/")
    if not target.path.startswith(prefix) or not segments[0] or len(segments) > 2:
        raise VerifierInputError.of("verify.not_a_badge_url", fields=("url",))
    credential_id = segments[0]
    if len(segments) == 2:
        return credential_id, _OWN_FORMS.get(segments[1], "json")
    stem, dot, extension = credential_id.rpartition(".")
    if dot and extension in _OWN_SUFFIXES:  # `<id>.jwt`, as `issuer issue --out` names files
        return stem, _OWN_SUFFIXES[extension]
    return credential_id, "json"


def _own_credential(service: IssuerService, credential_id: str, form: OwnForm) -> str | bytes:
    issued = service.credential(credential_id)
    if form == "jwt":
        return issued.credential_jwt
    if form == "png":
        return service.baked_png(issued)
    if form == "svg":
        return service.baked_svg(issued)
    return issued.credential_json


def badge_at(url: str, service: IssuerService, fetcher: Fetcher,
             field_name: InputField = "url") -> str | bytes:
    """The credential an address leads to: read from our own database for this service's
    badges, fetched within bounds otherwise (VERIFICATION.md R17: https, public addresses only)."""
    url = _normalised_url(url, field_name)
    try:
        own = own_credential_reference(url, service.settings.base_url)
    except VerifierInputError as error:
        error.fields = (field_name,)
        raise
    if own is not None:
        return _own_credential(service, *own)
    body, _content_type = fetcher.get_bytes(url, accept=REMOTE_ACCEPT)
    return body


def remote_fetcher(request: Request) -> Fetcher:
    """The fetcher for addresses strangers give: never loopback, whatever the settings say;
    the settings' deadline and size (capped at our input size). `app.state.verifier_fetcher`
    replaces it (tests, a deployment with its own resolver)."""
    custom: Fetcher | None = getattr(request.app.state, "verifier_fetcher", None)
    if custom is not None:
        return custom
    fetcher: Fetcher = bounded_fetcher(service_of(request).settings, allow_loopback=False,
                                       max_bytes=MAX_INPUT_BYTES)
    return fetcher


class VerificationSlots:
    """The cap on live verifications in progress (`MAX_CONCURRENT_VERIFICATIONS`)."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self._in_use = 0
        self._lock = threading.Lock()

    @property
    def in_use(self) -> int:
        with self._lock:
            return self._in_use

    @contextmanager
    def slot(self) -> Iterator[None]:
        """Held for one live verification; raises `verify.busy` at once when all are taken."""
        with self._lock:
            free = self._in_use < self.limit
            if free:
                self._in_use += 1
        if not free:
            seconds = str(BUSY_RETRY_SECONDS)
            raise VerifierInputError.of("verify.busy", status=503, seconds=seconds,
                                        headers={"retry-after": seconds})
        try:
            yield
        finally:
            with self._lock:
                self._in_use -= 1


LIVE_VERIFICATIONS = VerificationSlots(MAX_CONCURRENT_VERIFICATIONS)


def verify_submission(service: IssuerService, submission: Submission,
                      fetcher: Fetcher) -> VerificationReport:
    """Blocking (database, network, canonicalisation): call through `run_in_threadpool`.
    Raises IssuerError for an address that cannot be used, VerifierInputError for an input
    `verify()` could not read at all, or `verify.busy` when too many live verifications run."""
    data: str | bytes = submission.data
    own = None if submission.is_url else own_stored_credential(service, data)
    if own is None:
        with LIVE_VERIFICATIONS.slot():
            if submission.is_url:
                assert isinstance(data, str)
                data = _badge_for_submission(data, service, fetcher, submission.field)
                own = own_stored_credential(service, data)
            if own is None:
                context = verification_context_for(service, untrusted=True,
                                                   allow_loopback=False)
                # An Open Badges 2.0 assertion's documents are fetched like the addresses
                # strangers give.
                context.fetch_document = lambda url: fetcher.get_json(
                    url, accept="application/ld+json, application/json")
                report = verify(data, context)
    if own is not None:
        kind, credential_id, text, status = own  # status read with the text, just now
        report, _status = verify_own(service, kind, credential_id, text, status=status)
    if report.unreadable:
        check = report.check("format")
        raise VerifierInputError(report.summary("fr"), report.summary("en"), code=check.code,
                                 status=413 if check.code == "format.too_large" else 400,
                                 fields=(submission.field,), report=report)
    return report


def _badge_for_submission(url: str, service: IssuerService, fetcher: Fetcher,
                          field_name: InputField) -> str | bytes:
    try:
        return badge_at(url, service, fetcher, field_name)
    except VerifierInputError:
        raise
    except IssuerError as error:
        busy = error.code == "fetch.busy"
        seconds = str(BUSY_RETRY_SECONDS)
        raise VerifierInputError(error.message_fr, error.message_en, code=error.code,
                                 fields=(field_name,), status=503 if busy else 400,
                                 headers={"retry-after": seconds} if busy else None) from error


async def run_verification(request: Request, submission: Submission) -> VerificationReport:
    return await run_in_threadpool(verify_submission, service_of(request), submission,
                                   remote_fetcher(request))


# --- cross-site requests ----------------------------------------------------------------------

def _origin_of(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}".lower()


def is_cross_site(request: Request) -> bool:
    """True for a browser POST sent from another site's page (see module docstring)."""
    fetch_site = request.headers.get("sec-fetch-site")
    if fetch_site is not None:
        return fetch_site.strip().lower() not in ("same-origin", "none")
    origin = request.headers.get("origin")
    if origin is None:
        return False
    own = {_origin_of(str(request.url)), _origin_of(service_of(request).settings.base_url)}
    return origin.strip().lower() not in own


# --- the page ---------------------------------------------------------------------------------

def page_locale(request: Request) -> str:
    """/verify is the English address of the page: English unless the switch says otherwise."""
    if request.url.path.rstrip("/") == "/verify":
        return requested_switch(request) or "en"
    return request_locale(request)


def resubmission_fields(submission: Submission) -> dict[str, str] | None:
    """The form fields that send the same badge again, for the holder check under a result:
    the address, or the credential as text (a baked image's JSON or JWT, read again here). The
    badge is never kept on the server, so the page carries it (issue #9 item 8)."""
    if submission.is_url or isinstance(submission.data, str):
        field_name = "url" if submission.is_url else "credential"
        text = submission.data if isinstance(submission.data, str) else ""
    else:
        reading = read_input(submission.data, MAX_INPUT_BYTES)
        field_name = "credential"
        if reading.token is not None:
            text = reading.token
        elif reading.credential is not None:
            text = json.dumps(reading.credential, ensure_ascii=False)
        else:
            return None
    if not text or len(text.encode("utf-8")) > MAX_INPUT_BYTES:
        return None
    return {field_name: text}


@dataclass
class _PageState:
    values: dict[str, str] = field(default_factory=lambda: {"credential": "", "url": ""})
    error: VerifierInputError | None = None
    report: VerificationReport | None = None
    holder: HolderAnswer | None = None
    resubmission: dict[str, str] | None = None


def _page(request: Request, locale: str, state: _PageState, *, status_code: int = 200) -> Response:
    error = None
    if state.error is not None:
        error = {"code": state.error.code, "message": state.error.message(locale),
                 "fields": state.error.fields}
    result = None
    if state.report is not None:
        report = state.report
        display = claims_display(report, service_of(request).settings.base_url)
        result = {"verdict": report.verdict, "summary": report.summary(locale),
                  "checks": [{"name": c.name, "outcome": c.outcome, "message": c.message(locale)}
                             for c in report.checks],
                  "claims": display.claims, "image_src": display.image_src,
                  "claims_texts": {"description": display.description_html,
                                   "criteria": display.criteria_html},
                  "holder_refusal": display.holder_refusal,
                  "holder": state.holder, "resubmission": state.resubmission}
    headers = dict(state.error.headers) if state.error is not None else {}
    headers["cache-control"] = "no-store"  # a verification result is about one person's badge
    return render(request, "verifier.html",
                  {"values": state.values, "error": error, "result": result,
                   "file_accept": FILE_ACCEPT,
                   "max_megabytes": f"{MAX_INPUT_BYTES / 1_000_000:g}"},
                  status_code=status_code, locale=locale, headers=headers)


async def verifier_form(request: Request) -> Response:
    """GET: the empty form; `?url=` fills in the address (a link to "check this badge")."""
    prefill = request.query_params.get("url", "")
    values = {"credential": "", "url": prefill if len(prefill) <= MAX_URL_LENGTH else ""}
    return _page(request, page_locale(request), _PageState(values=values))


async def verifier_submit(request: Request) -> Response:
    """POST: verify what was given and show the result, or the form again with the error."""
    locale = page_locale(request)
    state = _PageState()
    try:
        if is_cross_site(request):
            raise VerifierInputError.of("verify.cross_site", status=403)
        check_rate_limit(request)
        if media_type_of(request) not in FORM_MEDIA_TYPES:
            raise VerifierInputError.of("verify.unreadable_form")
        try:
            body = await read_limited_body(request, MAX_INPUT_BYTES + FORM_OVERHEAD_BYTES)
        except VerifierInputError:
            await drain_body(request)
            raise
        form = await parse_form(request, body)
        try:
            credential = form_text(form, "credential")
            url = form_text(form, "url")
            state.values = {"credential": credential if len(credential) <= MAX_INPUT_BYTES else "",
                            "url": url if len(url) <= MAX_URL_LENGTH else ""}
            file = await form_file(form, "file")
            email = form_email(form)
        finally:
            await form.close()
        submission = submission_from_values(credential, file, url)
        state.report = await run_verification(request, submission)
        state.resubmission = await run_in_threadpool(resubmission_fields, submission)
        if email is not None:
            state.holder = check_holder(state.report, email)
    except VerifierInputError as error:
        state.error = error
        # The HTML page answers 400 for everything a person can fix in the form (too large
        # included); refusals that are not about the form keep their own status.
        status = error.status if error.status in (403, 429, 503) else 400
        return _page(request, locale, state, status_code=status)
    return _page(request, locale, state)

