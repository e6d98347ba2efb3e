"""Body caps at the application (issue #10 item 5): every route that takes a body is in the one
table of `issuer.web.body_limits`, a declared oversize body is refused before its handler runs,
a chunked one is cut off while it is read, an anonymous request to a coordinator upload gets a
tiny cap, and the documentation table agrees with the code and with the nginx sample.

Memory is measured by what it depends on, the number of body bytes the application pulls from
the client, not by timing or RSS."""

from __future__ import annotations

import re
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import anyio
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from starlette.routing import Route

from issuer.issuance.service import IssuerService
from issuer.web import body_limits
from issuer.web.body_limits import (
    ANONYMOUS_ADMIN_BYTES,
    BODY_METHODS,
    DOCUMENTED_KINDS,
    ROUTE_LIMITS,
    UNLISTED,
    BodyLimit,
)
from issuer.workspace import claims, events
from tests.plugins.admin import BASE_URL
from tests.route_table import served_routes

ROOT = Path(__file__).resolve().parent.parent
BREAKFAST = "petit-dejeuner-inclusion-numerique"
CHUNK = 64 * 1024
SAMPLE_VALUES = {"family": BREAKFAST, "number": "10", "token": "A" * 22}


def body_routes(app: FastAPI) -> list[Route]:
    """Every route of the app that takes a body (POST, PUT, PATCH, DELETE): Starlette routes
    and FastAPI's API routes alike."""
    found = [route for route in served_routes(app)
             if set(getattr(route, "methods", None) or ()) & BODY_METHODS]
    assert len(found) > 40, "the route table shrank: is the enumeration still right?"
    return found


def concrete_path(route: Route) -> str:
    def value(match: re.Match[str]) -> str:
        name = match.group(1)
        return SAMPLE_VALUES.get(name, "1" if match.group(2) == "dbint" else "x1")

    return re.sub(r"\{(\w+)(?::(\w+))?\}", value, route.path)


def method_of(route: Route) -> str:
    return min(set(route.methods or ()) & BODY_METHODS)


class HandlerCalls:
    """Replaces each route's handler with a recorder: a refused request never reaches it."""

    def __init__(self, routes: list[Route], monkeypatch: pytest.MonkeyPatch) -> None:
        self.called: list[str] = []
        for route in routes:
            if isinstance(route, Route):
                monkeypatch.setattr(route, "app", self._recorder(route.path))
        # The JSON API's handler starts by counting the request against the rate limit.
        monkeypatch.setattr("issuer.web.api.check_rate_limit", self._api_handler)

    def _api_handler(self, request: Any) -> None:
        self.called.append(request.url.path)
        from starlette.exceptions import HTTPException
        raise HTTPException(299)

    def _recorder(self, path: str) -> Any:
        async def app(scope: Any, receive: Any, send: Any) -> None:
            self.called.append(path)
            await send({"type": "http.response.start", "status": 299, "headers": []})
            await send({"type": "http.response.body", "body": b""})
        return app


@pytest.fixture
def app(admin_app: tuple[FastAPI, IssuerService]) -> FastAPI:
    return admin_app[0]


# -- the table covers the app ---------------------------------------------------------------------

def test_every_route_that_takes_a_body_has_its_own_cap(app: FastAPI) -> None:
    paths = {route.path for route in body_routes(app)}
    missing = sorted(paths - set(ROUTE_LIMITS))
    assert not missing, f"routes taking a body without an entry in ROUTE_LIMITS: {missing}"
    stale = sorted(set(ROUTE_LIMITS) - paths)
    assert not stale, f"ROUTE_LIMITS entries matching no route: {stale}"


def test_each_route_resolves_to_its_own_entry(app: FastAPI) -> None:
    for route in body_routes(app):
        assert body_limits.limit_for(method_of(route), concrete_path(route)) \
            is ROUTE_LIMITS[route.path], route.path


def test_every_admin_route_except_sign_in_needs_a_session(app: FastAPI) -> None:
    public = {"/admin/connexion", "/admin/invitation/{token}"}
    for route in body_routes(app):
        limit = ROUTE_LIMITS[route.path]
        if route.path.startswith("/admin/") and route.path not in public:
            assert limit.signed_in, route.path


# -- declared length: refused before the handler runs -----------------------------------------------

