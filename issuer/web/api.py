"""The JSON API, under /api/v1 (issue #3 item 4; its documented shapes: `issuer.web.api_schemas`).
`POST /api/v1/verify` verifies any Open Badges 3.0 credential and returns the report of
`issuer.openbadges.verification`, with what the badge
says (`claims`, facts only when `claims_verified`); `POST /api/v1/verify/holder` answers
whether a badge was issued to an e-mail address (issue #9 items 7, 8).

Answers: 200 with the report whatever the verdict; 400 with a structured error for input that
cannot be used (empty, unreadable, an address refused or unreachable); 413 past the size cap
(refused while reading the body); 415 for other media types; 429 past the rate limit (with
Retry-After); 503 when the process already runs its share of live verifications of other
issuers' badges (with Retry-After; `issuer.web.views.verifier`). Errors are
`{"error": {"code", "message_fr", "message_en"}}`.

CORS: open for reading, to any origin (`Access-Control-Allow-Origin: *`, preflight answered).
Verification is public, changes no state, reads no cookie and authenticates nobody, so a page
on another site calling it gains nothing it could not get with curl; the rate limit bounds the
cost. No `Allow-Credentials`: browsers then never attach cookies to such calls.
"""

from __future__ import annotations

import json
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response

from issuer.errors import IssuerError
from issuer.openbadges.credential import normalise_email
from issuer.openbadges.verification.claims import content_is_authentic
from issuer.openbadges.verification.holder import check_holder
from issuer.web.api_schemas import (
    ACCEPTED_TYPES,
    COMPACT_JWT,
    HOLDER_REQUEST_BODY,
    IMAGE_TYPES,
    JSON_TYPES,
    JWT_TYPES,
    MULTIPART_TYPE,
    REQUEST_BODY,
    RESPONSES,
    ErrorOut,
    HolderCheckOut,
)
from issuer.web.views.presentations import (
    PresentationInput,
    presentation_input,
    run_presentation_verification,
)
from issuer.web.views.verifier import (
    FORM_OVERHEAD_BYTES,
    MAX_INPUT_BYTES,
    Submission,
    VerifierInputError,
    check_rate_limit,
    form_file,
    media_type_of,
    parse_form,
    read_limited_body,
    run_verification,
)

CORS_HEADERS = {
    "access-control-allow-origin": "*",
    "access-control-expose-headers": "Retry-After",
}
PREFLIGHT_HEADERS = {
    **CORS_HEADERS,
    "access-control-allow-methods": "POST, OPTIONS",
    "access-control-allow-headers": "Content-Type",
    "access-control-max-age": "86400",
}

_MESSAGES: dict[str, tuple[str, str]] = {
    "api.unsupported_media_type": (
        "Type de contenu non pris en charge. Envoyez le badge en {types}.",
        "Unsupported content type. Send the badge as {types}."),
    "api.bad_wrapper": (
        "Objet JSON à une seule clé : « url » ou « jwt » doit être une chaîne de caractères.",
        "Single-key JSON object: 'url' or 'jwt' must be a string."),
    "api.missing_file": (
        "Le formulaire multipart doit contenir un champ « file » (l'image ou le texte du badge).",
        "The multipart form must hold a 'file' field (the badge image or text)."),
    "api.not_an_image": (
        "Le contenu envoyé comme image n'est ni un PNG ni un SVG.",
        "The content sent as an image is neither a PNG nor an SVG."),
    "api.not_a_jwt": (
        ("Le contenu envoyé comme JWT n'est pas un JWT compact (trois parties base64url "
         "séparées par des points). Un badge JSON s'envoie en application/json."),
        ("The content sent as a JWT is not a compact JWT (three base64url parts separated by "
         "dots). A JSON badge is sent as application/json.")),
    "api.not_an_object": (
        "Le corps JSON doit être un objet : le badge, ou {{\"url\": …}}, ou {{\"jwt\": …}}.",
        "The JSON body must be an object: the badge, or {{\"url\": …}}, or {{\"jwt\": …}}."),
    "api.not_utf8": (
        "Le JWT envoyé n'est pas du texte UTF-8.",
        "The JWT sent is not UTF-8 text."),
    "api.bad_holder_request": (
        ("Objet JSON attendu : « email » (chaîne) et le badge dans « credential » (objet ou "
         "texte), « jwt » ou « url » (chaîne), sans autre clé ni clé en double."),
        ("A JSON object was expected: 'email' (a string) and the badge as 'credential' (an "
         "object or text), 'jwt' or 'url' (a string), with no other or repeated key.")),
    "holder.bad_email": (
        "Adresse e-mail illisible : donnez l'adresse complète, par exemple nom@exemple.fr.",
        "Unreadable e-mail address: give the full address, for example name@example.org."),
}


