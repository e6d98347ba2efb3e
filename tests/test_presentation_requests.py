"""Presentation requests in the database (issuer.wallet.presentation_requests), on SQLite and
PostgreSQL: single use under concurrency, expiry, what is stored, deletion."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

import pytest

from issuer.openbadges.verification.presentation import holder_only_context
from issuer.storage.db import Database
from issuer.storage.presentation_models import PresentationRequestRow
from issuer.wallet.presentation_requests import (
    PresentationRequestError,
    PresentationRequests,
    challenge_for,
)
from tests.vp_signing import Wallet, presentation, sign_presentation

DOMAIN = "badges.example.org"
WALLET = Wallet.new()


@pytest.fixture
def requests(database_url: str) -> PresentationRequests:
    database = Database(database_url)
    database.migrate()
    yield PresentationRequests(database, domain=DOMAIN)
    database.dispose()


def did_auth(token: str) -> dict:
    return sign_presentation(presentation(WALLET.did), WALLET, challenge=challenge_for(token),
                             domain=DOMAIN, suite="DataIntegrityProof")


def test_a_did_authentication_answer_is_verified_and_kept(requests: PresentationRequests) -> None:
    created = requests.create()
    report = requests.answer(created.exchange_token, did_auth(created.exchange_token),
                             context=holder_only_context(datetime.now(UTC)))
    assert report.holder.ok and report.holder.holder == WALLET.did
    view = requests.for_viewer(created.exchange_token, created.viewer_token)
    assert view is not None and view.state == "completed" and view.verdict == "valid"
    assert view.result is not None and view.result["holder"] == WALLET.did
    assert requests.for_viewer(created.exchange_token, "someone else's cookie") is None


def test_two_answers_racing_one_wins(requests: PresentationRequests) -> None:
    created = requests.create()
    vp = did_auth(created.exchange_token)
    outcomes: list[str] = []
    barrier = threading.Barrier(6)

    def answer() -> None:
        barrier.wait()
        try:
            requests.answer(created.exchange_token, vp,
                            context=holder_only_context(datetime.now(UTC)))
            outcomes.append("accepted")
        except PresentationRequestError as error:
            outcomes.append(error.code)

    threads = [threading.Thread(target=answer) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes) == ["accepted", *["presentation_request.used"] * 5]


def test_an_expired_request_takes_no_answer(requests: PresentationRequests) -> None:
    created = requests.create(now=datetime.now(UTC) - timedelta(minutes=11))
    with pytest.raises(PresentationRequestError) as refused:
        requests.answer(created.exchange_token, did_auth(created.exchange_token),
                        context=holder_only_context(datetime.now(UTC)))
    assert refused.value.code == "presentation_request.expired" and refused.value.status == 410
    with pytest.raises(PresentationRequestError):
        requests.for_exchange(created.exchange_token)


def test_tokens_and_challenge_are_not_stored(requests: PresentationRequests,
                                             database_url: str) -> None:
    created = requests.create()
    database = Database(database_url)
    try:
        with database.session(read_only=True) as session:
            row = session.query(PresentationRequestRow).one()
            stored = " ".join(str(getattr(row, column.name))
                              for column in PresentationRequestRow.__table__.columns)
    finally:
        database.dispose()
    for secret in (created.exchange_token, created.viewer_token,
                   challenge_for(created.exchange_token)):
        assert secret not in stored


def test_old_requests_are_deleted(requests: PresentationRequests) -> None:
    old = requests.create(now=datetime.now(UTC) - timedelta(hours=2))
    assert requests.purge() == 1
    fresh = requests.create()
    assert requests.for_viewer(old.exchange_token, old.viewer_token) is None
    assert requests.for_viewer(fresh.exchange_token, fresh.viewer_token) is not None


def test_a_verification_that_breaks_ends_the_request_without_a_result(
        requests: PresentationRequests) -> None:
    created = requests.create()
    with pytest.raises(PresentationRequestError) as refused:
        requests.answer(created.exchange_token, did_auth(created.exchange_token),
                        context=None)  # type: ignore[arg-type] - breaks the verification
    assert (refused.value.code, refused.value.status) == ("presentation_request.failed", 503)
    view = requests.for_viewer(created.exchange_token, created.viewer_token)
    assert view is not None and (view.state, view.verdict, view.result) == (
        "completed", "indeterminate", None)
    with pytest.raises(PresentationRequestError) as again:
        requests.answer(created.exchange_token, did_auth(created.exchange_token),
                        context=holder_only_context(datetime.now(UTC)))
    assert again.value.code == "presentation_request.used"
