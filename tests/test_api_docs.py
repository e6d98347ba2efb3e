"""/api/docs works under the site's own Content-Security-Policy, with no third-party script
(issue #10 item 7): a page rendered on the server from the OpenAPI document."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from issuer.issuance.service import IssuerService
from issuer.web.security import CONTENT_SECURITY_POLICY
from tests.plugins.admin import BASE_URL


class Resources(HTMLParser):
    """Every resource the page loads, every script, every inline style."""

    def __init__(self) -> None:
        super().__init__()
        self.loaded: list[tuple[str, str]] = []
        self.scripts = 0
        self.inline_styles = 0
        self.ids: set[str] = set()
        self.fragments: set[str] = set()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {name: value or "" for name, value in attrs}
        if tag == "script":
            self.scripts += 1
        if tag == "style" or "style" in values:
            self.inline_styles += 1
        if "src" in values:
            self.loaded.append((tag, values["src"]))
        if tag == "link":
            self.loaded.append((tag, values.get("href", "")))
        if "id" in values:
            self.ids.add(values["id"])
        if tag == "a" and values.get("href", "").startswith("#"):
            self.fragments.add(values["href"][1:])


@pytest.fixture
def client(admin_app: tuple[FastAPI, IssuerService]) -> TestClient:
    return TestClient(admin_app[0], base_url=BASE_URL)


def directive(policy: str, name: str) -> list[str]:
    for part in policy.split(";"):
        words = part.split()
        if words and words[0] == name:
            return words[1:]
    return []


def test_api_docs_is_a_page_with_every_operation_and_schema(client: TestClient) -> None:
    page = client.get("/api/docs")
    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    document = client.get("/api/openapi.json").json()
    for path, item in document["paths"].items():
        for method, operation in item.items():
            assert f"{method.upper()} {path}" in page.text
            for status in operation["responses"]:
                assert f"<code>{status}</code>" in page.text
    for name in document["components"]["schemas"]:
        assert f'id="schema-{name}"' in page.text
    assert "application/jwt" in page.text and "multipart/form-data" in page.text


def test_api_docs_loads_nothing_from_another_site_and_runs_no_script(client: TestClient) -> None:
    page = client.get("/api/docs")
    found = Resources()
    found.feed(page.text)
    assert found.scripts == 0
    assert found.inline_styles == 0
    assert found.loaded, "the page uses the site's stylesheet"
    for tag, address in found.loaded:
        assert address.startswith("/") and not address.startswith("//"), (tag, address)
    assert found.fragments <= found.ids, "every in-page link leads to an anchor of the page"


def test_the_site_policy_allows_what_the_page_uses(client: TestClient) -> None:
    page = client.get("/api/docs")
    policy = page.headers["content-security-policy"]
    assert policy == CONTENT_SECURITY_POLICY
    # Same-origin stylesheet and images only: exactly what 'self' allows; no inline script or
    # style is needed, so none is allowed.
    assert directive(policy, "style-src") == ["'self'"]
    assert directive(policy, "script-src") == ["'self'"]
    found = Resources()
    found.feed(page.text)
    for _tag, address in found.loaded:
        assert client.get(address).status_code == 200, address


def test_swagger_ui_and_its_cdn_are_gone(client: TestClient) -> None:
    page = client.get("/api/docs").text
    assert "cdn.jsdelivr.net" not in page and "swagger-ui" not in page
    assert client.get("/docs").status_code == 404
    assert client.get("/redoc").status_code == 404


@pytest.mark.browser
def test_api_docs_in_a_browser_breaks_no_policy_and_calls_no_other_site(phone_page: Any,
                                                                        live_server: Any) -> None:
    page = phone_page
    violations: list[str] = []
    elsewhere: list[str] = []
    page.on("console", lambda message: violations.append(message.text)
            if message.type == "error" else None)
    page.on("request", lambda request: elsewhere.append(request.url)
            if not request.url.startswith(live_server.base_url) else None)
    response = page.goto(live_server.base_url + "/api/docs")
    assert response is not None and response.status == 200
    assert "content-security-policy" in response.headers
    assert page.locator("h2", has_text=re.compile(r"^\s*POST /api/v1/verify\s*$")).count() == 1
    assert violations == [] and elsewhere == []
