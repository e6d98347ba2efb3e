"""Sign-in, sessions, CSRF and roles of /admin, through the real pages and forms
(issue #4 item 1: "Nobody reaches /admin or an admin API without a session")."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from html import unescape
from urllib.parse import parse_qs, urlsplit

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import select
from starlette.datastructures import Headers
from starlette.routing import Mount, Route

from issuer.mail import outbox_message
from issuer.storage.models import AuditEntry
from issuer.storage.workspace_models import EmailMessage
from issuer.web.admin.auth import safe_next
from issuer.web.admin.csrf import is_cross_site, origin_of
from issuer.web.deps import SECURE_SESSION_COOKIE, SESSION_COOKIE
from issuer.workspace.account_mail import sign_in_alerts_for
from issuer.workspace.accounts import Accounts
from tests.plugins.admin import (
    BASE_URL,
    DEFAULT_PASSWORD,
    create_account,
    fast_hasher,
    sign_in,
)

# Pages that must open without a session (to get one).
PUBLIC_ADMIN_PATHS = ("/admin/connexion", "/admin/invitation/")


class FakeClock:
    def __init__(self) -> None:
        self.now = datetime(2025, 7, 11, 9, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


def anonymous(app: FastAPI, base_url: str = BASE_URL) -> TestClient:
    return TestClient(app, base_url=base_url, follow_redirects=False)


def on_clock(app: FastAPI) -> FakeClock:
    clock = FakeClock()
    service = app.state.service
    app.state.accounts = Accounts(service.database, clock=clock, hasher=fast_hasher(),
                                  alert_owner=sign_in_alerts_for(service))
    return clock


def sample_path(route: Route) -> str:
    """The route's path with each parameter filled in (an int where the route wants one)."""
    path = route.path
    for name, convertor in route.param_convertors.items():
        value = "1" if type(convertor).__name__ in {"IntegerConvertor", "FloatConvertor",
                                                    "DatabaseIntegerConvertor"} else "x"
        path = re.sub(r"\{" + name + r"(:[^}]*)?\}", value, path)
    return path


def admin_routes(app: FastAPI) -> list[tuple[str, str]]:
    """(method, sample path) of every route under /admin, whoever wrote it."""
    found: list[tuple[str, str]] = []
    for route in app.routes:
        if isinstance(route, Route) and (route.path == "/admin" or route.path.startswith("/admin/")):
            for method in sorted(route.methods or {"GET"}):
                if method != "HEAD":
                    found.append((method, sample_path(route)))
        elif isinstance(route, Mount) and route.path.startswith("/admin"):
            found.append(("GET", route.path + "/"))
    return found


# --- nobody gets in without a session --------------------------------------------------------

def test_every_admin_page_and_form_refuses_a_visitor_without_a_session(admin_app) -> None:
    app, _service = admin_app
    routes = admin_routes(app)
    assert ("GET", "/admin") in routes and ("GET", "/admin/journal.csv") in routes
    client = anonymous(app)
    opened = []
    for method, path in routes:
        if path.startswith(PUBLIC_ADMIN_PATHS):
            continue
        response = client.request(method, path, data={"x": "1"})
        if method == "GET":
            sign_in_redirect = (response.status_code == 303 and urlsplit(
                response.headers["location"]).path == "/admin/connexion")
            if not sign_in_redirect:
                opened.append((method, path, response.status_code))
        elif path == "/admin/deconnexion":
            # Signing out without a session does nothing but show the sign-in page.
            if (response.status_code, response.headers.get("location")) != (303, "/admin/connexion"):
                opened.append((method, path, response.status_code))
        elif response.status_code != 403:
            opened.append((method, path, response.status_code))
    assert not opened, f"reachable without a session: {opened}"


def test_sign_in_redirect_comes_back_to_the_page_asked_for(admin_app) -> None:
    app, _service = admin_app
    user = create_account(app)
    client = anonymous(app)
    response = client.get("/admin/journal?action=login.failed")
    assert response.status_code == 303
    location = response.headers["location"]
    target = parse_qs(urlsplit(location).query)["suivant"][0]
    assert target == "/admin/journal?action=login.failed"
    page = client.get(location)
    assert page.status_code == 200 and 'name="suivant"' in page.text
    signed = client.post("/admin/connexion", data={"email": user.email, "password": DEFAULT_PASSWORD,
                                                   "suivant": target})
    assert signed.status_code == 303 and signed.headers["location"] == target
    assert client.get(target).status_code == 200


@pytest.mark.parametrize("target", ["https://evil.example/admin", "//evil.example/admin",
                                    "/\\evil.example", "/verifier", "javascript:alert(1)",
                                    "/admin/connexion", "", "/admin\r\nSet-Cookie: x=1"])
