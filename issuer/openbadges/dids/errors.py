"""`DidError`: a DID, DID document or key that cannot be used, with the rule that failed."""

from __future__ import annotations

from issuer.errors import IssuerError


class DidError(IssuerError):
    """A DID, DID document or key that cannot be used. `code` says which rule failed:

    - ``did.malformed``: not DID syntax, or a DID URL without a fragment;
    - ``did.unsupported_method``: a method other than web, key, jwk;
    - ``did.not_found``: no document for this DID;
    - ``did.bad_document``: the document is not a DID document for this DID;
    - ``did.key_not_listed``: the key is not listed by the DID's own document for the purpose,
      or belongs to another DID (VERIFICATION.md R11);
    - ``did.bad_key``: key material we cannot read or will not use.
    """

    code = "did.error"


def did_error(code: str, message_fr: str, message_en: str) -> DidError:
    return DidError(message_fr, message_en, code=code)


def malformed_did(value: object, why_fr: str, why_en: str) -> DidError:
    return did_error("did.malformed", f"Identifiant DID invalide ({why_fr}) : {value!r}",
                  f"Invalid DID ({why_en}): {value!r}")


def bad_key(why_fr: str, why_en: str) -> DidError:
    return did_error("did.bad_key", f"Clé inutilisable : {why_fr}.", f"Unusable key: {why_en}.")
