"""The JSON API, under /api/v1 (issue #3 item 4): `POST /api/v1/verify` verifies any Open
Badges 3.0 credential and returns the report of `issuer.openbadges.verification`, with what the badge
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
import re
from typing import Any, Literal

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, Field

from issuer.errors import IssuerError
from issuer.openbadges.credential import normalise_email
from issuer.openbadges.verification.claims import content_is_authentic
from issuer.openbadges.verification.holder import check_holder
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

JSON_TYPES = ("application/json", "application/ld+json", "application/vc", "application/vc+ld+json")
JWT_TYPES = ("application/jwt", "application/vc+jwt", "text/plain")
IMAGE_TYPES = ("image/png", "image/svg+xml")
MULTIPART_TYPE = "multipart/form-data"
ACCEPTED_TYPES = (*JSON_TYPES, *JWT_TYPES, *IMAGE_TYPES, MULTIPART_TYPE)

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


# --- documented shapes (the OpenAPI description) -----------------------------------------------

class Messages(BaseModel):
    fr: str
    en: str


class CheckOut(BaseModel):
    name: Literal["format", "context", "type", "schema", "proof", "issuer_key", "issuer_known",
                  "validity", "status"]
    outcome: Literal["passed", "failed", "warning", "unknown", "skipped"]
    code: str = Field(description="Stable code of what was found, e.g. `proof.valid`, "
                                  "`status.revoked`.")
    message: Messages


class IssuerOut(BaseModel):
    id: str | None
    name: str | None = Field(description="The name the credential gives its issuer.")
    known: bool = Field(description="The issuer is one this service knows (by its id, never "
                                    "by the name it shows).")
    label: str | None


class IssuerClaimOut(BaseModel):
    id: str | None = Field(description="The issuer's id as the credential states it (a DID, "
                                        "or the OB 2.0 Profile's URL).")
    name: str | None
    url: str | None = Field(description="http(s) only.")
    known: bool = Field(description="One of the issuers this service knows, bound to the "
                                    "signing key.")
    label: str | None


class SkillOut(BaseModel):
    name: str = Field(description="The alignment's `targetName`.")
    code: str | None = Field(description="`targetCode`.")
    url: str | None = Field(description="`targetUrl`, http(s) only.")
    framework: str | None = Field(description="`targetFramework`.")


class EvidenceOut(BaseModel):
    name: str | None
    description: str | None
    narrative: str | None
    genre: str | None
    url: str | None = Field(description="The evidence's `id`, http(s) only.")


class ClaimStatusOut(BaseModel):
    revoked: bool | None
    suspended: bool | None
    expired: bool | None


class ClaimsOut(BaseModel):
    """What the badge says, read from the credential (OB 3.0) or the resolved assertion, its
    BadgeClass and Profile (OB 2.0). Every string is bounded in length; URLs are kept only
    with an http(s) scheme (or `data:image/…` for the image)."""

    verified: bool = Field(description="True only when the content was signed by its issuer "
                                       "exactly as read (checks format, context, type, proof "
                                       "and issuer_key passed or warned). False: these are "
                                       "only what the file claims, not facts.")
    kind: Literal["badge", "endorsement"]
    name: str | None = Field(description="The achievement's (OB 2.0: the BadgeClass's) name.")
    description: str | None
    criteria: str | None = Field(description="The criteria narrative.")
    image: str | None = Field(description="http(s) or data:image/… URI.")
    issuer: IssuerClaimOut
    holder_name: str | None = Field(description="`credentialSubject.name`, present only when "
                                                "the holder agreed to show it.")
    role: str | None = Field(description="`credentialSubject.role`.")
    term: str | None = Field(description="`credentialSubject.term`, e.g. a mandate.")
    narrative: str | None = Field(description="`credentialSubject.narrative` (OB 2.0: the "
                                              "assertion's).")
    activity_start: str | None = Field(description="ISO 8601, UTC.")
    activity_end: str | None = Field(description="ISO 8601, UTC.")
    event: EvidenceOut | None = Field(description="The edition or event: the evidence whose "
                                                  "`genre` is an event.")
    issued: str | None = Field(description="ISO 8601, UTC (OB 2.0: `issuedOn`).")
    valid_from: str | None = Field(description="ISO 8601, UTC.")
    valid_until: str | None = Field(description="ISO 8601, UTC (OB 2.0: `expires`).")
    skills: list[SkillOut] = Field(description="OB 3.0 / 2.0 `alignment` of the achievement.")
    evidence: list[EvidenceOut]
    status: ClaimStatusOut


class VerificationReportOut(BaseModel):
    """The verification report: the verdict, one sentence per language, every check in order."""

    verdict: Literal["valid", "invalid", "indeterminate"] = Field(
        description="`invalid` if a check failed, else `indeterminate` if one is unknown (e.g. "
                    "the revocation status could not be read), else `valid`.")
    unreadable: bool
    input_format: Literal["json", "jwt", "png", "svg", "unreadable"]
    standard: Literal["ob3", "ob2"] = Field(
        description="What the input was read as: `ob3`, an Open Badges 3.0 credential; `ob2`, "
                    "an Open Badges 2.0 assertion, hosted (fetched from its own id, on its "
                    "issuer's origin) or signed (RS256 JWS with a key the issuer publishes); "
                    "`credential` is then the assertion with its badge class and issuer "
                    "profile inline.")
    summary: Messages = Field(description="One plain sentence for a person.")
    checks: list[CheckOut]
    issuer: IssuerOut
    revoked: bool | None
    suspended: bool | None
    expired: bool | None
    valid_from: str | None = Field(description="ISO 8601, UTC.")
    valid_until: str | None = Field(description="ISO 8601, UTC.")
    credential: dict[str, Any] | None = Field(description="The credential as read.")
    claims: ClaimsOut | None = Field(description="What the badge says; null when unreadable.")
    claims_verified: bool = Field(description="Whether `claims` may be shown as facts (same "
                                              "as `claims.verified`; false when unreadable).")


class PresentationCheckOut(BaseModel):
    name: Literal["presentation", "holder_did", "holder_proof", "challenge", "domain",
                  "freshness", "holder_binding"]
    outcome: Literal["passed", "failed", "warning", "unknown", "skipped"]
    code: str = Field(description="Stable code, e.g. `holder_proof.ok`, `challenge.mismatch`, "
                                  "`freshness.stale`, `holder_binding.other_subject`.")
    message: Messages


class HolderProofOut(BaseModel):
    """The holder's proof: `ok` when every check below passed (warnings allowed)."""

    ok: bool
    holder: str | None = Field(description="The holder's DID (`did:key`), once read.")
    code: str = Field(description="`holder_proof.ok`, else the first check that failed.")
    message: Messages
    checks: list[PresentationCheckOut]