def test_sign_in_never_redirects_off_the_workspace(target: str) -> None:
    assert safe_next(target) == "/admin"


def test_sign_in_keeps_a_workspace_target() -> None:
    assert safe_next("/admin/evenements/petit-dejeuner/7?onglet=presences") == (
        "/admin/evenements/petit-dejeuner/7?onglet=presences")


# --- the sign-in form ------------------------------------------------------------------------

def test_wrong_password_shows_a_french_message_and_opens_no_session(admin_app) -> None:
    app, service = admin_app
    user = create_account(app)
    client = anonymous(app)
    response = client.post("/admin/connexion", data={"email": user.email, "password": "pas le bon",
                                                     "suivant": "/admin"},
                           headers={"accept-language": "fr"})
    assert response.status_code == 401
    assert "Adresse e-mail ou mot de passe incorrect." in unescape(response.text)
    assert 'role="alert"' in response.text
    assert "set-cookie" not in response.headers or "issuer_session" not in response.headers["set-cookie"]
    assert client.get("/admin").status_code == 303
    with service.database.session(read_only=True) as session:
        actions = list(session.scalars(select(AuditEntry.action).where(
            AuditEntry.action.like("login.%"))))
    assert actions == ["login.failed"]


def test_five_failures_slow_this_browser_down_then_the_right_password_opens(admin_app) -> None:
    app, _service = admin_app
    clock = on_clock(app)
    user = create_account(app)
    client = anonymous(app)
    for _ in range(5):
        assert client.post("/admin/connexion", data={"email": user.email,
                                                     "password": "mauvais mot de passe"}).status_code == 401
    waiting = client.post("/admin/connexion", data={"email": user.email, "password": DEFAULT_PASSWORD})
    assert waiting.status_code == 429 and waiting.headers["retry-after"] == "30"
    assert "Réessayez dans 30 s" in unescape(waiting.text)
    assert client.get("/admin").status_code == 303
    clock.advance(seconds=30)
    opened = client.post("/admin/connexion", data={"email": user.email, "password": DEFAULT_PASSWORD})
    assert opened.status_code == 303
    assert client.get("/admin").status_code == 200


def test_successful_sign_in_is_audited_with_the_client_address(admin_app) -> None:
    app, service = admin_app
    user = create_account(app)
    sign_in(app, user.email)
    with service.database.session(read_only=True) as session:
        [line] = session.scalars(select(AuditEntry).where(AuditEntry.action == "login.succeeded"))
    assert (line.actor, line.subject, line.origin) == (user.email, user.id, "testclient")


def test_session_cookie_is_host_only_httponly_secure_and_lax_over_https(admin_app) -> None:
    app, _service = admin_app
    user = create_account(app)
    client = anonymous(app)
    response = client.post("/admin/connexion", data={"email": user.email, "password": DEFAULT_PASSWORD})
    cookie = response.headers["set-cookie"]
    assert cookie.startswith(f"{SECURE_SESSION_COOKIE}=")
    attributes = {part.strip().split("=")[0].lower(): part.strip() for part in cookie.split(";")[1:]}
    assert "httponly" in attributes and "secure" in attributes
    assert attributes["samesite"].lower() == "samesite=lax"
    assert attributes["path"] == "Path=/" and "domain" not in attributes


def test_over_plain_http_the_cookie_is_not_marked_secure(admin_app) -> None:
    app, _service = admin_app
    user = create_account(app)
    client = anonymous(app, base_url="http://127.0.0.1:8000")
    response = client.post("/admin/connexion", data={"email": user.email, "password": DEFAULT_PASSWORD})
    cookie = response.headers["set-cookie"]
    assert cookie.startswith(f"{SESSION_COOKIE}=") and "secure" not in cookie.lower()
    assert client.get("/admin").status_code == 200


def test_admin_pages_are_never_cached(admin_app, signed_in_client) -> None:
    app, _service = admin_app
    client = signed_in_client(app, role="administrator")
    for path in ("/admin", "/admin/journal", "/admin/comptes"):
        response = client.get(path)
        assert response.headers["cache-control"] == "no-store", path
    assert anonymous(app).get("/admin/connexion").headers["cache-control"] == "no-store"


def test_each_sign_in_gets_a_new_session_token(admin_app) -> None:
    app, _service = admin_app
    user = create_account(app)
    client = sign_in(app, user.email)
    first = client.cookies[SECURE_SESSION_COOKIE]
    client.post("/admin/connexion", data={"email": user.email, "password": DEFAULT_PASSWORD})
    assert client.cookies[SECURE_SESSION_COOKIE] != first
    replay = anonymous(app)
    replay.cookies.set(SECURE_SESSION_COOKIE, first)
    assert replay.get("/admin").status_code == 303


