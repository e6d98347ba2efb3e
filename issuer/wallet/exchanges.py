"""The VC-API issuance exchange, as the Learner Credential Wallet (LCW) runs it (issue #12,
item 2).

How LCW receives a credential (its `app/lib/exchanges.ts`, `interactionUrl.ts` and the Add
screen's `addCredentialsFrom`; W3C VC-API / VCALM, "Exchanges"):
1. It is given an *invitation*: the universal link `https://lcw.app/request?request=<JSON>`,
   the custom scheme `dccrequest://request?request=<JSON>` (the same JSON:
   `{"credentialRequestOrigin": <our origin>, "protocols": {"vcapi": <exchange URL>}}`), or
   an *interaction URL* (`…?iuv=1`) which it GETs with `Accept: application/json` and reads
   `{"protocols": {"vcapi": <exchange URL>}}` from.
2. It POSTs `{}` to the exchange URL. We answer a `verifiablePresentationRequest` whose
   query is `DIDAuthentication`, with a `challenge` and a `domain`.
3. It signs a presentation for its DID with that challenge and domain (proof purpose
   `authentication`) and POSTs `{"verifiablePresentation": …}` to the same URL (or to
   `interact.service[0].serviceEndpoint`, which we set to the same URL).
4. We check the presentation (issuer.openbadges.verification.presentation.verify_did_auth) and answer
   `{"verifiablePresentation": {…, "verifiableCredential": [<copy>]}}`: the badge issued
   again to the wallet's DID (issuer.wallet.copies.issue_holder_copy), `ldp_vc` signed with
   `eddsa-rdfc-2022`. An answer without `verifiablePresentationRequest` ends LCW's loop.

Safety (issue #12 item 6): an exchange is for one badge and the holder who asked for it
(`recipient_id`), lives `lifetime` (minutes), gives one copy (`complete` is set by one
conditional UPDATE in the transaction that issues the copy: two wallets racing, on PostgreSQL
as on SQLite, get one credential between them), and its address is a random token stored as a
SHA-256 digest. The challenge is derived from the token with a server secret (HMAC), so it is
never stored and the same on every `POST {}` of one exchange. Nothing in any of these URLs
names a person or a badge.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any
from urllib.parse import quote, urlencode, urlsplit

from sqlalchemy import delete, update
from sqlalchemy.orm import Session

from issuer.storage.audit_log import record_audit
from issuer.storage.exchange_models import WalletExchange
from issuer.storage.models import utc_now
from issuer.tokens import new_token, token_digest
from issuer.wallet import errors
from issuer.wallet.holder_links import deliverable_badge

if TYPE_CHECKING:
    from issuer.issuance.service import IssuerService

EXCHANGE_PATH = "/portefeuille/echanges"
INTERACTION_PATH = "/portefeuille/interaction"
LCW_UNIVERSAL_LINK = "https://lcw.app/request"
LCW_CUSTOM_SCHEME = "dccrequest://request"
VC_V2_CONTEXT = "https://www.w3.org/ns/credentials/v2"
EXCHANGE_ACTOR = "wallet"
CHALLENGE_PURPOSE = "wallet-exchange-challenge"


@dataclass(frozen=True)
class ExchangePolicy:
    lifetime: timedelta = timedelta(minutes=10)
    # Expired and completed exchanges: kept this long for the audit, then deleted.
    kept: timedelta = timedelta(days=1)


POLICY = ExchangePolicy()
EXCHANGE_MINUTES = int(POLICY.lifetime.total_seconds() // 60)
"""What pages say of an exchange's life ("10 minutes")."""


# --- addresses and invitations (pure) --------------------------------------------------------

def exchange_url(base_url: str, token: str) -> str:
    return f"{base_url.rstrip('/')}{EXCHANGE_PATH}/{quote(token, safe='')}"


def interaction_url(base_url: str, token: str) -> str:
    """The universal interaction URL (`iuv=1`): a wallet GETs it for the protocols map."""
    return f"{base_url.rstrip('/')}{INTERACTION_PATH}/{quote(token, safe='')}?iuv=1"


def origin_of(base_url: str) -> str:
    parts = urlsplit(base_url)
    return f"{parts.scheme}://{parts.netloc}"


def domain_of(base_url: str) -> str:
    """The `domain` a presentation must be signed for: our host (and port), as the
    presentation request examples of VC-API use a host name."""
    return urlsplit(base_url).netloc


