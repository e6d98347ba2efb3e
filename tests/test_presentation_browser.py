"""The employer's presentation pages in a real browser (headless Chromium, axe-core), issue #12
item 5: on a 360 px phone, in French and in English, "Demander une présentation" from the
verifier, the page waiting for the wallet (QR code, links), then the answer once a wallet sent
the holder's badge, and a request that expired. Every step: no WCAG 2.1 A/AA violation
(RGAA 4.1), nothing scrolls sideways, the keyboard reaches everything.

The wallet's answer is sent over HTTP to the exchange of the session's live server (a
presentation signed here with `tests/vp_signing.py`; tests/test_interop_presentation_live.py
does the same with Digital Bazaar's libraries)."""

from __future__ import annotations

import copy
import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import update

from issuer.openbadges.proofs.data_integrity import sign_document
from issuer.storage.presentation_models import PresentationRequestRow
from issuer.tokens import token_digest
from issuer.wallet.presentation_requests import challenge_for
from tests.plugins.browser import (
    PHONE_VIEWPORT,
    LiveServer,
    assert_works_with_the_keyboard,
    axe_violations,
    describe_violations,
    new_context,
    overflowing_elements,
)
from tests.vp_signing import Wallet, presentation, sign_presentation

pytestmark = pytest.mark.browser

WALLET = Wallet.new()


@pytest.fixture
def employer(browser: Any) -> Iterator[Any]:
    """A 360 px phone with a French browser and axe-core in every page; fresh cookies."""
    context = new_context(browser, PHONE_VIEWPORT)
    try:
        yield context.new_page()
    finally:
        context.close()


def assert_passes_the_phone_checks(page: Any, lang: str) -> None:
    assert page.locator("html").get_attribute("lang") == lang
    violations = axe_violations(page)
    assert not violations, f"axe-core on {page.url} ({lang}):\n{describe_violations(violations)}"
    scroll_width = page.evaluate("() => document.scrollingElement.scrollWidth")
    assert scroll_width <= PHONE_VIEWPORT["width"], (
        f"{page.url} scrolls sideways at 360 px: {scroll_width} px wide; widest elements: "
        f"{overflowing_elements(page)}")
    assert_works_with_the_keyboard(page)


def in_both_languages(page: Any, server: LiveServer, path: str, french: str,
                      english: str) -> None:
    """The page at `path` in French, then in English (`?lang=en`), each passing the checks.
    The switch is kept in a cookie: back to French at the end."""
    for lang, text, query in (("fr", french, "?lang=fr"), ("en", english, "?lang=en")):
        response = page.goto(server.url(path) + query)
        assert response is not None and response.status == 200
        assert text in page.locator("main").inner_text()
        assert_passes_the_phone_checks(page, lang)
    page.goto(server.url(path) + "?lang=fr")


def ask(page: Any, server: LiveServer) -> str:
    """Press "Demander une présentation" on the verifier; the request page's path."""
    page.goto(server.url("/verifier"))
    page.get_by_role("button", name="Demander une présentation").first.click()
    page.wait_for_url("**/verifier/presentations/*")
    return page.url.removeprefix(server.base_url).split("?", 1)[0]


def holders_badge(server: LiveServer) -> dict[str, Any]:
    service = server.service
    credential = copy.deepcopy(json.loads(server.credentials["event"].credential_json))
    credential.pop("proof")
    credential["credentialSubject"]["id"] = WALLET.did
    key = service.keystore.active_key("Ed25519")
    return sign_document(credential, key.private_key,  # type: ignore[arg-type]
                         service.verification_method(key))


def test_employer_asks_for_a_presentation_and_reads_the_answer_on_a_phone(
        employer: Any, live_server: LiveServer) -> None:
    path = ask(employer, live_server)
    assert employer.get_by_role("img", name="Code QR à scanner avec l'application de "
                                             "portefeuille").is_visible()
    in_both_languages(employer, live_server, path, "Demandez à la personne de scanner ce code QR",
                      "Ask the person to scan this QR code")

    token = path.rsplit("/", 1)[1]
    domain = live_server.base_url.removeprefix("http://")
    vp = sign_presentation(presentation(WALLET.did, [holders_badge(live_server)]), WALLET,
                           challenge=challenge_for(token), domain=domain)
    with httpx.Client(trust_env=False, timeout=30) as wallet:
        answer = wallet.post(f"{live_server.base_url}/exchanges/presentations/{token}",
                             json={"verifiablePresentation": vp})
    assert answer.status_code == 200, answer.text

    employer.get_by_role("button", name="Voir si la réponse est arrivée").click()
    employer.wait_for_load_state()
    main = employer.locator("main").inner_text()
    assert "Présentation valide." in main and WALLET.did in main
    assert "Délivré à la personne qui le présente." in main
    in_both_languages(employer, live_server, path, "Délivré à la personne qui le présente.",
                      "Issued to the person presenting it.")


def test_expired_request_says_so_on_a_phone(employer: Any, live_server: LiveServer) -> None:
    path = ask(employer, live_server)
    token = path.rsplit("/", 1)[1]
    with live_server.service.database.session() as session:
        session.execute(update(PresentationRequestRow)
                        .where(PresentationRequestRow.exchange_digest == token_digest(token))
                        .values(expires_at=datetime.now(UTC) - timedelta(seconds=1)))
    in_both_languages(employer, live_server, path, "Cette demande a expiré sans réponse.",
                      "This request has expired without an answer.")