# --- sessions end ----------------------------------------------------------------------------

def test_sign_out_ends_the_session_for_good(admin_app, signed_in_client) -> None:
    app, service = admin_app
    client = signed_in_client(app)
    token = client.cookies[SECURE_SESSION_COOKIE]
    page = client.get("/admin")
    assert 'action="/admin/deconnexion"' in page.text
    response = client.post("/admin/deconnexion")
    assert response.status_code == 303 and response.headers["location"] == "/admin/connexion"
    assert client.get("/admin").status_code == 303
    replay = anonymous(app)
    replay.cookies.set(SECURE_SESSION_COOKIE, token)
    assert replay.get("/admin").status_code == 303
    with service.database.session(read_only=True) as session:
        assert session.scalar(select(AuditEntry.action).where(AuditEntry.action == "logout"))


def test_idle_session_sends_back_to_the_sign_in_page(admin_app) -> None:
    app, _service = admin_app
    clock = on_clock(app)
    user = create_account(app)
    client = sign_in(app, user.email)
    clock.advance(hours=1, minutes=30)
    assert client.get("/admin").status_code == 200
    clock.advance(hours=2, seconds=1)
    response = client.get("/admin")
    assert response.status_code == 303 and response.headers["location"].startswith("/admin/connexion")


def test_session_ends_twelve_hours_after_sign_in(admin_app) -> None:
    app, _service = admin_app
    clock = on_clock(app)
    user = create_account(app)
    client = sign_in(app, user.email)
    for _ in range(6):
        clock.advance(hours=1, minutes=59)
        assert client.get("/admin").status_code == 200
    clock.advance(minutes=7)  # 12 h 01 after signing in, 7 min after the last page
    assert client.get("/admin").status_code == 303


# --- cross-site requests ---------------------------------------------------------------------

@pytest.mark.parametrize("headers", [{"sec-fetch-site": "cross-site"}, {"sec-fetch-site": "same-site"},
                                     {"origin": "https://evil.example"}, {"origin": "null"},
                                     {"origin": "http://badges.example.org"},
                                     {"sec-fetch-site": "same-origin", "origin": "https://evil.example"}])
def test_cross_site_posts_are_refused_even_with_a_session(admin_app, signed_in_client,
                                                          headers: dict[str, str]) -> None:
    app, _service = admin_app
    client = signed_in_client(app, role="administrator")
    response = client.post("/admin/comptes/inviter", headers=headers,
                           data={"email": "piege@evil.example", "name": "Piège"})
    assert response.status_code == 403
    assert "CSRF" in response.text
    sign_out = client.post("/admin/deconnexion", headers=headers)
    assert sign_out.status_code == 403
    assert client.get("/admin").status_code == 200  # still signed in: the forged sign-out failed
    assert "piege@evil.example" not in client.get("/admin/comptes").text


def test_cross_site_sign_in_is_refused(admin_app) -> None:
    app, _service = admin_app
    user = create_account(app)
    response = anonymous(app).post("/admin/connexion", headers={"sec-fetch-site": "cross-site"},
                                   data={"email": user.email, "password": DEFAULT_PASSWORD})
    assert response.status_code == 403 and "set-cookie" not in response.headers


@pytest.mark.parametrize("headers", [{"sec-fetch-site": "same-origin", "origin": BASE_URL},
                                     {"sec-fetch-site": "none"}, {"origin": "https://BADGES.example.org:443"}])
def test_same_origin_posts_from_a_browser_pass(admin_app, signed_in_client,
                                               headers: dict[str, str]) -> None:
    app, _service = admin_app
    client = signed_in_client(app, role="administrator")
    response = client.post("/admin/comptes/inviter", headers=headers,
                           data={"email": "nouveau@ville-roubaix.example", "name": "Nouveau"})
    assert response.status_code == 200, response.text[:300]


def test_cross_site_checks_leave_reads_and_the_public_api_alone(admin_app) -> None:
    app, _service = admin_app
    assert anonymous(app).get("/", headers={"sec-fetch-site": "cross-site"}).status_code == 200
    foreign = Headers({"sec-fetch-site": "cross-site", "origin": "https://evil.example"})
    own = {origin_of(BASE_URL)}
    assert not is_cross_site("POST", "/api/v1/verify", foreign, own)
    assert not is_cross_site("GET", "/admin", foreign, own)
    assert is_cross_site("POST", "/evenements/reclamer/x", foreign, own)  # any other form
    assert not is_cross_site("POST", "/admin/comptes/inviter", Headers({}), own)


def test_origin_comparison_ignores_case_and_default_ports() -> None:
    assert origin_of("HTTPS://Badges.Example.org:443/x") == "https://badges.example.org"
    assert origin_of("http://127.0.0.1:8000") == "http://127.0.0.1:8000"
    assert origin_of("https://badges.example.org:notaport") != "https://badges.example.org"