def protocols(base_url: str, token: str) -> dict[str, str]:
    """What the interaction URL answers under `protocols`. OpenID4VCI, when it exists for
    this badge, is offered by its own page (issuer.wallet.oid4vci), not here."""
    return {"vcapi": exchange_url(base_url, token)}


def wallet_request(base_url: str, token: str) -> dict[str, Any]:
    """The JSON LCW reads from `?request=` (its Wallet API request message)."""
    return {"credentialRequestOrigin": origin_of(base_url),
            "protocols": protocols(base_url, token)}


def lcw_universal_link(base_url: str, token: str) -> str:
    """`https://lcw.app/request?request=…`: opens LCW when installed (universal / app link),
    else LCW's web site, which says how to install it."""
    return f"{LCW_UNIVERSAL_LINK}?{urlencode({'request': _compact(wallet_request(base_url, token))})}"


def lcw_custom_scheme_link(base_url: str, token: str) -> str:
    """`dccrequest://request?request=…`: the same request for LCW's own URL scheme."""
    return f"{LCW_CUSTOM_SCHEME}?{urlencode({'request': _compact(wallet_request(base_url, token))})}"


def _compact(document: dict[str, Any]) -> str:
    return json.dumps(document, separators=(",", ":"), ensure_ascii=False)


def challenge_for(secret: bytes, token: str) -> str:
    """The exchange's challenge: HMAC-SHA256 of its token under a server secret, hex. Never
    stored, unguessable without the secret, the same on every request of one exchange."""
    return hmac.new(secret, token.encode("utf-8"), hashlib.sha256).hexdigest()


def presentation_request(*, challenge: str, domain: str, endpoint: str) -> dict[str, Any]:
    """The `verifiablePresentationRequest` answering `POST {}`: DID authentication with a
    `did:key`, Ed25519Signature2020 or eddsa-rdfc-2022 (VP Request Spec, "DID Authentication";
    LCW reads `query`, `challenge`, `domain` and `interact`)."""
    return {"verifiablePresentationRequest": {
        "query": [{
            "type": "DIDAuthentication",
            "acceptedMethods": [{"method": "key"}],
            "acceptedCryptosuites": [{"cryptosuite": "Ed25519Signature2020"},
                                     {"cryptosuite": "eddsa-rdfc-2022"}],
        }],
        "challenge": challenge,
        "domain": domain,
        "interact": {"service": [{"type": "VerifiableCredentialApiExchangeService",
                                  "serviceEndpoint": endpoint}]},
    }}


def presentation_of(credential: dict[str, Any]) -> dict[str, Any]:
    """The answer holding the holder-bound copy (unsigned: the credential carries the proof)."""
    return {"verifiablePresentation": {"@context": [VC_V2_CONTEXT],
                                       "type": ["VerifiablePresentation"],
                                       "verifiableCredential": [credential]}}


# --- exchanges in the database ---------------------------------------------------------------

@dataclass(frozen=True)
class NewExchange:
    token: str
    expires_at: datetime


def create_exchange(service: IssuerService, credential_id: str, recipient_id: str, *,
                    origin: str | None = None, now: datetime | None = None,
                    policy: ExchangePolicy = POLICY) -> NewExchange:
    """A new exchange for this badge and its holder. The caller has checked that the person
    asking holds the badge (signed in to "Mon espace" as its recipient, or a holder access).
    Earlier exchanges of this badge that no wallet finished are closed: one QR code on the
    screen at a time. `WalletError` (badge_unavailable) when the badge cannot go to a wallet."""
    now = now or utc_now()
    token = new_token()
    with service.database.session() as session:
        badge = deliverable_badge(session, credential_id)
        if badge is None or badge.recipient_id != recipient_id:
            raise errors.badge_unavailable()
        session.execute(delete(WalletExchange).where(
            WalletExchange.credential_id == credential_id,
            WalletExchange.state != "complete"))
        session.execute(delete(WalletExchange).where(
            WalletExchange.expires_at < now - policy.kept))
        session.add(WalletExchange(token_hash=token_digest(token), credential_id=credential_id,
                                   recipient_id=recipient_id, state="pending", created_at=now,
                                   expires_at=now + policy.lifetime))
        record_audit(session, actor=EXCHANGE_ACTOR, action="wallet.exchange_created",
                     subject=recipient_id, details={"credential": credential_id},
                     origin=origin)
    return NewExchange(token, now + policy.lifetime)


