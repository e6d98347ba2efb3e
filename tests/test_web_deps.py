"""The typed dependencies of issuer.web.deps, walked over the whole route table: every /admin
route names who may use it (`Coordinator` or `Administrator`) and refuses a coordinator when it
needs an administrator (a visitor without a session: tests/test_admin_auth.py);
every form of Mon espace (`Mediator`) sends a visitor without a session back to /espace; the
page routes keep Starlette's behaviour (HEAD, out of the OpenAPI document)."""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable
from typing import Any, get_args
from urllib.parse import urlsplit

import pytest
from fastapi import FastAPI
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Route

from issuer.issuance.service import IssuerService
from issuer.web.deps import Administrator, Coordinator, Mediator, page_routes
from tests.plugins.admin import BASE_URL
from tests.route_table import served_routes

# /admin pages that must open without a session (to get one, or to leave).
PUBLIC_ADMIN_ROUTES = {"admin_sign_in", "admin_sign_in_submit", "admin_sign_out",
                       "admin_invitation", "admin_invitation_submit"}
ADMINISTRATOR_PAGES = {"admin_accounts", "admin_accounts_invite", "admin_accounts_disable"}


def dependency_of(alias: Any) -> Callable[..., Any]:
    call: Callable[..., Any] = get_args(alias)[1].dependency
    return call


def page_routes_of(app: FastAPI) -> list[APIRoute]:
    return [route for route in served_routes(app)
            if isinstance(route, APIRoute) and not route.include_in_schema]


def guards(route: APIRoute) -> set[str]:
    calls = {dependency.call for dependency in route.dependant.dependencies}
    return {name for name, alias in (("coordinator", Coordinator),
                                     ("administrator", Administrator), ("mediator", Mediator))
            if dependency_of(alias) in calls}


def sample_path(route: APIRoute) -> str:
    """The route's path with each parameter filled in: a well-formed id (a UUID, or 1 where
    the route wants an integer) that names nothing."""

    def value(match: re.Match[str]) -> str:
        return "1" if match.group(2) in {"int", "dbint"} else str(uuid.uuid4())

    return re.sub(r"\{(\w+)(?::(\w+))?\}", value, route.path)


def requests_of(routes: list[APIRoute]) -> list[tuple[str, str, APIRoute]]:
    return [(method, sample_path(route), route) for route in routes
            for method in sorted(route.methods) if method != "HEAD"]


def is_sign_in_redirect(response: Any) -> bool:
    return (response.status_code == 303
            and urlsplit(response.headers["location"]).path == "/admin/connexion")


def admin_routes(app: FastAPI) -> list[APIRoute]:
    return [route for route in page_routes_of(app)
            if route.path == "/admin" or route.path.startswith("/admin/")]


def test_every_admin_route_names_the_role_it_needs(
        admin_app: tuple[FastAPI, IssuerService]) -> None:
    app, _service = admin_app
    routes = admin_routes(app)
    assert {route.name for route in routes} >= PUBLIC_ADMIN_ROUTES | ADMINISTRATOR_PAGES
    unguarded = [route.name for route in routes
                 if route.name not in PUBLIC_ADMIN_ROUTES
                 and guards(route) not in ({"coordinator"}, {"administrator"})]
    assert not unguarded, f"/admin routes without Coordinator or Administrator: {unguarded}"
    assert {route.name for route in routes if guards(route) == {"administrator"}} >= \
        ADMINISTRATOR_PAGES


def test_administrator_pages_refuse_a_coordinator_and_the_others_let_one_in(
        admin_app: tuple[FastAPI, IssuerService],
        signed_in_client: Callable[..., TestClient]) -> None:
    app, _service = admin_app
    coordinator = signed_in_client(app, role="coordinator")
    wrong = []
    for method, path, route in requests_of([r for r in admin_routes(app) if guards(r)]):
        response = coordinator.request(method, path, data={"x": "1"})
        refused = response.status_code == 403 or is_sign_in_redirect(response)
        if refused != (guards(route) == {"administrator"}):
            wrong.append((method, path, response.status_code))
    assert not wrong, f"wrong answer to a coordinator: {wrong}"
    # The same administrator pages open for an administrator.
    administrator = signed_in_client(app, role="administrator")
    assert administrator.get("/admin/comptes").status_code == 200


def test_every_form_of_mon_espace_sends_a_visitor_back_to_sign_in(
        admin_app: tuple[FastAPI, IssuerService]) -> None:
    app, _service = admin_app
    client = TestClient(app, base_url=BASE_URL, follow_redirects=False)
    routes = [route for route in page_routes_of(app) if guards(route) == {"mediator"}]
    assert {route.name for route in routes} >= {
        "mediator_profile", "mediator_leave", "mediator_endorse_submit", "mediator_withdraw"}
    answers = {(method, path): client.request(method, path, data={"comment": "Bravo"})
               for method, path, _route in requests_of(routes)}
    assert all(answer.status_code == 303 and answer.headers["location"] == "/espace"
               for answer in answers.values()), {
        key: answer.status_code for key, answer in answers.items()}


def test_a_malformed_badge_id_is_a_404_before_the_mediator_is_asked_for(
        admin_app: tuple[FastAPI, IssuerService]) -> None:
    app, _service = admin_app
    client = TestClient(app, base_url=BASE_URL, follow_redirects=False)
    assert client.post("/espace/recommander/not-a-uuid",
                       data={"comment": "Bravo"}).status_code == 404


def test_page_routes_answer_head_and_stay_out_of_the_api_document(
        admin_app: tuple[FastAPI, IssuerService]) -> None:
    app, _service = admin_app
    client = TestClient(app, base_url=BASE_URL, follow_redirects=False)
    assert client.head("/").status_code == 200
    assert is_sign_in_redirect(client.head("/admin"))
    documented = client.get("/api/openapi.json").json()["paths"]
    assert documented and all(path.startswith("/api/") for path in documented)


def test_a_page_handler_with_a_parameter_a_visitor_could_set_is_refused_at_start() -> None:
    def page(request: Request, status_code: int = 200) -> Response:
        return PlainTextResponse("", status_code=status_code)

    with pytest.raises(TypeError, match="takes the request and dependencies only"):
        page_routes([Route("/page", page)])
