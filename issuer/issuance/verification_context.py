"""What verifying a badge fetches, the same for the CLI and the web: the bounded fetcher, and
the verification context that knows the City's own DID document and status lists locally."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from issuer.openbadges.did import DidResolver
from issuer.openbadges.verification.context import RevokedKey
from issuer.settings import Settings

if TYPE_CHECKING:
    from issuer.issuance.service import IssuerService


def bounded_fetcher(settings: Settings, *, allow_loopback: bool = False,
                    max_bytes: int | None = None) -> Any:
    """The `Fetcher` every caller uses, CLI and web alike: `ISSUER_FETCH_TIMEOUT` is its one
    deadline per fetch, `ISSUER_FETCH_MAX_BYTES` its largest body (`max_bytes` may only lower
    it, e.g. to a caller's own input cap)."""
    from issuer.openbadges.fetch import Fetcher

    limit = settings.fetch_max_bytes if max_bytes is None else min(max_bytes,
                                                                   settings.fetch_max_bytes)
    return Fetcher(max_bytes=limit, timeout=settings.fetch_timeout,
                   allow_loopback=allow_loopback)


def badge_fetcher(settings: Settings, *, allow_loopback: bool = False) -> Any:
    """The fetcher for the address of a badge someone asks us to verify, the same for the
    command line and the web: the verification input cap (a badge is input like a file),
    `ISSUER_FETCH_TIMEOUT`, never a private address, loopback only when asked (development)."""
    from issuer.openbadges.verification.context import MAX_INPUT_BYTES

    return bounded_fetcher(settings, allow_loopback=allow_loopback, max_bytes=MAX_INPUT_BYTES)


def verification_context_for(service: IssuerService, *, untrusted: bool = True,
                             allow_loopback: bool = False) -> Any:
    """A VerificationContext that knows the City's own DID document and status lists locally,
    and fetches anything else (DID documents, status lists) with the bounded fetcher:
    `ISSUER_FETCH_MAX_BYTES`, `ISSUER_FETCH_TIMEOUT`, never a private address, loopback only
    with `allow_loopback` (development).

    Public keys only: the DID document comes from `KeyStore.public_keys()` (no private key
    file is opened), our status lists from `current_status_list_credential` (the bits read
    now; signed again only when they changed)."""
    from issuer.openbadges.verification import VerificationContext

    settings = service.settings
    fetcher = bounded_fetcher(settings, allow_loopback=allow_loopback)
    own_prefix = f"{settings.base_url}/status/"
    has_keys = service.keystore.has_keys()  # `issuer verify` works before `issuer init` too

    def fetch_status_list(url: str) -> dict[str, Any]:
        if url.startswith(own_prefix) and has_keys:
            list_id, _, purpose = url.removeprefix(own_prefix).partition("/")
            if list_id.isdigit() and purpose in ("revocation", "suspension"):
                return service.current_status_list_credential(
                    int(list_id), purpose)  # type: ignore[arg-type]
        document: dict[str, Any] = fetcher.get_json(url, accept="application/ld+json, application/json")
        return document

    known = {**settings.trusted_issuer_labels}
    local: dict[str, Any] = {}
    revoked: dict[str, RevokedKey] = {}
    if has_keys:
        known[service.issuer_did] = settings.profile_name
        local[service.issuer_did] = service.did_document()
        revoked = service.revoked_verification_methods()
    resolver = DidResolver(fetcher, local_documents=local)
    def fetch_document(url: str) -> Any:  # Open Badges 2.0 documents
        return fetcher.get_json(url, accept="application/ld+json, application/json")

    return VerificationContext(resolver=resolver, fetch_status_list=fetch_status_list,
                               known_issuers=known, untrusted=untrusted,
                               fetch_document=fetch_document, revoked_keys=revoked)
