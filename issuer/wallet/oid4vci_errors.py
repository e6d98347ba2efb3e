"""Refusals of the OpenID4VCI endpoints: each carries the OAuth 2.0 / OpenID4VCI error code a
wallet acts on (RFC 6749 §5.2, RFC 6750 §3.1, OpenID4VCI 1.0 §8.3.1.2) and a French / English
message for the person reading the wallet's screen or the log."""

from __future__ import annotations

from issuer.errors import IssuerError


class Oid4vciError(IssuerError):
    """A refusal answered as `{"error": ..., "error_description": ...}`.

    `oauth_error` is the wire code (`invalid_grant`, `invalid_proof`, `invalid_nonce`...),
    `status` the HTTP status that goes with it (400, or 401 for a bad access token)."""

    code = "oid4vci.refused"

    def __init__(self, oauth_error: str, message_fr: str, message_en: str, *,
                 status: int = 400) -> None:
        super().__init__(message_fr, message_en, code=f"oid4vci.{oauth_error}")
        self.oauth_error = oauth_error
        self.status = status


def invalid_request(message_fr: str, message_en: str) -> Oid4vciError:
    return Oid4vciError("invalid_request", message_fr, message_en)


def invalid_grant(message_fr: str, message_en: str) -> Oid4vciError:
    return Oid4vciError("invalid_grant", message_fr, message_en)


def invalid_token(message_fr: str, message_en: str) -> Oid4vciError:
    return Oid4vciError("invalid_token", message_fr, message_en, status=401)


def invalid_proof(message_fr: str, message_en: str) -> Oid4vciError:
    return Oid4vciError("invalid_proof", message_fr, message_en)


def invalid_nonce(message_fr: str, message_en: str) -> Oid4vciError:
    return Oid4vciError("invalid_nonce", message_fr, message_en)


def invalid_credential_request(message_fr: str, message_en: str) -> Oid4vciError:
    return Oid4vciError("invalid_credential_request", message_fr, message_en)


def credential_request_denied(message_fr: str, message_en: str) -> Oid4vciError:
    return Oid4vciError("credential_request_denied", message_fr, message_en)
