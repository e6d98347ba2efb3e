"""Domain exceptions: each has a stable code and a message a person can act on, in French
first and English second."""

from __future__ import annotations


class IssuerError(Exception):
    """Base of every error this package raises on purpose.

    `code` is stable (scripts and the API rely on it); `message_fr` / `message_en` are for
    people.
    """

    code = "issuer_error"

    def __init__(self, message_fr: str, message_en: str, *, code: str | None = None) -> None:
        super().__init__(message_en)
        if code is not None:
            self.code = code
        self.message_fr = message_fr
        self.message_en = message_en

    def message(self, locale: str = "fr") -> str:
        return self.message_en if locale.startswith("en") else self.message_fr


class InvalidInput(IssuerError):
    """Input that cannot be read or used (unreadable file, malformed JSON, bad e-mail...)."""

    code = "invalid_input"


class SigningRefused(IssuerError):
    """A document that must not be signed (undefined term, control character...)."""

    code = "signing_refused"


class NotFound(IssuerError):
    code = "not_found"