def _live(session: Session, token: str, now: datetime) -> WalletExchange:
    row = session.get(WalletExchange, token_digest(token))
    if row is None:
        raise errors.exchange_unknown()
    if row.state == "complete":
        raise errors.exchange_used()
    if row.expires_at <= now:
        raise errors.exchange_expired()
    return row


def check_exchange(service: IssuerService, token: str, *,
                   now: datetime | None = None) -> None:
    """Raise the `WalletError` a wallet would get now (unknown, used, expired), else return:
    for the interaction URL, which must not hand out a dead exchange."""
    now = now or utc_now()
    with service.database.session(read_only=True) as session:
        _live(session, token, now)


def start_exchange(service: IssuerService, token: str, *, origin: str | None = None,
                   now: datetime | None = None) -> dict[str, Any]:
    """`POST {}`: the presentation request. The exchange becomes `active` (a repeated
    `POST {}` gets the same request)."""
    now = now or utc_now()
    with service.database.session() as session:
        row = _live(session, token, now)
        if row.state == "pending":
            session.execute(update(WalletExchange)
                            .where(WalletExchange.token_hash == row.token_hash,
                                   WalletExchange.state == "pending")
                            .values(state="active")
                            .execution_options(synchronize_session=False))
            record_audit(session, actor=EXCHANGE_ACTOR, action="wallet.exchange_started",
                         subject=row.recipient_id, details={"credential": row.credential_id},
                         origin=origin)
    base_url = service.settings.base_url
    return presentation_request(challenge=challenge_for(service.derived_secret(
        CHALLENGE_PURPOSE), token), domain=domain_of(base_url),
        endpoint=exchange_url(base_url, token))


#: Checks a DIDAuth presentation for (challenge, domain) at `now`; returns the holder's DID
#: or raises `WalletError` (issuer.wallet.presentation_check wires verify_did_auth).
PresentationCheck = Callable[[dict[str, Any], str, str, datetime], str]
#: Issues the holder-bound copy of a badge in the caller's session; returns (copy id, signed
#: credential) (issuer.wallet.presentation_check wires issue_holder_copy).
CopyIssuer = Callable[["IssuerService", Session, str, str], tuple[str, dict[str, Any]]]


def finish_exchange(service: IssuerService, token: str, presentation: Any, *,
                    check: PresentationCheck, issue_copy: CopyIssuer,
                    origin: str | None = None, now: datetime | None = None) -> dict[str, Any]:
    """`POST {"verifiablePresentation": …}`: check the wallet's DIDAuth presentation, then, in
    one transaction, close the exchange (conditional UPDATE: only one wallet wins) and issue
    the copy to the DID it proved. A refusal leaves the exchange as it was (the wallet may try
    again until it expires); a failure to issue rolls the closing back."""
    now = now or utc_now()
    if not isinstance(presentation, dict):
        raise errors.request_invalid()
    with service.database.session(read_only=True) as session:
        live = _live(session, token, now)
        if deliverable_badge(session, live.credential_id) is None:
            raise errors.badge_unavailable()
    base_url = service.settings.base_url
    challenge = challenge_for(service.derived_secret(CHALLENGE_PURPOSE), token)
    holder_did = check(presentation, challenge, domain_of(base_url), now)
    digest = token_digest(token)
    with service.database.session() as session:
        won = session.execute(
            update(WalletExchange)
            .where(WalletExchange.token_hash == digest,
                   WalletExchange.state.in_(("pending", "active")),
                   WalletExchange.expires_at > now)
            .values(state="complete", completed_at=now, holder_did=holder_did)
            .execution_options(synchronize_session=False))
        if won.rowcount != 1:  # type: ignore[attr-defined]
            _live(session, token, now)  # raises the reason (used, expired, unknown)
            raise errors.exchange_used()
        row = session.get(WalletExchange, digest, populate_existing=True)
        assert row is not None
        if deliverable_badge(session, row.credential_id) is None:
            raise errors.badge_unavailable()
        copy_id, credential = issue_copy(service, session, row.credential_id, holder_did)
        row.copy_id = copy_id
        record_audit(session, actor=EXCHANGE_ACTOR, action="wallet.exchange_completed",
                     subject=row.recipient_id,
                     details={"credential": row.credential_id, "copy": copy_id,
                              "protocol": "vcapi"},
                     origin=origin)
    return presentation_of(credential)