def _api_error(code: str, *, status: int = 400, **details: object) -> VerifierInputError:
    message_fr, message_en = _MESSAGES[code]
    return VerifierInputError(message_fr.format(**details), message_en.format(**details),
                              code=code, status=status)


router = APIRouter(prefix="/api/v1", tags=["verification"])


def _error_response(error: IssuerError, status: int) -> JSONResponse:
    headers = dict(CORS_HEADERS)
    if isinstance(error, VerifierInputError):
        headers.update(error.headers)
    return JSONResponse({"error": {"code": error.code, "message_fr": error.message_fr,
                                   "message_en": error.message_en}},
                        status_code=status, headers=headers)


def _json_submission(body: bytes) -> Submission | PresentationInput:
    """A single-key `{"url": …}` or `{"jwt": …}` wrapper, a presentation (bare, or in
    `{"verifiablePresentation": …}` with `challenge` and `domain`), else the body is the
    credential (handed to verify() as bytes: it parses strictly, duplicate keys refused)."""
    try:
        value = json.loads(body)
    except (ValueError, RecursionError):
        return Submission("credential", body)
    if not isinstance(value, dict):
        raise _api_error("api.not_an_object")
    presentation = presentation_input(value, body)
    if presentation is not None:
        return presentation
    if len(value) == 1 and next(iter(value)) in ("url", "jwt"):
        key, inner = next(iter(value.items()))
        if not isinstance(inner, str):
            raise _api_error("api.bad_wrapper")
        return Submission("url", inner, is_url=True) if key == "url" \
            else Submission("credential", inner)
    return Submission("credential", body)


async def _submission(request: Request, media_type: str) -> Submission | PresentationInput:
    limit = MAX_INPUT_BYTES + (FORM_OVERHEAD_BYTES if media_type == MULTIPART_TYPE else 0)
    body = await read_limited_body(request, limit)
    if media_type in JSON_TYPES:
        return _json_submission(body)
    if media_type in JWT_TYPES:
        try:
            text = body.decode("utf-8-sig").strip()
        except UnicodeDecodeError:
            raise _api_error("api.not_utf8") from None
        # The media type is a promise about the body (the OpenAPI document says so): a JSON
        # badge sent as a JWT is refused, not guessed at.
        if not COMPACT_JWT.fullmatch(text):
            raise _api_error("api.not_a_jwt")
        return Submission("credential", text)
    if media_type in IMAGE_TYPES:
        expected_png = media_type == "image/png"
        stripped = body.removeprefix(b"\xef\xbb\xbf").lstrip()
        if (expected_png and not body.startswith(b"\x89PNG\r\n\x1a\n")) or \
                (not expected_png and not stripped.startswith(b"<")):
            raise _api_error("api.not_an_image")
        return Submission("file", body)
    form = await parse_form(request, body)
    try:
        data = await form_file(form, "file")
    finally:
        await form.close()
    if not data:
        raise _api_error("api.missing_file")
    return Submission("file", data)


@router.post(
    "/verify",
    summary="Verify an Open Badges 3.0 credential or a presentation",
    description=(
        "Verifies a credential given as JSON (embedded proof), a compact VC-JWT, a baked PNG or "
        "SVG image, or an address (`{\"url\": …}`), and returns every check: format, JSON-LD "
        "context, type, schema, proof, issuer key, known issuer, validity dates, revocation and "
        "suspension status. Open Badges 2.0 assertions are read too (`standard`). With the "
        "checks comes what the badge says (`claims`): its name, description, criteria and "
        "image, the issuer (id or DID, name, known here or not), the holder's name when the "
        "badge shows it, role, edition or event, dates, skills (alignments), evidence and "
        "status. They are facts only when `claims_verified` is true (the content was signed "
        "by the issuer as read); a tampered or forged badge's claims come with "
        "`verified: false` and must not be shown as facts. A `VerifiablePresentation` (alone, "
        "or as `verifiablePresentation` with the `challenge` and `domain` its holder's proof "
        "must carry) is verified too: the holder's proof (did:key, `Ed25519Signature2020` or "
        "`eddsa-rdfc-2022`, purpose `authentication`, freshness), every credential inside, and "
        "whether each was issued to the holder's DID (`holder_binding`). The answer is 200 "
        "whatever the verdict. Open to any origin (CORS); rate-limited per client."),
    response_model=None,
    responses=RESPONSES,
    openapi_extra={"requestBody": REQUEST_BODY},
)
async def verify_credential(request: Request) -> Response:
    try:
        check_rate_limit(request)
        media_type = media_type_of(request)
        if media_type not in ACCEPTED_TYPES:
            raise _api_error("api.unsupported_media_type", status=415,
                             types=", ".join(ACCEPTED_TYPES))
        submission = await _submission(request, media_type)
        headers = {**CORS_HEADERS, "cache-control": "no-store"}
        if isinstance(submission, PresentationInput):
            answer = (await run_presentation_verification(request, submission)).to_json()
            return JSONResponse(answer, headers=headers)
        report = await run_verification(request, submission)
    except VerifierInputError as error:
        return _error_response(error, error.status)
    except IssuerError as error:
        return _error_response(error, 400)
    # The report's JSON text, made once per report: the same bytes JSONResponse would render,
    # kept with a cached report of one of our credentials (issue #14, goal 1).
    return Response(report.compact_json, media_type="application/json", headers=headers)