def test_declared_oversize_body_is_refused_before_any_handler_runs(
        app: FastAPI, signed_in_client: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    routes = body_routes(app)
    coordinator = signed_in_client(app)
    recorder = HandlerCalls(routes, monkeypatch)
    for route in routes:
        limit = ROUTE_LIMITS[route.path]
        body = b"a" * (limit.max_bytes + 1)
        response = coordinator.request(method_of(route), concrete_path(route), content=body,
                                       headers={"content-type": "application/octet-stream"})
        assert response.status_code == 413, (route.path, response.status_code)
        # Just under the cap the handler does run: the cap is the table's, not a smaller one.
        response = coordinator.request(method_of(route), concrete_path(route),
                                       content=b"a" * (limit.max_bytes - 1),
                                       headers={"content-type": "application/octet-stream"})
        assert response.status_code == 299, (route.path, response.status_code)
    assert len(recorder.called) == len(routes)


def test_anonymous_request_to_a_coordinator_route_gets_a_tiny_cap(
        app: FastAPI, monkeypatch: pytest.MonkeyPatch) -> None:
    routes = [route for route in body_routes(app) if ROUTE_LIMITS[route.path].signed_in]
    recorder = HandlerCalls(routes, monkeypatch)
    client = TestClient(app, base_url=BASE_URL)
    client.cookies.set("__Host-issuer_session", "forged-session-token")
    for route in routes:
        response = client.request(method_of(route), concrete_path(route),
                                  content=b"a" * (ANONYMOUS_ADMIN_BYTES + 1))
        assert response.status_code == 413, route.path
    assert recorder.called == []


def test_refusal_is_a_french_page_for_people_and_json_for_the_api(app: FastAPI) -> None:
    client = TestClient(app, base_url=BASE_URL)
    page = client.post("/reclamer/" + "A" * 22, content=b"a" * 20_000,
                       headers={"content-type": "application/x-www-form-urlencoded"})
    assert page.status_code == 413
    assert page.headers["content-type"].startswith("text/html")
    assert "Envoi trop volumineux" in page.text and "16 Kio" in page.text
    assert page.headers["connection"] == "close"
    assert "content-security-policy" in page.headers
    api = client.post("/api/v1/verify", content=b"{}",
                      headers={"content-type": "application/json", "content-length": "999999999"})
    assert api.status_code == 413
    assert api.json()["error"]["code"] == "verify.too_large"
    assert api.json()["error"]["max_bytes"] == body_limits.VERIFICATION.max_bytes


@pytest.mark.parametrize("declared", ["9" * 5_000, "99999999999999999999"])
def test_an_absurd_declared_length_is_413_not_an_error(app: FastAPI, declared: str) -> None:
    client = TestClient(app, base_url=BASE_URL, raise_server_exceptions=False)
    for path in ("/reclamer/" + "A" * 22, "/api/v1/verify", "/verifier"):
        response = client.post(path, content=b"{}", headers={"content-length": declared,
                                                             "content-type": "application/json"})
        assert response.status_code == 413, path


# -- chunked bodies: counted as they arrive -------------------------------------------------------

def drive(app: FastAPI, method: str, path: str, *, total: int, cookie: str | None = None,
          content_type: str = "application/x-www-form-urlencoded",
          prefix: bytes = b"") -> tuple[int, int]:
    """Send `total` bytes without Content-Length, in chunks, straight to the ASGI app; returns
    (status, bytes the app pulled from the client)."""
    pulled = 0
    status = 0
    headers = [(b"host", b"badges.example.org"), (b"content-type", content_type.encode()),
               (b"transfer-encoding", b"chunked")]
    if cookie:
        headers.append((b"cookie", cookie.encode()))
    scope = {"type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1",
             "method": method, "scheme": "https", "path": path, "raw_path": path.encode(),
             "query_string": b"", "root_path": "", "headers": headers,
             "client": ("203.0.113.7", 50000), "server": ("badges.example.org", 443),
             "state": {}}

    async def receive() -> dict[str, Any]:
        nonlocal pulled
        if pulled >= total:
            return {"type": "http.request", "body": b"", "more_body": False}
        if pulled == 0 and prefix:
            pulled = len(prefix)
            return {"type": "http.request", "body": prefix, "more_body": True}
        size = min(CHUNK, total - pulled)
        pulled += size
        return {"type": "http.request", "body": b"a" * size, "more_body": True}

    async def send(message: dict[str, Any]) -> None:
        nonlocal status
        if message["type"] == "http.response.start":
            status = message["status"]

    async def run() -> None:
        await app(scope, receive, send)

    # In a thread of its own: the browser tests' Playwright (sync API) keeps an event loop
    # running in the main thread for the rest of the session.
    with ThreadPoolExecutor(max_workers=1) as pool:
        pool.submit(anyio.run, run).result()
    return status, pulled


def session_cookie(client: TestClient) -> str:
    return "; ".join(f"{name}={value}" for name, value in client.cookies.items())


def test_chunked_oversize_body_is_never_read_past_its_cap(app: FastAPI,
                                                          signed_in_client: Any) -> None:
    cookie = session_cookie(signed_in_client(app))
    for route in body_routes(app):
        limit = ROUTE_LIMITS[route.path]
        status, pulled = drive(app, method_of(route), concrete_path(route),
                               total=limit.max_bytes * 4 + 10 * CHUNK, cookie=cookie)
        assert pulled <= limit.max_bytes + CHUNK, (route.path, pulled)
        assert status < 500, (route.path, status)
        if pulled > limit.max_bytes:
            assert status == 413, (route.path, status)


def test_chunked_oversize_claim_is_413_and_queues_nothing(
        admin_app: tuple[FastAPI, IssuerService]) -> None:
    app, service = admin_app
    event = events.get_event(service, BREAKFAST, 10)
    now = datetime.now(UTC).replace(microsecond=0)
    token = claims.open_claim_window(service, event, opens_at=now,
                                     closes_at=now + timedelta(hours=2), actor="test")
    body_size = body_limits.PUBLIC_FORM.max_bytes * 50
    status, pulled = drive(app, "POST", f"/reclamer/{token}", total=body_size)
    assert status == 413
    assert pulled <= body_limits.PUBLIC_FORM.max_bytes + CHUNK
    assert claims.pending_claims(service, event) == []


def test_chunked_oversize_attendance_upload_is_413(app: FastAPI, signed_in_client: Any) -> None:
    cookie = session_cookie(signed_in_client(app))
    status, pulled = drive(app, "POST", f"/admin/evenements/{BREAKFAST}/10/presences/apercu",
                           total=200_000_000, cookie=cookie,
                           content_type="multipart/form-data; boundary=xyz",
                           prefix=b'--xyz\r\nContent-Disposition: form-data; name="liste"; '
                                  b'filename="liste.csv"\r\nContent-Type: text/csv\r\n\r\n')
    assert status == 413
    assert pulled <= body_limits.ATTENDANCE.max_bytes + CHUNK


def test_many_small_fields_are_refused_by_the_form_parser(app: FastAPI,
                                                          signed_in_client: Any) -> None:
    coordinator = signed_in_client(app)
    fields = "&".join(f"f{n}=1" for n in range(2_000))
    response = coordinator.post("/admin/evenements/nouveau", content=fields.encode(),
                                headers={"content-type": "application/x-www-form-urlencoded"})
    assert response.status_code == 400


# -- documentation agrees with the code and nginx -----------------------------------------------

def documented_rows(text: str) -> dict[str, int]:
    rows: dict[str, int] = {}
    for line in text.splitlines():
        found = re.match(r"\|\s*`([a-z-]+)`\s*\|.*\|\s*([0-9][0-9 ]*)\s*\|\s*$", line)
        if found:
            rows[found.group(1)] = int(found.group(2).replace(" ", ""))
    return rows


@pytest.mark.parametrize("document", ["README.md", "docs/DEPLOYMENT.md"])
def test_documented_limits_table_matches_the_code(document: str) -> None:
    rows = documented_rows((ROOT / document).read_text("utf-8"))
    expected = {kind.kind: kind.max_bytes for kind in DOCUMENTED_KINDS}
    expected["anonymous-admin"] = ANONYMOUS_ADMIN_BYTES
    assert rows == expected


def test_nginx_sample_allows_the_largest_cap_and_no_more_than_a_mebibyte_above() -> None:
    text = (ROOT / "docs/DEPLOYMENT.md").read_text("utf-8")
    sizes = re.findall(r"client_max_body_size\s+(\d+)([km]?);", text)
    assert sizes, "the nginx sample sets client_max_body_size"
    unit = {"": 1, "k": 1024, "m": 1024 * 1024}
    for number, suffix in sizes:
        nginx = int(number) * unit[suffix]
        largest = body_limits.largest_cap()
        assert largest <= nginx < largest + 1024 * 1024


def test_unlisted_cap_is_the_smallest_public_one() -> None:
    kinds: list[BodyLimit] = list(ROUTE_LIMITS.values())
    assert UNLISTED.max_bytes <= min(kind.max_bytes for kind in kinds)



def test_each_handler_s_own_cap_fits_under_its_route_s_cap() -> None:
    """The handlers keep their precise messages (a form page, a JSON code): the table's cap
    is never below what the handler itself accepts."""
    from issuer.network.evidence import MAX_FILE_BYTES
    from issuer.web.admin.skills import MAX_PACKAGE_BYTES
    from issuer.web.views.verifier import FORM_OVERHEAD_BYTES, MAX_INPUT_BYTES
    from issuer.workspace.attendance import MAX_BYTES

    assert body_limits.VERIFICATION.max_bytes >= MAX_INPUT_BYTES + FORM_OVERHEAD_BYTES
    assert body_limits.ATTENDANCE.max_bytes > MAX_BYTES
    assert body_limits.EVIDENCE.max_bytes > MAX_FILE_BYTES
    assert body_limits.CASE_IMPORT.max_bytes > MAX_PACKAGE_BYTES
