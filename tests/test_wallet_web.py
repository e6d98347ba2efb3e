"""Wallet delivery for people and wallets (issue #12, items 1, 2 and 6), through the real
pages and the exchange endpoint: "Ajouter à mon portefeuille" only for the holder (signed in
to "Mon espace", or with the one-time link sent to the badge's address), the invitations LCW
reads, the exchange's presentation request, and every refusal a wallet or a person gets.

The full exchange with a signed DIDAuth presentation runs against the live service in
tests/test_interop_wallet_exchange.py (a Node wallet built on LCW's own libraries)."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime, timedelta
from html import unescape
from urllib.parse import parse_qs, urlsplit

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import select

from issuer.issuance.service import IssuerService
from issuer.mail import outbox_message
from issuer.mail.wallet_code import WALLET_CODE_MAIL_KIND
from issuer.mail.wallet_link import WALLET_LINK_MAIL_KIND
from issuer.network.skill_badges import SkillEvidence, create_skill_badge, issue_skill_badge
from issuer.one_time_links import loggable_path
from issuer.storage.exchange_models import WalletExchange
from issuer.storage.models import AuditEntry
from issuer.storage.workspace_models import EmailMessage
from issuer.tokens import token_digest
from issuer.wallet import exchanges
from tests.plugins.admin import BASE_URL
from tests.test_mediators import link_from_outbox

CAMILLE = "camille.mediatrice@example.org"
SACHA = "sacha.mediateur@example.org"
HOLDER_LINK = re.compile(r"https://badges\.example\.org/portefeuille/lien/[A-Za-z0-9_\-]+")
JSON = {"accept": "application/json", "content-type": "application/json"}


class FakeClock:
    def __init__(self) -> None:
        self.now = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


@pytest.fixture
def app(admin_app: tuple[FastAPI, IssuerService]) -> FastAPI:
    app, service = admin_app
    create_skill_badge(service, "skill", "ACC-01", actor="coordinatrice@ville-roubaix.example")
    return app


@pytest.fixture
def clock(app: FastAPI) -> FakeClock:
    fake = FakeClock()
    app.state.mediator_clock = fake
    return fake


def service_of(app: FastAPI) -> IssuerService:
    service: IssuerService = app.state.service
    return service


def award(app: FastAPI, email: str = CAMILLE, *, send_email: bool = False) -> str:
    issued = issue_skill_badge(service_of(app), "competence-acc-01", email=email,
                               name="Camille Exemple",
                               given=SkillEvidence(narrative="Observé en atelier."),
                               actor="coordinatrice@ville-roubaix.example",
                               send_email=send_email)
    return issued.credential_id


def browser(app: FastAPI) -> TestClient:
    return TestClient(app, base_url=BASE_URL, follow_redirects=False)


def signed_in(app: FastAPI, email: str) -> TestClient:
    client = browser(app)
    assert client.post("/espace/connexion", data={"email": email}).status_code == 303
    path = link_from_outbox(app).removeprefix(BASE_URL)
    assert client.post(path).status_code == 303
    return client


def exchange_token(page: str) -> str:
    """The exchange token of the wallet page, read from the LCW universal link it shows."""
    links = re.findall(r'href="(https://lcw\.app/request\?[^"]+)"', page)
    assert links, page[:3000]
    request = json.loads(parse_qs(urlsplit(unescape(links[0])).query)["request"][0])
    assert request["credentialRequestOrigin"] == BASE_URL
    url: str = request["protocols"]["vcapi"]
    assert url.startswith(f"{BASE_URL}/portefeuille/echanges/")
    return url.rsplit("/", 1)[1]


def start(client: TestClient, credential_id: str) -> str:
    page = client.post(f"/portefeuille/{credential_id}")
    assert page.status_code == 200, page.text[:2000]
    return exchange_token(page.text)


def holder_link_messages(app: FastAPI) -> list[EmailMessage]:
    with service_of(app).database.session(read_only=True) as session:
        return list(session.scalars(select(EmailMessage).where(
            EmailMessage.kind == WALLET_LINK_MAIL_KIND).order_by(EmailMessage.created_at)))


def text_of(app: FastAPI, message_id: str) -> tuple[str, str]:
    row, message = outbox_message(service_of(app), message_id)
    body = message.get_body(("plain",))
    assert body is not None
    return row.to_address, body.get_content()


# --- who sees "Ajouter à mon portefeuille" ---------------------------------------------------

def test_a_visitor_is_never_offered_the_wallet(app: FastAPI, clock: FakeClock) -> None:
    credential_id = award(app)
    visitor = browser(app)
    page = visitor.get(f"/portefeuille/{credential_id}")
    assert page.status_code == 403
    assert "lcw.app" not in page.text and "dccrequest" not in page.text
    assert "Seule la personne qui a reçu ce badge peut le faire" in unescape(page.text)
    started = visitor.post(f"/portefeuille/{credential_id}")
    assert started.status_code == 403 and "lcw.app" not in started.text
    with service_of(app).database.session(read_only=True) as session:
        assert session.scalars(select(WalletExchange)).first() is None
    badge_page = visitor.get(f"/credentials/{credential_id}")
    assert f'action="/credentials/{credential_id}/portefeuille"' in badge_page.text
    assert f'href="/portefeuille/{credential_id}"' not in badge_page.text


def test_another_mediator_cannot_add_someone_elses_badge(app: FastAPI, clock: FakeClock) -> None:
    credential_id = award(app, CAMILLE)
    award(app, SACHA)
    sacha = signed_in(app, SACHA)
    assert sacha.post(f"/portefeuille/{credential_id}").status_code == 403


def test_the_signed_in_holder_gets_deep_links_and_a_qr_code(app: FastAPI,
                                                            clock: FakeClock) -> None:
    credential_id = award(app)
    camille = signed_in(app, CAMILLE)
    space = camille.get("/espace")
    assert f'action="/portefeuille/{credential_id}"' in space.text
    page = camille.post(f"/portefeuille/{credential_id}",
                        headers={"user-agent": "Mozilla/5.0 (Linux; Android 14) Mobile"})
    assert page.status_code == 200
    assert page.headers["cache-control"] == "no-store"
    token = exchange_token(page.text)
    html = unescape(page.text)
    assert "dccrequest://request?request=" in html
    assert f"{BASE_URL}/portefeuille/interaction/{token}?iuv=1" in html
    assert 'src="data:image/svg+xml' in page.text
    # On a phone the app link comes before the QR code; on a computer, after it.
    assert html.index("lcw.app/request") < html.index("data:image/svg+xml")
    desktop = camille.post(f"/portefeuille/{credential_id}",
                           headers={"user-agent": "Mozilla/5.0 (X11; Linux x86_64)"})
    desktop_html = unescape(desktop.text)
    assert desktop_html.index("data:image/svg+xml") < desktop_html.index("lcw.app/request")
    # Nothing in the exchange's addresses names the person or the badge.
    for value in (CAMILLE, credential_id, "Camille"):
        assert value not in exchanges.wallet_request(BASE_URL, token).__repr__()
    with service_of(app).database.session(read_only=True) as session:
        rows = list(session.scalars(select(WalletExchange)))
    assert [row.token_hash for row in rows] == [token_digest(exchange_token(desktop.text))]
    assert rows[0].state == "pending" and rows[0].credential_id == credential_id
    assert rows[0].expires_at == clock.now + timedelta(minutes=10)


# --- what a wallet reads ---------------------------------------------------------------------

def test_the_interaction_url_gives_the_vcapi_exchange(app: FastAPI, clock: FakeClock) -> None:
    credential_id = award(app)
    token = start(signed_in(app, CAMILLE), credential_id)
    wallet = browser(app)
    answer = wallet.get(f"/portefeuille/interaction/{token}", params={"iuv": "1"},
                        headers={"accept": "application/json"})
    assert answer.status_code == 200
    assert answer.json() == {"protocols": {"vcapi": f"{BASE_URL}/portefeuille/echanges/{token}"}}
    assert answer.headers["access-control-allow-origin"] == "*"
    person = wallet.get(f"/portefeuille/interaction/{token}", params={"iuv": "1"})
    assert person.status_code == 200 and "Learner Credential Wallet" in person.text


def test_post_empty_asks_for_did_authentication(app: FastAPI, clock: FakeClock) -> None:
    credential_id = award(app)
    token = start(signed_in(app, CAMILLE), credential_id)
    wallet = browser(app)
    answer = wallet.post(f"/portefeuille/echanges/{token}", content=b"{}", headers=JSON)
    assert answer.status_code == 200, answer.text
    request = answer.json()["verifiablePresentationRequest"]
    assert request["query"][0]["type"] == "DIDAuthentication"
    assert request["domain"] == "badges.example.org"
    assert re.fullmatch(r"[0-9a-f]{64}", request["challenge"])
    assert request["interact"]["service"][0]["serviceEndpoint"] == \
        f"{BASE_URL}/portefeuille/echanges/{token}"
    # Asked again (a wallet retrying): the same challenge; the exchange is now active.
    again = wallet.post(f"/portefeuille/echanges/{token}", content=b"{}", headers=JSON).json()
    assert again["verifiablePresentationRequest"]["challenge"] == request["challenge"]
    with service_of(app).database.session(read_only=True) as session:
        row = session.get(WalletExchange, token_digest(token))
        assert row is not None and row.state == "active"
        actions = list(session.scalars(select(AuditEntry.action).where(
            AuditEntry.action.like("wallet.%"))))
    assert actions == ["wallet.exchange_created", "wallet.exchange_started"]


def test_an_expired_exchange_is_refused_in_json(app: FastAPI, clock: FakeClock) -> None:
    credential_id = award(app)
    token = start(signed_in(app, CAMILLE), credential_id)
    clock.advance(minutes=10, seconds=1)
    answer = browser(app).post(f"/portefeuille/echanges/{token}", content=b"{}", headers=JSON)
    assert answer.status_code == 410
    error = answer.json()["error"]
    assert error["code"] == "wallet.exchange_expired"
    assert error["message_fr"].startswith("Cet échange a expiré")
    interaction = browser(app).get(f"/portefeuille/interaction/{token}?iuv=1")
    assert interaction.status_code == 410 and "expiré" in unescape(interaction.text)


def test_a_new_code_closes_the_previous_one(app: FastAPI, clock: FakeClock) -> None:
    credential_id = award(app)
    camille = signed_in(app, CAMILLE)
    first = start(camille, credential_id)
    second = start(camille, credential_id)
    wallet = browser(app)
    gone = wallet.post(f"/portefeuille/echanges/{first}", content=b"{}", headers=JSON)
    assert gone.status_code == 404 and gone.json()["error"]["code"] == "wallet.exchange_unknown"
    assert wallet.post(f"/portefeuille/echanges/{second}", content=b"{}",
                       headers=JSON).status_code == 200


@pytest.mark.parametrize("body", [b"[]", b"not json", b'"text"', b"[" * 5000])
def test_unreadable_exchange_bodies_get_a_json_refusal(app: FastAPI, clock: FakeClock,
                                                       body: bytes) -> None:
    credential_id = award(app)
    token = start(signed_in(app, CAMILLE), credential_id)
    answer = browser(app).post(f"/portefeuille/echanges/{token}", content=body, headers=JSON)
    assert answer.status_code == 400
    assert answer.json()["error"]["code"] == "wallet.request_invalid"


def test_a_presentation_that_is_not_an_object_is_refused(app: FastAPI, clock: FakeClock) -> None:
    credential_id = award(app)
    token = start(signed_in(app, CAMILLE), credential_id)
    answer = browser(app).post(f"/portefeuille/echanges/{token}", headers=JSON,
                               content=json.dumps({"verifiablePresentation": "x"}).encode())
    assert answer.status_code == 400
    with service_of(app).database.session(read_only=True) as session:
        row = session.get(WalletExchange, token_digest(token))
        assert row is not None and row.state == "pending"


def test_a_wallet_of_another_origin_may_post_and_preflight(app: FastAPI,
                                                           clock: FakeClock) -> None:
    credential_id = award(app)
    token = start(signed_in(app, CAMILLE), credential_id)
    wallet = browser(app)
    preflight = wallet.options(f"/portefeuille/echanges/{token}",
                               headers={"origin": "https://wallet.example",
                                        "access-control-request-method": "POST"})
    assert preflight.status_code == 204
    assert preflight.headers["access-control-allow-origin"] == "*"
    answer = wallet.post(f"/portefeuille/echanges/{token}", content=b"{}",
                         headers={**JSON, "origin": "https://wallet.example",
                                  "sec-fetch-site": "cross-site"})
    assert answer.status_code == 200


def test_revoked_badges_do_not_go_to_a_wallet(app: FastAPI, clock: FakeClock) -> None:
    credential_id = award(app)
    camille = signed_in(app, CAMILLE)
    token = start(camille, credential_id)
    service_of(app).revoke(credential_id, "Délivré par erreur")
    refused = camille.post(f"/portefeuille/{credential_id}")
    assert refused.status_code == 409 and "lcw.app" not in refused.text
    assert "a été retiré ou suspendu" in unescape(refused.text)
    answer = browser(app).post(f"/portefeuille/echanges/{token}", headers=JSON,
                               content=json.dumps({"verifiablePresentation": {}}).encode())
    assert answer.status_code == 409
    assert answer.json()["error"]["code"] == "wallet.badge_unavailable"


def test_exchange_and_link_tokens_stay_out_of_logs() -> None:
    assert loggable_path("/portefeuille/echanges/AbC_123") == "/portefeuille/echanges/{token}"
    assert loggable_path("/portefeuille/interaction/AbC?iuv=1") == \
        "/portefeuille/interaction/{token}?iuv=1"
    assert loggable_path("/portefeuille/lien/AbC") == "/portefeuille/lien/{token}"


# --- the holder link -------------------------------------------------------------------------

def test_this_is_my_badge_mails_the_holder_a_one_time_link(app: FastAPI,
                                                           clock: FakeClock) -> None:
    credential_id = award(app)
    visitor = browser(app)
    answer = visitor.post(f"/credentials/{credential_id}/portefeuille")
    assert answer.status_code == 200
    page = unescape(answer.text)
    assert "Regardez votre messagerie" in page
    assert CAMILLE not in page and "camille" not in page.lower()
    [message] = holder_link_messages(app)
    to, text = text_of(app, message.id)
    assert to == CAMILLE
    link = HOLDER_LINK.findall(text)[0]
    path = link.removeprefix(BASE_URL)

    # Whoever reads the mailbox opens it: a button first (mail scanners spend nothing).
    phone = browser(app)
    assert phone.get(path).status_code == 200
    assert phone.get(path).status_code == 200
    opened = phone.post(path)
    assert opened.status_code == 303
    assert opened.headers["location"] == f"/portefeuille/{credential_id}"
    assert phone.get(f"/portefeuille/{credential_id}").status_code == 200
    assert exchange_token(phone.post(f"/portefeuille/{credential_id}").text)
    badge_page = phone.get(f"/credentials/{credential_id}")
    assert f'href="/portefeuille/{credential_id}"' in badge_page.text
    # Once only, and it opens nothing for another browser.
    again = browser(app).post(path)
    assert again.status_code == 404 and "ne fonctionne plus" in unescape(again.text)
    assert browser(app).get(f"/portefeuille/{credential_id}").status_code == 403


def test_the_holder_access_lasts_half_an_hour(app: FastAPI, clock: FakeClock) -> None:
    credential_id = award(app)
    browser(app).post(f"/credentials/{credential_id}/portefeuille")
    _to, text = text_of(app, holder_link_messages(app)[0].id)
    phone = browser(app)
    phone.post(HOLDER_LINK.findall(text)[0].removeprefix(BASE_URL))
    clock.advance(minutes=31)
    assert phone.post(f"/portefeuille/{credential_id}").status_code == 403


def test_the_holder_link_expires_after_five_days(app: FastAPI, clock: FakeClock) -> None:
    credential_id = award(app)
    browser(app).post(f"/credentials/{credential_id}/portefeuille")
    _to, text = text_of(app, holder_link_messages(app)[0].id)
    clock.advance(days=5, seconds=1)
    path = HOLDER_LINK.findall(text)[0].removeprefix(BASE_URL)
    assert browser(app).get(path).status_code == 404
    assert browser(app).post(path).status_code == 404


def test_this_is_my_badge_is_rate_limited_per_badge(app: FastAPI, clock: FakeClock) -> None:
    credential_id = award(app)
    visitor = browser(app)
    for _ in range(3):
        assert visitor.post(f"/credentials/{credential_id}/portefeuille").status_code == 200
    refused = visitor.post(f"/credentials/{credential_id}/portefeuille")
    assert refused.status_code == 429 and int(refused.headers["retry-after"]) > 0
    assert len(holder_link_messages(app)) == 3
    clock.advance(hours=1, seconds=1)
    assert visitor.post(f"/credentials/{credential_id}/portefeuille").status_code == 200


def test_this_is_my_badge_answers_the_same_for_a_revoked_badge(app: FastAPI,
                                                               clock: FakeClock) -> None:
    credential_id = award(app)
    service_of(app).revoke(credential_id, "Délivré par erreur")
    answer = browser(app).post(f"/credentials/{credential_id}/portefeuille")
    assert answer.status_code == 200 and "Regardez votre messagerie" in unescape(answer.text)
    assert holder_link_messages(app) == []


def test_the_badge_email_carries_a_holder_link(app: FastAPI, clock: FakeClock) -> None:
    credential_id = award(app, send_email=True)
    from issuer.mail import deliver_pending

    deliver_pending(service_of(app))
    with service_of(app).database.session(read_only=True) as session:
        row = session.scalars(select(EmailMessage).where(
            EmailMessage.credential_id == credential_id)).one()
    _to, text = text_of(app, row.id)
    path = HOLDER_LINK.findall(text)[0].removeprefix(BASE_URL)
    phone = browser(app)
    assert phone.post(path).headers["location"] == f"/portefeuille/{credential_id}"
    assert "/aide/portefeuille" in text


def test_the_help_page_names_the_wallet_in_french_and_english(app: FastAPI) -> None:
    client = browser(app)
    french = unescape(client.get("/aide/portefeuille").text)
    assert "Mettre mon badge dans un portefeuille numérique" in french
    assert "Learner Credential Wallet" in french
    english = unescape(client.get("/aide/portefeuille?lang=en").text)
    assert "Put my badge in a digital wallet" in english


def test_erasing_the_person_deletes_their_wallet_links_and_exchanges(app: FastAPI,
                                                                     clock: FakeClock) -> None:
    from issuer.storage.exchange_models import WalletHolderAccess, WalletHolderLink
    from issuer.workspace.recipient_erasure import erase_person

    credential_id = award(app)
    token = start(signed_in(app, CAMILLE), credential_id)
    browser(app).post(f"/credentials/{credential_id}/portefeuille")
    _to, text = text_of(app, holder_link_messages(app)[0].id)
    link = HOLDER_LINK.findall(text)[0].removeprefix(BASE_URL)
    browser(app).post(f"/credentials/{credential_id}/portefeuille")
    phone = browser(app)
    phone.post(HOLDER_LINK.findall(text_of(app, holder_link_messages(app)[1].id)[1])[0]
               .removeprefix(BASE_URL))
    service = service_of(app)
    with service.database.session(read_only=True) as session:
        recipient_id = session.scalars(select(WalletExchange.recipient_id)).one()
    erase_person(service, recipient_id, actor="coordinatrice@ville-roubaix.example")
    with service.database.session(read_only=True) as session:
        for table in (WalletExchange, WalletHolderLink, WalletHolderAccess):
            assert session.scalars(select(table)).first() is None, table.__tablename__
    assert browser(app).post(link).status_code == 404
    # The erased badge's signed forms are forgotten: it has no page any more.
    assert phone.post(f"/portefeuille/{credential_id}").status_code == 404
    gone = browser(app).post(f"/portefeuille/echanges/{token}", content=b"{}", headers=JSON)
    assert gone.status_code == 404


def test_a_wallet_gets_json_refusals_for_oversized_bodies_and_wrong_methods(
        app: FastAPI, clock: FakeClock) -> None:
    credential_id = award(app)
    token = start(signed_in(app, CAMILLE), credential_id)
    wallet = browser(app)
    huge = wallet.post(f"/portefeuille/echanges/{token}", content=b"{" + b" " * 70_000 + b"}",
                       headers={"content-type": "application/json"})
    assert huge.status_code == 413
    assert huge.json()["error"]["code"] == "wallet.too_large"
    assert huge.json()["error"]["max_bytes"] == 64 * 1024
    wrong = wallet.get(f"/portefeuille/echanges/{token}")
    assert wrong.status_code == 405 and wrong.json()["error"]["code"] == "http.405"
    # The exchange is intact: the wallet may go on.
    assert wallet.post(f"/portefeuille/echanges/{token}", content=b"{}",
                       headers=JSON).status_code == 200


def test_the_shared_badge_page_never_carries_the_holders_wallet_button(app: FastAPI,
                                                                        clock: FakeClock) -> None:
    """The badge page a visitor gets is rendered once and shared (issuer.web.page_cache); the
    holder's page offers "Add to my wallet", so it is rendered for them and never shared."""
    credential_id = award(app)
    visitor = browser(app)
    holder_button = f'href="/portefeuille/{credential_id}"'
    assert holder_button not in visitor.get(f"/credentials/{credential_id}").text  # cache filled
    camille = signed_in(app, CAMILLE)
    assert holder_button in camille.get(f"/credentials/{credential_id}").text
    again = visitor.get(f"/credentials/{credential_id}").text
    assert holder_button not in again
    assert f'action="/credentials/{credential_id}/portefeuille"' in again


