"""What the JSON API documents (issue #3 item 4): the media types `POST /api/v1/verify`
accepts, the shapes of its answers (pydantic models, the OpenAPI description) and its request
bodies. The routes are `issuer.web.api`.
"""

from __future__ import annotations

import re
from typing import Any, Literal

from pydantic import BaseModel, Field

from issuer.web.views.verifier import MAX_INPUT_BYTES

JSON_TYPES = ("application/json", "application/ld+json", "application/vc", "application/vc+ld+json")
JWT_TYPES = ("application/jwt", "application/vc+jwt", "text/plain")
IMAGE_TYPES = ("image/png", "image/svg+xml")
MULTIPART_TYPE = "multipart/form-data"
ACCEPTED_TYPES = (*JSON_TYPES, *JWT_TYPES, *IMAGE_TYPES, MULTIPART_TYPE)


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