# --- roles and invitations -------------------------------------------------------------------

def test_a_coordinator_cannot_open_or_change_the_accounts(admin_app, signed_in_client) -> None:
    app, _service = admin_app
    client = signed_in_client(app, role="coordinator")
    assert client.get("/admin/comptes").status_code == 403
    assert client.post("/admin/comptes/inviter", data={"email": "x@ville-roubaix.example",
                                                       "name": "X"}).status_code == 403
    other = create_account(app)
    assert client.post(f"/admin/comptes/{other.id}/desactiver").status_code == 403
    assert 'href="/admin/comptes"' not in client.get("/admin").text


def test_invitation_flow_from_the_accounts_page_to_a_signed_in_coordinator(admin_app,
                                                                          signed_in_client) -> None:
    app, service = admin_app
    admin = signed_in_client(app, role="administrator")
    page = admin.post("/admin/comptes/inviter",
                      data={"email": "Nouvelle@Ville-Roubaix.example", "name": "Nouvelle Coordinatrice"})
    assert page.status_code == 200
    link = re.search(r'https://badges\.example\.org/admin/invitation/[\w\-%]+', page.text)
    assert link, page.text
    invitation_path = urlsplit(link.group(0)).path
    assert "nouvelle@ville-roubaix.example" in admin.get("/admin/comptes").text
    # Without SMTP settings the invitation e-mail lands in the outbox folder, with the link.
    with service.database.session(read_only=True) as session:
        [mail] = session.scalars(select(EmailMessage).where(EmailMessage.kind == "invitation"))
    assert (mail.to_address, mail.status) == ("nouvelle@ville-roubaix.example", "outbox")
    _row, message = outbox_message(service, mail.id)
    plain = message.get_body(("plain",))
    assert plain is not None and link.group(0) in plain.get_content()

    newcomer = anonymous(app)
    form = newcomer.get(invitation_path)
    assert form.status_code == 200 and "Nouvelle Coordinatrice" in form.text
    mismatch = newcomer.post(invitation_path, data={"password": DEFAULT_PASSWORD,
                                                    "password_confirmation": "autre chose encore"})
    assert mismatch.status_code == 400
    weak = newcomer.post(invitation_path, data={"password": "court", "password_confirmation": "court"})
    assert weak.status_code == 400 and "12 caractères" in unescape(weak.text)
    done = newcomer.post(invitation_path, data={"password": DEFAULT_PASSWORD,
                                                "password_confirmation": DEFAULT_PASSWORD})
    assert done.status_code == 303 and done.headers["location"] == "/admin"
    home = newcomer.get("/admin")
    assert home.status_code == 200 and "Nouvelle Coordinatrice" in home.text
    assert newcomer.get("/admin/comptes").status_code == 403  # a coordinator

    assert anonymous(app).get(invitation_path).status_code == 404  # used once
    sign_in(app, "nouvelle@ville-roubaix.example")
    with service.database.session(read_only=True) as session:
        actions = set(session.scalars(select(AuditEntry.action)))
    assert {"account.invited", "account.activated"} <= actions


def test_a_disabled_account_is_signed_out_and_cannot_sign_in(admin_app, signed_in_client) -> None:
    app, _service = admin_app
    admin = signed_in_client(app, role="administrator")
    coordinator = signed_in_client(app)
    user = coordinator.admin_user
    assert admin.post(f"/admin/comptes/{user.id}/desactiver").status_code == 303
    assert coordinator.get("/admin").status_code == 303
    refused = anonymous(app).post("/admin/connexion", data={"email": user.email,
                                                            "password": DEFAULT_PASSWORD})
    assert refused.status_code == 401


def test_unknown_invitation_link_says_so_in_french(admin_app) -> None:
    app, _service = admin_app
    response = anonymous(app).get("/admin/invitation/nimportequoi", headers={"accept-language": "fr"})
    assert response.status_code == 404 and "n'est plus valable" in unescape(response.text)


def test_sign_in_works_on_postgresql_and_sqlite(database_url: str, admin_app_on) -> None:
    app, service = admin_app_on(database_url)
    user = create_account(app, role="administrator")
    client = sign_in(app, user.email)
    assert client.get("/admin/comptes").status_code == 200
    assert client.post("/admin/deconnexion").status_code == 303
    assert client.get("/admin").status_code == 303
    with service.database.session(read_only=True) as session:
        actions = list(session.scalars(select(AuditEntry.action).where(
            AuditEntry.action.in_(["login.succeeded", "logout"])).order_by(AuditEntry.id)))
    assert actions == ["login.succeeded", "logout"]
