"""No 5xx for anything a stranger or a coordinator can send (issue #10 item 6): property-based
requests to every route of the app (enumerated from the app, so a new route is covered without
editing this file), with generated path parameters, query parameters and form fields (huge and
negative integers, unicode, empty and very long text, out-of-range dates and durations, nested
JSON), as an anonymous visitor and as a signed-in coordinator.

The field names are those the templates' forms use (read from `templates/`), so each handler
receives the fields it reads. The budget fits CI: a fixed number of derandomized examples per
route; `ISSUER_FUZZ_EXAMPLES=200` runs a longer search.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlencode

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from starlette.convertors import IntegerConvertor

from issuer.issuance.service import IssuerService
from tests.plugins.admin import BASE_URL
from tests.route_table import served_routes

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = int(os.environ.get("ISSUER_FUZZ_EXAMPLES", "4"))
FIELD_NAMES = sorted(set(re.findall(
    r'name="([a-z_]+)"', "".join(p.read_text("utf-8") for p in (ROOT / "templates").rglob("*.html"))
)) - {"viewport", "robots"})
FILE_FIELDS = ("file", "liste", "package")
NOT_FOR_THE_COORDINATOR = {"/admin/deconnexion"}  # signing out would end the coordinator's run
MAX_QUERY_LENGTH = 8_000
PARAMETER = re.compile(r"\{(\w+)(?::(\w+))?\}")


def nested_json(depth: int) -> str:
    return "[" * depth + "]" * depth


def _text_values() -> st.SearchStrategy[str]:
    return st.one_of(
        st.sampled_from([
            "", " ", "0", "-1", "1", "9" * 30, str(2 ** 63), str(-(2 ** 63) - 1), "1e309", "NaN",
            "9999-12-31", "0001-01-01", "99999-01-01", "2025-02-30", "9999-12-31T23:59",
            "0001-01-01T00:00", "24", "100000000000000000000", "-5", "1.5",
            "\u202e", "é" * 300, "a" * 700, "\x00", "<script>", "../../etc/passwd",
            nested_json(400), '{"a":' * 200 + "1" + "}" * 200, "approuver", "refuser",
            "retirer", "renouveler", "cln-session", "workshop", "petit-dejeuner-inclusion-numerique",
        ]),
        st.integers(min_value=-(2 ** 80), max_value=2 ** 80).map(str),
        st.text(max_size=40),
    )


#: Path values that lead somewhere (an event, a badge, a skill of the demo catalogue), drawn as
#: often as the hostile ones, so handlers get past their lookups to the fields they read.
REAL_SEGMENTS = {
    "family": ["petit-dejeuner-inclusion-numerique", "seance-cln"],
    "number": ["10", "1"],
    "slug": ["petit-dejeuner-inclusion-numerique", "membre-cln"],
    "code": ["ACC-02", "ACC"],
    "list_id": ["1", "0"],
    "purpose": ["revocation", "suspension"],
    "action": ["retirer", "renouveler", "renommer", "supprimer"],
}


def _segment_values(name: str) -> st.SearchStrategy[str]:
    real = REAL_SEGMENTS.get(name)
    hostile = _hostile_segments()
    return st.one_of(st.sampled_from(real), hostile) if real else hostile


def _hostile_segments() -> st.SearchStrategy[str]:
    return st.one_of(
        st.sampled_from(["0", "1", "10", "-1", "9" * 9, "9" * 10, str(2 ** 63), "9" * 40,
                         "petit-dejeuner-inclusion-numerique", "membre-cln", "é", "a" * 300,
                         "x.json", "%00", "..", "ACC-02", "A" * 22]),
        st.integers(min_value=-(2 ** 70), max_value=2 ** 70).map(str),
        st.text(min_size=1, max_size=30).filter(lambda t: t not in (".", "..")),
    )


def routes_with_methods(app: FastAPI) -> list[tuple[str, str]]:
    found = []
    for route in served_routes(app):
        for method in sorted(getattr(route, "methods", None) or ()):
            if method != "HEAD":
                found.append((method, route.path))  # type: ignore[attr-defined]
    assert len(found) > 100, "the route enumeration found too few routes"
    return found


def request_strategy(path: str) -> st.SearchStrategy[dict[str, Any]]:
    names = [match.group(1) for match in PARAMETER.finditer(path)]
    # Every field name each time: a handler always finds the fields it reads; sometimes
    # twice or three times (a handler reading one value must not trip on a list).
    value = st.one_of(_text_values(), _text_values(),
                      st.lists(_text_values(), min_size=2, max_size=3))
    fields = st.fixed_dictionaries(dict.fromkeys(FIELD_NAMES, value))
    return st.fixed_dictionaries({
        "segments": st.fixed_dictionaries({name: _segment_values(name) for name in names}),
        "fields": fields,
        "file": st.none() | st.tuples(st.sampled_from(FILE_FIELDS),
                                      st.sampled_from([b"", b"\x00" * 10, b"nom;courriel\n",
                                                       nested_json(50_000).encode(),
                                                       b'{"CFDocument": {}}', b"%PDF-1.4"])),
    })


def concrete(path: str, segments: dict[str, str]) -> str:
    return PARAMETER.sub(lambda m: quote(segments[m.group(1)], safe=""), path)


def send(client: TestClient, method: str, path: str, drawn: dict[str, Any]) -> Any:
    url = concrete(path, drawn["segments"])
    fields = drawn["fields"]
    if method in ("GET", "OPTIONS", "DELETE"):
        # A request line longer than a few KiB never reaches the app (uvicorn's h11 refuses
        # it), and httpx refuses to build one past 64 KiB: keep the query under 8 000 characters.
        params = dict(fields)
        while params and len(urlencode(params, doseq=True)) > MAX_QUERY_LENGTH:
            params.pop(next(reversed(params)))
        return client.request(method, url, params=params)
    if path.startswith("/api/"):
        return client.request(method, url, content=json.dumps(fields).encode(),
                              headers={"content-type": "application/json"})
    if drawn["file"] is not None:
        name, data = drawn["file"]
        return client.request(method, url, data=fields, files={name: ("upload.json", data)})
    return client.request(method, url, data=fields)


def check_route(client: TestClient, method: str, path: str) -> None:
    # No shrinking: a failing request is reported as drawn, at once (shrinking dozens of
    # fields takes minutes, beyond the CI budget); the message carries the whole request.
    @settings(max_examples=EXAMPLES, derandomize=True, deadline=None, database=None,
              suppress_health_check=list(HealthCheck),
              phases=[Phase.explicit, Phase.reuse, Phase.generate])
    @given(drawn=request_strategy(path))
    def no_server_error(drawn: dict[str, Any]) -> None:
        response = send(client, method, path, drawn)
        assert response.status_code < 500, (
            f"{method} {concrete(path, drawn['segments'])} fields={drawn['fields']!r:.3000} "
            f"-> {response.status_code}")

    no_server_error()


def check_every_route(client: TestClient, routes: list[tuple[str, str]]) -> None:
    failures: list[str] = []
    for method, path in routes:
        try:
            check_route(client, method, path)
        except AssertionError as failure:
            failures.append(str(failure).splitlines()[0])
    assert not failures, "\n".join(failures)


@pytest.fixture
def app(admin_app: tuple[FastAPI, IssuerService]) -> FastAPI:
    app = admin_app[0]
    app.state.verification_rate_limiter = None  # the default limiter: 429 is an answer too
    return app


def test_no_route_uses_an_unbounded_integer_path_parameter(app: FastAPI) -> None:
    for route in served_routes(app):
        for name, convertor in (getattr(route, "param_convertors", None) or {}).items():
            assert not isinstance(convertor, IntegerConvertor), (route.path, name)  # type: ignore[attr-defined]


def test_no_server_error_for_an_anonymous_visitor(app: FastAPI) -> None:
    client = TestClient(app, base_url=BASE_URL, follow_redirects=False,
                        raise_server_exceptions=False)
    check_every_route(client, routes_with_methods(app))


def test_no_server_error_for_a_signed_in_coordinator(
        app: FastAPI, signed_in_client: Callable[..., TestClient]) -> None:
    client = signed_in_client(app)
    client._transport.raise_server_exceptions = False  # type: ignore[attr-defined]
    routes = [(m, p) for m, p in routes_with_methods(app) if p not in NOT_FOR_THE_COORDINATOR]
    check_every_route(client, routes)


# -- the classes of input found by the fuzzing, each pinned by name --------------------------------

EVENT = "/admin/evenements/petit-dejeuner-inclusion-numerique/10"


@pytest.mark.parametrize("path", [f"/status/{2 ** 63}/revocation", f"/status/{10 ** 40}/revocation",
                                  f"/competences/versions/{2 ** 63}/ACC-02",
                                  f"/achievements/membre-cln/{2 ** 64}",
                                  f"{EVENT.removesuffix('10')}{2 ** 63}"])
def test_huge_integers_in_paths_are_404(app: FastAPI, signed_in_client: Callable[..., TestClient],
                                        path: str) -> None:
    client = signed_in_client(app)
    client._transport.raise_server_exceptions = False  # type: ignore[attr-defined]
    assert client.get(path).status_code == 404


@pytest.mark.parametrize("fields", [
    {"hours": "9" * 30}, {"hours": "-5"}, {"hours": "²"}, {"hours": "100000"},
    {"opens_at": "9999-12-31T23:59", "hours": "3"}, {"opens_at": "0001-01-01T00:00"},
    {"opens_at": "2026-13-45T99:99"},
])
def test_out_of_range_claim_windows_are_refused_with_a_message(
        app: FastAPI, signed_in_client: Callable[..., TestClient], fields: dict[str, str]) -> None:
    client = signed_in_client(app)
    client._transport.raise_server_exceptions = False  # type: ignore[attr-defined]
    response = client.post(f"{EVENT}/reclamation/ouvrir", data=fields)
    assert response.status_code == 400
    assert "illisible" in response.text or "passée" in response.text


@pytest.mark.parametrize("path", [f"{EVENT}/presences/ajouter", "/reclamer/{token}"])
def test_empty_attendee_forms_are_refused_with_a_message(
        admin_app: tuple[FastAPI, IssuerService], signed_in_client: Callable[..., TestClient],
        path: str) -> None:
    from datetime import UTC, datetime, timedelta

    from issuer.workspace import claims, events

    app, service = admin_app
    now = datetime.now(UTC).replace(microsecond=0)
    token = claims.open_claim_window(service, events.get_event(
        service, "petit-dejeuner-inclusion-numerique", 10), opens_at=now,
        closes_at=now + timedelta(hours=1), actor="test")
    client = signed_in_client(app)
    client._transport.raise_server_exceptions = False  # type: ignore[attr-defined]
    for body in ({}, {"name": "", "email": "", "role": ""}, {"name": " ", "email": " "}):
        response = client.post(path.format(token=token), data=body)
        assert response.status_code == 400, body
        assert "Indiquez le nom" in response.text or "invalide" in response.text


def test_deeply_nested_json_is_refused_not_a_server_error(
        app: FastAPI, signed_in_client: Callable[..., TestClient]) -> None:
    client = signed_in_client(app)
    client._transport.raise_server_exceptions = False  # type: ignore[attr-defined]
    deep = nested_json(200_000).encode()
    imported = client.post("/admin/competences/importer",
                           files={"package": ("case.json", deep, "application/json")})
    assert imported.status_code == 400
    assert "niveaux" in imported.text
    slightly = nested_json(500).encode()
    assert client.post("/admin/competences/importer",
                       files={"package": ("case.json", slightly)}).status_code == 400
    for body in (deep, b'{"a":' * 100_000 + b"1" + b"}" * 100_000):
        verified = client.post("/api/v1/verify", content=body,
                               headers={"content-type": "application/json"})
        assert verified.status_code < 500


@pytest.mark.postgres
def test_no_server_error_on_postgresql(postgres_server: Any,
                                       admin_app_on: Callable[[str], tuple[FastAPI, IssuerService]],
                                       signed_in_client: Callable[..., TestClient]) -> None:
    """PostgreSQL is stricter than SQLite (32-bit `integer` columns, no NUL in text): the same
    requests, as a visitor and as a coordinator."""
    _name, url = postgres_server.create_database()
    app, _service = admin_app_on(url)
    visitor = TestClient(app, base_url=BASE_URL, follow_redirects=False,
                         raise_server_exceptions=False)
    check_every_route(visitor, routes_with_methods(app))
    coordinator = signed_in_client(app)
    coordinator._transport.raise_server_exceptions = False  # type: ignore[attr-defined]
    check_every_route(coordinator, [(m, p) for m, p in routes_with_methods(app)
                                    if p not in NOT_FOR_THE_COORDINATOR])