class PresentedCredentialOut(BaseModel):
    index: int = Field(description="Position in `verifiableCredential`.")
    holder_binding: PresentationCheckOut = Field(
        description="`credentialSubject.id` is the holder's DID (passed), another DID "
                    "(failed: someone else's badge), or no DID (warning: nothing shows the "
                    "presenter is its holder).")
    holder_bound: bool = Field(description="Valid and issued to the holder.")
    report: VerificationReportOut


class PresentationReportOut(BaseModel):
    """A `VerifiablePresentation` verified: the holder's proof, then each credential."""

    kind: Literal["presentation"]
    verdict: Literal["valid", "invalid", "indeterminate"] = Field(
        description="`invalid` if the holder's proof, a credential or a holder binding failed; "
                    "else `indeterminate` if a credential is; else `valid`.")
    summary: Messages
    holder: str | None
    holder_proof: HolderProofOut
    checks: list[PresentationCheckOut] = Field(
        description="The holder's checks, in order: presentation, holder_did, holder_proof, "
                    "challenge, domain, freshness.")
    holder_bound: bool = Field(description="At least one credential, each valid and issued "
                                           "to the holder.")
    credentials: list[PresentedCredentialOut]


class HolderAnswerOut(BaseModel):
    answer: Literal["match", "no_match", "not_authentic", "no_email_identity"] = Field(
        description="`match`: issued to this address; `no_match`: not; `not_authentic`: no "
                    "comparison made, the badge's content is not authentic so its recipient "
                    "proves nothing; `no_email_identity`: the badge names its holder by no "
                    "e-mail address.")
    message: Messages