def wallet_code_messages(app: FastAPI) -> list[EmailMessage]:
    with service_of(app).database.session(read_only=True) as session:
        return list(session.scalars(select(EmailMessage).where(
            EmailMessage.kind == WALLET_CODE_MAIL_KIND)))


def test_the_wallet_page_also_offers_openid4vci_with_a_code_by_email_on_a_computer(
        app: FastAPI, clock: FakeClock) -> None:
    credential_id = award(app)
    camille = signed_in(app, CAMILLE)
    desktop = camille.post(f"/portefeuille/{credential_id}",
                           headers={"user-agent": "Mozilla/5.0 (X11; Linux x86_64)"})
    assert desktop.status_code == 200
    html = unescape(desktop.text)
    assert "openid-credential-offer://?credential_offer_uri=" in html
    assert "Votre portefeuille vous demandera un code" in html
    [code_mail] = wallet_code_messages(app)
    assert code_mail.to_address == CAMILLE
    offer_link = re.search(r'href="(openid-credential-offer://[^"]+)"', desktop.text)
    assert offer_link is not None  # nothing in it names the person or the badge
    assert credential_id not in unescape(offer_link.group(1)) and "camille" not in offer_link.group(1)
    # On the holder's own phone the offer link needs no code: nothing more is mailed.
    phone = camille.post(f"/portefeuille/{credential_id}",
                         headers={"user-agent": "Mozilla/5.0 (Linux; Android 14) Mobile"})
    assert "openid-credential-offer://?credential_offer_uri=" in unescape(phone.text)
    assert "Votre portefeuille vous demandera un code" not in unescape(phone.text)
    assert len(wallet_code_messages(app)) == 1
