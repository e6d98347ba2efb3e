"""Presentation requests (issue #12, item 5): an employer asks the holder's wallet for a badge,
in the verifier role of a VC-API exchange, and reads the verified answer.

The flow, as the Learner Credential Wallet runs it (and the W3C VC-API / VCALM "exchanges"
text): the employer's page shows an exchange address; the wallet `POST`s `{}` there and gets
a `VerifiablePresentationRequest` (`verifiable_presentation_request`: QueryByExample for an
OpenBadgeCredential, and DIDAuthentication) with a `challenge` and this verifier's `domain`;
it `POST`s back `{"verifiablePresentation": …}`, which `PresentationRequests.answer` verifies
(`issuer.openbadges.verification.presentation`) and stores for the employer's page.

Safe by construction (issue #12, item 6):
- **Nothing stored opens anything.** Two random tokens (`issuer.tokens`): the *exchange* token,
  in the wallet's address (and the employer's page address, which shows it as a QR code), and
  the *viewer* token, in the employer's cookie only. The database keeps their digests. The
  challenge is derived from the exchange token (`challenge_for`), so it is not stored either.
  No address holds anything that identifies a person.
- **Single use, short-lived.** A request takes one answer within `REQUEST_LIFETIME`: the answer
  first *claims* the row with one conditional `UPDATE … WHERE state = 'pending' AND
  expires_at > now` (PostgreSQL and SQLite alike: two answers racing, one wins, the other is
  told the request was used), and only then is it verified. A presentation made for one
  request cannot be replayed on another: its challenge is that request's.
- **Kept briefly.** The result (the badges presented are personal data) is deleted with its row
  `RESULT_LIFETIME` after the request was made (`purge`, run at each new request).
- **Audited.** Each request made, answered, or refused (replayed, expired) is a line of the
  audit trail, naming the request by its id and never the holder.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import delete, select, update

from issuer.errors import IssuerError
from issuer.openbadges.verification.context import VerificationContext
from issuer.openbadges.verification.presentation import PresentationReport, verify_presentation
from issuer.storage.audit_log import record_audit
from issuer.storage.db import Database
from issuer.storage.presentation_models import PresentationRequestRow
from issuer.tokens import new_token, token_digest

_LOG = logging.getLogger(__name__)

REQUEST_LIFETIME = timedelta(minutes=10)
"""How long a wallet has to answer (as long as a presentation's proof stays fresh)."""
RESULT_LIFETIME = timedelta(hours=1)
"""How long after the request its answer can still be read, before it is deleted."""
EXCHANGE_PATH = "/exchanges/presentations/"
"""Where the wallet talks to us, followed by the exchange token."""
PAGE_PATH = "/verifier/presentations/"
"""The employer's page, followed by the exchange token (read with the viewer cookie)."""
ANONYMOUS_ACTOR = "anonymous"
_CHALLENGE_LABEL = b"issuer presentation request challenge"


class PresentationRequestError(IssuerError):
    """A request that cannot be used: `presentation_request.not_found`, `.expired`, `.used`;
    `status` is the HTTP status a wallet is answered with."""

    code = "presentation_request.not_found"

    def __init__(self, message_fr: str, message_en: str, *, code: str, status: int) -> None:
        super().__init__(message_fr, message_en, code=code)
        self.status = status


def _not_found() -> PresentationRequestError:
    return PresentationRequestError(
        "Cette demande de présentation n'existe pas, ou plus : demandez-en une nouvelle.",
        "This presentation request does not exist, or no longer: ask for a new one.",
        code="presentation_request.not_found", status=404)


def _expired() -> PresentationRequestError:
    return PresentationRequestError(
        "Cette demande de présentation a expiré : demandez-en une nouvelle.",
        "This presentation request has expired: ask for a new one.",
        code="presentation_request.expired", status=410)


def _used() -> PresentationRequestError:
    return PresentationRequestError(
        "Cette demande de présentation a déjà reçu une réponse : elle ne sert qu'une fois.",
        "This presentation request has already been answered: it can be used only once.",
        code="presentation_request.used", status=409)


def _failed() -> PresentationRequestError:
    return PresentationRequestError(
        "La présentation n'a pas pu être vérifiée (erreur interne) : demandez-en une nouvelle.",
        "The presentation could not be verified (internal error): ask for a new one.",
        code="presentation_request.failed", status=503)


def challenge_for(exchange_token: str) -> str:
    """The request's challenge, derived from its exchange token: whoever may answer the request
    learns it from the request itself, and the database need not keep it. One-way, so the
    challenge (inside the stored presentation) does not give the token back."""
    return hmac.new(exchange_token.encode("utf-8"), _CHALLENGE_LABEL, hashlib.sha256).hexdigest()


@dataclass(frozen=True)
class NewPresentationRequest:
    request_id: str
    exchange_token: str
    """In the wallet's address and the employer's page address; never stored."""
    viewer_token: str
    """In the employer's cookie only; never stored."""
    expires_at: datetime


@dataclass(frozen=True)
class PresentationRequestView:
    """What the employer's page and the exchange read of a request."""

    request_id: str
    state: str
    domain: str
    created_at: datetime
    expires_at: datetime
    answered_at: datetime | None
    verdict: str | None
    holder_bound: bool | None
    result: dict[str, Any] | None
    """`PresentationReport.to_json()` of the answer, once verified."""

    def expired(self, now: datetime) -> bool:
        return self.state == "pending" and now >= self.expires_at


def _view(row: PresentationRequestRow) -> PresentationRequestView:
    return PresentationRequestView(
        request_id=row.id, state=row.state, domain=row.domain, created_at=row.created_at,
        expires_at=row.expires_at, answered_at=row.answered_at, verdict=row.verdict,
        holder_bound=row.holder_bound,
        result=None if row.result_json is None else json.loads(row.result_json))


def verifiable_presentation_request(*, challenge: str, domain: str,
                                    exchange_url: str) -> dict[str, Any]:
    """The request a wallet receives for `POST {}` (VC-API / VCALM "Verifiable Presentation
    Request"): an Open Badge by example, and proof of control of the holder's DID.

    `credentialQuery` is one object, not a list: the Learner Credential Wallet reads
    `credentialQuery.example` and matches each member of the example against a stored
    credential, an array member by inclusion; `type` alone matches VCDM 2.0 and 1.1 badges."""
    return {"verifiablePresentationRequest": {
        "query": [
            {"type": "QueryByExample",
             "credentialQuery": {
                 "reason": "Présentez votre badge numérique / Present your digital badge.",
                 "example": {"type": ["OpenBadgeCredential"]}}},
            {"type": "DIDAuthentication", "acceptedMethods": [{"method": "key"}],
             "acceptedCryptosuites": [{"cryptosuite": "Ed25519Signature2020"},
                                      {"cryptosuite": "eddsa-rdfc-2022"}]},
        ],
        "challenge": challenge,
        "domain": domain,
        "interact": {"service": [{"type": "UnmediatedHttpPresentationService2021",
                                  "serviceEndpoint": exchange_url}]},
    }}


class PresentationRequests:
    """Presentation requests in the database (`presentation_requests`)."""

    def __init__(self, database: Database, *, domain: str,
                 lifetime: timedelta = REQUEST_LIFETIME,
                 result_lifetime: timedelta = RESULT_LIFETIME) -> None:
        self._database = database
        self.domain = domain
        self.lifetime = lifetime
        self.result_lifetime = result_lifetime

    def create(self, *, now: datetime | None = None,
               origin: str | None = None) -> NewPresentationRequest:
        """A new pending request (and the deletion of those past `result_lifetime`)."""
        moment = _utc(now)
        exchange_token, viewer_token = new_token(), new_token()
        request_id = str(uuid.uuid4())
        expires_at = moment + self.lifetime
        with self._database.session() as session:
            self._purge(session, moment)
            session.add(PresentationRequestRow(
                id=request_id, exchange_digest=token_digest(exchange_token),
                viewer_digest=token_digest(viewer_token), domain=self.domain, state="pending",
                created_at=moment, expires_at=expires_at))
            record_audit(session, actor=ANONYMOUS_ACTOR, action="presentation_request.created",
                         subject=request_id, origin=origin)
        return NewPresentationRequest(request_id, exchange_token, viewer_token, expires_at)

    def for_exchange(self, exchange_token: str, *,
                     now: datetime | None = None) -> PresentationRequestView:
        """The pending request behind `exchange_token` (what the wallet is asked); raises
        `PresentationRequestError` when it is unknown, expired or already answered."""
        moment = _utc(now)
        view = self._find(exchange_token)
        if view is None:
            raise _not_found()
        if view.state != "pending":
            raise _used()
        if view.expired(moment):
            raise _expired()
        return view

    def for_viewer(self, exchange_token: str, viewer_token: str | None
                   ) -> PresentationRequestView | None:
        """The request, for the employer who made it (their cookie holds `viewer_token`);
        None for anyone else, or when the request is unknown or deleted."""
        found = self._find_row(exchange_token)
        if found is None or not viewer_token:
            return None
        view, viewer_digest = found
        if not hmac.compare_digest(viewer_digest, token_digest(viewer_token)):
            return None
        return view

    def answer(self, exchange_token: str, presentation: object, *,
               context: VerificationContext, now: datetime | None = None,
               origin: str | None = None) -> PresentationReport:
        """Verify the wallet's answer and keep the result for the employer's page. The request
        is claimed first, in one conditional UPDATE: whatever the answer holds, it is the only
        one the request will ever take. Raises `PresentationRequestError` when it cannot be
        claimed (unknown, expired, already answered)."""
        moment = _utc(now)
        request_id = self._claim(exchange_token, moment, origin)
        try:
            report = verify_presentation(presentation, challenge=challenge_for(exchange_token),
                                         domain=self.domain, context=_at(context, moment))
        except Exception:  # noqa: BLE001 - logged; the request is spent, so it is ended
            # Never expected (each check is guarded).
            _LOG.exception("presentation request %s: verification failed", request_id)
            self._end_without_result(request_id)
            raise _failed() from None
        with self._database.session() as session:
            session.execute(
                update(PresentationRequestRow)
                .where(PresentationRequestRow.id == request_id,
                       PresentationRequestRow.state == "answered")
                .values(state="completed", verdict=report.verdict,
                        holder_bound=report.holder_bound,
                        result_json=json.dumps(report.to_json(), ensure_ascii=False))
                .execution_options(synchronize_session=False))
            record_audit(session, actor=ANONYMOUS_ACTOR, action="presentation_request.answered",
                         subject=request_id, origin=origin,
                         details={"verdict": report.verdict,
                                  "holder_proof": report.holder.code,
                                  "holder_bound": report.holder_bound,
                                  "credentials": len(report.credentials)})
        return report

    def _end_without_result(self, request_id: str) -> None:
        with self._database.session() as session:
            session.execute(update(PresentationRequestRow)
                            .where(PresentationRequestRow.id == request_id)
                            .values(state="completed", verdict="indeterminate")
                            .execution_options(synchronize_session=False))

    def purge(self, *, now: datetime | None = None) -> int:
        """Delete the requests made more than `result_lifetime` ago; how many were deleted."""
        with self._database.session() as session:
            return self._purge(session, _utc(now))

    # -- internals ---------------------------------------------------------------------------------

    def _purge(self, session: Any, moment: datetime) -> int:
        cutoff = moment - self.result_lifetime
        result = session.execute(delete(PresentationRequestRow)
                                 .where(PresentationRequestRow.created_at < cutoff)
                                 .execution_options(synchronize_session=False))
        return int(result.rowcount or 0)

    def _find(self, exchange_token: str) -> PresentationRequestView | None:
        found = self._find_row(exchange_token)
        return None if found is None else found[0]

    def _find_row(self, exchange_token: str) -> tuple[PresentationRequestView, str] | None:
        """The request and its viewer digest."""
        if not exchange_token or len(exchange_token) > 200:
            return None
        with self._database.session(read_only=True) as session:
            row = session.scalars(select(PresentationRequestRow).where(
                PresentationRequestRow.exchange_digest == token_digest(exchange_token))).first()
            return None if row is None else (_view(row), row.viewer_digest)

    def _claim(self, exchange_token: str, moment: datetime, origin: str | None) -> str:
        digest = token_digest(exchange_token) if 0 < len(exchange_token) <= 200 else ""
        with self._database.session() as session:
            claimed = session.execute(
                update(PresentationRequestRow)
                .where(PresentationRequestRow.exchange_digest == digest,
                       PresentationRequestRow.state == "pending",
                       PresentationRequestRow.expires_at > moment)
                .values(state="answered", answered_at=moment)
                .execution_options(synchronize_session=False))
            row = session.scalars(select(PresentationRequestRow).where(
                PresentationRequestRow.exchange_digest == digest)).first()
            if claimed.rowcount == 1:  # type: ignore[attr-defined]
                assert row is not None
                return row.id
            if row is None:
                raise _not_found()
            error = _used() if row.state != "pending" else _expired()
            record_audit(session, actor=ANONYMOUS_ACTOR, action="presentation_request.refused",
                         subject=row.id, origin=origin, details={"reason": error.code})
        raise error


def _utc(now: datetime | None) -> datetime:
    return (now or datetime.now(UTC)).astimezone(UTC)


def _at(context: VerificationContext, moment: datetime) -> VerificationContext:
    """`context` on the request's clock (freshness is judged at the moment of the answer)."""
    if context.now is not None:
        return context
    from dataclasses import replace

    return replace(context, now=moment)