@router.options("/verify", include_in_schema=False)
async def verify_preflight() -> Response:
    return Response(status_code=204, headers=PREFLIGHT_HEADERS)


def _unique_object(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    keys = [key for key, _value in pairs]
    if len(set(keys)) != len(keys):
        raise _api_error("api.bad_holder_request")
    return dict(pairs)


def _holder_request(body: bytes) -> tuple[Submission, str]:
    """(the badge, the address) from `{"email": …, "credential" | "jwt" | "url": …}`."""
    try:
        value = json.loads(body, object_pairs_hook=_unique_object)
    except (ValueError, RecursionError):
        raise _api_error("api.bad_holder_request") from None
    if not isinstance(value, dict) or len(value) != 2 or not isinstance(value.get("email"), str):
        raise _api_error("api.bad_holder_request")
    key = next(name for name in value if name != "email")
    badge = value[key]
    if key == "credential" and isinstance(badge, dict):
        try:
            badge = json.dumps(badge, ensure_ascii=False, allow_nan=False)
        except (ValueError, RecursionError):
            raise _api_error("api.bad_holder_request") from None
    if key not in ("credential", "jwt", "url") or not isinstance(badge, str):
        raise _api_error("api.bad_holder_request")
    submission = Submission("url", badge, is_url=True) if key == "url" \
        else Submission("credential", badge)
    return submission, value["email"]


@router.post(
    "/verify/holder",
    summary="Was this badge issued to this e-mail address?",
    description=(
        "Verifies the badge as `POST /api/v1/verify` does, then compares the address with the "
        "badge's recipient: OB 3.0 `credentialSubject.identifier` (IdentityObject of type "
        "emailAddress: `sha256$` hash of the address and the salt, or the address itself) or "
        "OB 2.0 `recipient` (type email; `sha256$` or `md5$`). The address is trimmed and put "
        "in lower case, as this service does when it issues. An answer is given only for a "
        "badge whose content is authentic (`not_authentic` otherwise: a forged badge's "
        "recipient proves nothing). Nothing is stored or logged; the answer holds no hash, "
        "salt or address. Shares the verification rate limit."),
    response_model=None,
    responses={**RESPONSES, 200: {"model": HolderCheckOut, "description": "The answer."},
               400: {"model": ErrorOut, "description": "Unusable request: not the JSON object "
                                                       "described, an unreadable address "
                                                       "(`holder.bad_email`), or a badge that "
                                                       "cannot be read."}},
    openapi_extra={"requestBody": HOLDER_REQUEST_BODY},
)
async def verify_holder(request: Request) -> Response:
    try:
        check_rate_limit(request)
        if media_type_of(request) not in JSON_TYPES:
            raise _api_error("api.unsupported_media_type", status=415,
                             types=", ".join(JSON_TYPES))
        body = await read_limited_body(request, MAX_INPUT_BYTES + FORM_OVERHEAD_BYTES)
        submission, email = _holder_request(body)
        try:
            normalise_email(email[:400])
        except IssuerError:  # its message would repeat the address: ours does not
            raise _api_error("holder.bad_email") from None
        report = await run_verification(request, submission)
    except VerifierInputError as error:
        return _error_response(error, error.status)
    except IssuerError as error:
        return _error_response(error, 400)
    answer = check_holder(report, email)
    if answer.outcome == "bad_email":
        return _error_response(_api_error("holder.bad_email"), 400)
    return JSONResponse({"holder": answer.to_json(), "verdict": report.verdict,
                         "claims_verified": content_is_authentic(report),
                         "summary": {"fr": report.summary("fr"), "en": report.summary("en")}},
                        headers={**CORS_HEADERS, "cache-control": "no-store"})


@router.options("/verify/holder", include_in_schema=False)
async def verify_holder_preflight() -> Response:
    return Response(status_code=204, headers=PREFLIGHT_HEADERS)