class HolderCheckOut(BaseModel):
    """The answer and the verdict of the verification it rests on. Nothing else: neither the
    address, nor the badge's salt or hash."""

    holder: HolderAnswerOut
    verdict: Literal["valid", "invalid", "indeterminate"]
    claims_verified: bool
    summary: Messages


class ErrorDetail(BaseModel):
    code: str = Field(description="Stable error code, e.g. `verify.empty`, "
                                  "`fetch.forbidden_target`, `format.not_json`, "
                                  "`verify.too_large`, `verify.rate_limited`.")
    message_fr: str
    message_en: str


class ErrorOut(BaseModel):
    error: ErrorDetail


_CREDENTIAL_SCHEMA: dict[str, Any] = {
    # anyOf, not oneOf: any JSON object is read as a credential (the report then says what it
    # lacks, e.g. `context.missing`), so `{"url": …}` is both an Address and an object.
    "anyOf": [
        {"type": "object", "title": "OpenBadgeCredential",
         "description": "An Open Badges 3.0 credential with an embedded proof. Any JSON object "
                        "is read as one: the report says what it lacks (answer 200).",
         "additionalProperties": True},
        {"type": "object", "title": "Address", "required": ["url"],
         "properties": {"url": {"type": "string", "format": "uri", "maxLength": 2048}},
         "additionalProperties": False,
         "description": "The credential's https address. This service's own credentials are "
                        "read locally; others are fetched (https only, public addresses only, "
                        "size and time limits)."},
        {"type": "object", "title": "JWT", "required": ["jwt"],
         "properties": {"jwt": {"type": "string"}}, "additionalProperties": False,
         "description": "A compact VC-JWT."},
        {"type": "object", "title": "VerifiablePresentation",
         "required": ["type"], "additionalProperties": True,
         "description": "A presentation signed by its holder (`type` includes "
                        "VerifiablePresentation): read as a presentation, with no challenge or "
                        "domain expected (the report says so)."},
        {"type": "object", "title": "PresentationToCheck", "required": ["verifiablePresentation"],
         "properties": {
             "verifiablePresentation": {"type": "object"},
             "challenge": {"type": "string", "maxLength": 512,
                           "description": "The challenge the holder's proof must carry."},
             "domain": {"type": "string", "maxLength": 512,
                        "description": "The domain the holder's proof must carry."},
             "options": {"type": "object", "description": "VC-API form: `challenge` and "
                                                         "`domain` here instead.",
                         "properties": {"challenge": {"type": "string"},
                                        "domain": {"type": "string"}},
                         "additionalProperties": False}},
         "additionalProperties": False,
         "description": "A presentation with the challenge and domain its holder's proof must "
                        "carry (`Ed25519Signature2020` or `eddsa-rdfc-2022`, proof purpose "
                        "`authentication`, did:key holder, signed less than 10 minutes ago)."},
    ]}
COMPACT_JWT = re.compile(r"[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*")
_JWT_SCHEMA = {"type": "string", "description": "A compact VC-JWT (header.payload.signature).",
               "pattern": r"^\s*[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*\s*$",
               "example": "eyJhbGciOiJFZERTQSJ9.eyJpc3MiOiJkaWQ6d2ViOmV4YW1wbGUub3JnIn0.c2lnbmF0dXJl"}
_IMAGE_SCHEMA = {"type": "string", "format": "binary",
                 "description": "A baked badge image (OB 3.0 §5.3)."}

