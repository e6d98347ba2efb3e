"""Fixtures for the coordinator's workspace (/admin).

- `admin_app` -> (app, service): the web app on a fresh, initialised service in a temporary
  ISSUER_HOME (SQLite), base URL https://badges.example.org.
- `admin_app_on(database_url)` (a fixture returning a function): the same on the database of
  the `database_url` fixture (SQLite or PostgreSQL), e.g.
  `app, service = admin_app_on(database_url)`.
- `signed_in_client(app, role="coordinator", email=None) -> TestClient`: creates an account
  and signs in THROUGH THE REAL SIGN-IN FORM; the client talks HTTPS to the app (so it holds
  the `__Host-` Secure session cookie) and sends no Origin / Sec-Fetch-Site headers (like a
  script; a browser's same-origin POST passes the CSRF check too). The account is
  `client.admin_user` and its password `client.admin_password`.

Both build their service with `issuer_homes` (tests/plugins/factory.py): keys made once per
session, a migrated SQLite database copied, each test still in a home of its own.

Plain helpers for tests that need more control: `build_admin_app`, `create_account`,
`sign_in`, `fast_hasher` (Argon2id with tiny costs, so a test signing in ten times stays fast).
"""

from __future__ import annotations

import itertools
import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from argon2 import PasswordHasher
from fastapi import FastAPI
from fastapi.testclient import TestClient

from issuer.issuance.service import IssuerService
from issuer.settings import Settings
from issuer.storage.workspace_models import User
from issuer.web import create_app
from issuer.workspace.account_mail import sign_in_alerts_for
from issuer.workspace.accounts import Accounts
from tests.plugins.factory import IssuerHomes

BASE_URL = "https://badges.example.org"
DEFAULT_PASSWORD = "correct horse battery staple"
_numbers = itertools.count(1)


def fast_hasher() -> PasswordHasher:
    """Argon2id still (what the tests check), with costs fit for a test run only."""
    return PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)


def build_admin_app(home: Path, database_url: str | None = None, *,
                    homes: IssuerHomes | None = None, key_set: int = 0,
                    ) -> tuple[FastAPI, IssuerService]:
    """The app on an initialised service; with `homes`, made from the session's templates."""
    settings = Settings.load(home=home, base_url=BASE_URL, database_url=database_url)
    if homes is not None:
        service = homes.service(settings, key_set=key_set)
    else:
        service = IssuerService(settings)
        service.init()
    app = create_app(settings, service)
    app.state.accounts = Accounts(service.database, hasher=fast_hasher(),
                                  alert_owner=sign_in_alerts_for(service))
    return app, service


def accounts_of_app(app: FastAPI) -> Accounts:
    accounts: Accounts = app.state.accounts
    return accounts


def create_account(app: FastAPI, role: str = "coordinator", email: str | None = None,
                   password: str = DEFAULT_PASSWORD, name: str | None = None) -> User:
    number = next(_numbers)
    email = email or f"{role}-{number}@ville-roubaix.example"
    return accounts_of_app(app).create_user(email, name or f"{role.title()} {number}", password,
                                            role=role)


def sign_in(app: FastAPI, email: str, password: str = DEFAULT_PASSWORD, **client_options: Any) -> TestClient:
    """A client signed in through the sign-in form (fails the test if sign-in is refused)."""
    client = TestClient(app, base_url=BASE_URL, follow_redirects=False, **client_options)
    client.get("/admin/connexion")
    response = client.post("/admin/connexion", data={"email": email, "password": password,
                                                     "suivant": "/admin"})
    assert response.status_code == 303, f"sign-in refused ({response.status_code}): {response.text[:500]}"
    return client


@pytest.fixture
def admin_app(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
              issuer_homes: IssuerHomes) -> Iterator[tuple[FastAPI, IssuerService]]:
    _clean_environment(monkeypatch)
    app, service = build_admin_app(tmp_path / "home", homes=issuer_homes)
    yield app, service
    service.database.dispose()


@pytest.fixture
def admin_app_on(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, issuer_homes: IssuerHomes,
                 ) -> Iterator[Callable[[str], tuple[FastAPI, IssuerService]]]:
    _clean_environment(monkeypatch)
    services: list[IssuerService] = []

    def make(database_url: str) -> tuple[FastAPI, IssuerService]:
        app, service = build_admin_app(tmp_path / f"home-{len(services)}", database_url,
                                       homes=issuer_homes, key_set=len(services))
        services.append(service)
        return app, service

    yield make
    for service in services:
        service.database.dispose()


@pytest.fixture
def signed_in_client() -> Iterator[Callable[..., TestClient]]:
    clients: list[TestClient] = []

    def make(app: FastAPI, role: str = "coordinator", email: str | None = None) -> TestClient:
        user = create_account(app, role, email)
        client = sign_in(app, user.email)
        client.admin_user = user  # type: ignore[attr-defined]
        client.admin_password = DEFAULT_PASSWORD  # type: ignore[attr-defined]
        clients.append(client)
        return client

    yield make
    for client in clients:
        client.close()


def _clean_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for variable in [name for name in os.environ if name.startswith("ISSUER_")]:
        monkeypatch.delenv(variable)
    monkeypatch.delenv("DATABASE_URL", raising=False)
