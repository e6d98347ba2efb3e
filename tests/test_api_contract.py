"""What schemathesis found against the OpenAPI contract (issue #10 item 7), pinned: a 405
names the allowed methods in `Allow`, API errors have the documented ErrorOut shape, and a body
must be what its media type declares (a JWT sent as application/jwt, an object as JSON)."""

from __future__ import annotations

import jsonschema
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from issuer.issuance.service import IssuerService
from tests.plugins.admin import BASE_URL

VERIFY = "/api/v1/verify"


@pytest.fixture
def client(admin_app: tuple[FastAPI, IssuerService]) -> TestClient:
    return TestClient(admin_app[0], base_url=BASE_URL)


def error_schema(client: TestClient) -> dict:
    document = client.get("/api/openapi.json").json()
    return {"$ref": "#/components/schemas/ErrorOut", "components": document["components"]}


@pytest.mark.parametrize(("method", "path", "allowed"), [
    ("GET", VERIFY, {"POST", "OPTIONS"}),
    ("PUT", VERIFY, {"POST", "OPTIONS"}),
    ("DELETE", "/verifier", {"GET", "HEAD", "POST"}),
    ("POST", "/issuer", {"GET", "HEAD"}),
    ("PATCH", "/api/docs", {"GET", "HEAD"}),
])
def test_405_lists_every_allowed_method(client: TestClient, method: str, path: str,
                                        allowed: set[str]) -> None:
    response = client.request(method, path)
    assert response.status_code == 405
    assert {m.strip() for m in response.headers["allow"].split(",")} == allowed
    assert len(response.headers.get_list("allow")) == 1


def test_api_405_has_the_documented_error_shape(client: TestClient) -> None:
    response = client.get(VERIFY)
    assert response.headers["content-type"] == "application/json"
    jsonschema.validate(response.json(), error_schema(client))
    assert "405" in client.get("/api/openapi.json").json()["paths"][VERIFY]["post"]["responses"]


@pytest.mark.parametrize("media_type", ["application/jwt", "application/vc+jwt", "text/plain"])
@pytest.mark.parametrize("body", [b"{}", b'{"jwt": "x"}', b"not a token", b"a.b"])
def test_a_body_that_is_not_a_compact_jwt_is_refused_as_a_jwt(client: TestClient,
                                                              media_type: str,
                                                              body: bytes) -> None:
    response = client.post(VERIFY, content=body, headers={"content-type": media_type})
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "api.not_a_jwt"
    jsonschema.validate(response.json(), error_schema(client))


@pytest.mark.parametrize("body", [b"[]", b"42", b'"text"', b"null", b"[{}]"])
def test_a_json_body_that_is_not_an_object_is_refused(client: TestClient, body: bytes) -> None:
    response = client.post(VERIFY, content=body, headers={"content-type": "application/json"})
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "api.not_an_object"


def test_any_json_object_still_gets_a_report(client: TestClient) -> None:
    response = client.post(VERIFY, json={"name": "pas un badge"})
    assert response.status_code == 200
    assert response.json()["verdict"] == "invalid"