REQUEST_BODY: dict[str, Any] = {
    "required": True,
    "description": (f"The credential to verify, at most {MAX_INPUT_BYTES} bytes, in one of these "
                    "forms. Any other media type is answered 415."),
    "content": {
        **{media: {"schema": _CREDENTIAL_SCHEMA,
                   "examples": {"address": {"value": {"url": "https://badges.example.org/credentials/…"}},
                                "jwt": {"value": {"jwt": "eyJhbGciOi…"}}}}
           for media in JSON_TYPES},
        **{media: {"schema": _JWT_SCHEMA} for media in JWT_TYPES},
        **{media: {"schema": _IMAGE_SCHEMA} for media in IMAGE_TYPES},
        MULTIPART_TYPE: {"schema": {
            "type": "object", "required": ["file"],
            "properties": {"file": {"type": "string", "format": "binary",
                                    "description": "A baked PNG or SVG, or the credential "
                                                   "as JSON or JWT text."}}}},
    },
}

_ERROR_EXAMPLE = {"error": {"code": "verify.empty",
                            "message_fr": "Donnez un badge à vérifier : …",
                            "message_en": "Give a badge to check: …"}}
RESPONSES: dict[int | str, dict[str, Any]] = {
    200: {"model": VerificationReportOut | PresentationReportOut,
          "description": "The report, whatever the verdict (check `verdict`): a credential's, "
                         "or a presentation's (`kind: \"presentation\"`)."},
    400: {"model": ErrorOut, "description": "Input that cannot be used: empty, unreadable, an "
                                            "address refused or unreachable.",
          "content": {"application/json": {"example": _ERROR_EXAMPLE}}},
    405: {"model": ErrorOut, "description": "Method not allowed (only POST and OPTIONS).",
          "headers": {"Allow": {"schema": {"type": "string"},
                                "description": "The methods this address accepts."}}},
    413: {"model": ErrorOut, "description": f"Body larger than {MAX_INPUT_BYTES} bytes."},
    415: {"model": ErrorOut, "description": "Unsupported media type."},
    429: {"model": ErrorOut, "description": "Too many verifications from this client; see the "
                                            "Retry-After header (seconds).",
          "headers": {"Retry-After": {"schema": {"type": "integer"},
                                      "description": "Seconds to wait."}}},
    503: {"model": ErrorOut, "description": "Too many live verifications in progress on the "
                                            "service (`verify.busy`); see the Retry-After header "
                                            "(seconds).",
          "headers": {"Retry-After": {"schema": {"type": "integer"},
                                      "description": "Seconds to wait."}}},
}

HOLDER_REQUEST_BODY: dict[str, Any] = {
    "required": True,
    "description": (f"The e-mail address and the badge, at most {MAX_INPUT_BYTES} bytes in all. "
                    "The badge is given as in `POST /api/v1/verify`: `credential` (the JSON "
                    "object, or its text, or a VC-JWT), `jwt`, or `url`."),
    "content": {media: {"schema": {
        "type": "object", "required": ["email"], "additionalProperties": False,
        "properties": {
            "email": {"type": "string", "maxLength": 320,
                      "description": "The address the holder gives. Compared after trimming "
                                     "and lowering its case, never stored nor logged."},
            "credential": {"oneOf": [{"type": "object"}, {"type": "string"}]},
            "jwt": {"type": "string"},
            "url": {"type": "string", "format": "uri", "maxLength": 2048}}},
        "example": {"email": "camille@example.org",
                    "url": "https://badges.example.org/credentials/…"}}
        for media in JSON_TYPES},
}

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
        if isinstance(submission, PresentationInput):
            answer = (await run_presentation_verification(request, submission)).to_json()
        else:
            answer = (await run_verification(request, submission)).to_json()
    except VerifierInputError as error:
        return _error_response(error, error.status)
    except IssuerError as error:
        return _error_response(error, 400)
    return JSONResponse(answer, headers={**CORS_HEADERS, "cache-control": "no-store"})


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
