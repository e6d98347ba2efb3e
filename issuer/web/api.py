"""The JSON API, under /api/v1 (issue #3 item 4): `POST /api/v1/verify` verifies any Open
Badges 3.0 credential and returns the report of `issuer.verification`.

Answers: 200 with the report whatever the verdict; 400 with a structured error for input that
cannot be used (empty, unreadable, an address refused or unreachable); 413 past the size cap
(refused while reading the body); 415 for other media types; 429 past the rate limit (with
Retry-After). Errors are `{"error": {"code", "message_fr", "message_en"}}`.

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


class VerificationReportOut(BaseModel):
    """The verification report: the verdict, one sentence per language, every check in order."""

    verdict: Literal["valid", "invalid", "indeterminate"] = Field(
        description="`invalid` if a check failed, else `indeterminate` if one is unknown (e.g. "
                    "the revocation status could not be read), else `valid`.")
    unreadable: bool
    input_format: Literal["json", "jwt", "png", "svg", "unreadable"]
    summary: Messages = Field(description="One plain sentence for a person.")
    checks: list[CheckOut]
    issuer: IssuerOut
    revoked: bool | None
    suspended: bool | None
    expired: bool | None
    valid_from: str | None = Field(description="ISO 8601, UTC.")
    valid_until: str | None = Field(description="ISO 8601, UTC.")
    credential: dict[str, Any] | None = Field(description="The credential as read.")


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
    200: {"model": VerificationReportOut,
          "description": "The report, whatever the verdict (check `verdict`)."},
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
}

router = APIRouter(prefix="/api/v1", tags=["verification"])


def _error_response(error: IssuerError, status: int) -> JSONResponse:
    headers = dict(CORS_HEADERS)
    if isinstance(error, VerifierInputError):
        headers.update(error.headers)
    return JSONResponse({"error": {"code": error.code, "message_fr": error.message_fr,
                                   "message_en": error.message_en}},
                        status_code=status, headers=headers)


def _json_submission(body: bytes) -> Submission:
    """A single-key `{"url": …}` or `{"jwt": …}` wrapper, else the body is the credential
    (handed to verify() as bytes: it parses strictly, duplicate keys refused)."""
    try:
        value = json.loads(body)
    except (ValueError, RecursionError):
        return Submission("credential", body)
    if not isinstance(value, dict):
        raise _api_error("api.not_an_object")
    if len(value) == 1 and next(iter(value)) in ("url", "jwt"):
        key, inner = next(iter(value.items()))
        if not isinstance(inner, str):
            raise _api_error("api.bad_wrapper")
        return Submission("url", inner, is_url=True) if key == "url" \
            else Submission("credential", inner)
    return Submission("credential", body)


async def _submission(request: Request, media_type: str) -> Submission:
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
    summary="Verify an Open Badges 3.0 credential",
    description=(
        "Verifies a credential given as JSON (embedded proof), a compact VC-JWT, a baked PNG or "
        "SVG image, or an address (`{\"url\": …}`), and returns every check: format, JSON-LD "
        "context, type, schema, proof, issuer key, known issuer, validity dates, revocation and "
        "suspension status. The answer is 200 whatever the verdict. Open to any origin (CORS); "
        "rate-limited per client."),
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
        report = await run_verification(request, submission)
    except VerifierInputError as error:
        return _error_response(error, error.status)
    except IssuerError as error:
        return _error_response(error, 400)
    return JSONResponse(report.to_json(), headers={**CORS_HEADERS, "cache-control": "no-store"})


@router.options("/verify", include_in_schema=False)
async def verify_preflight() -> Response:
    return Response(status_code=204, headers=PREFLIGHT_HEADERS)
