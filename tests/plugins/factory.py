"""One factory for initialised issuers: keys made once per session, migrated databases copied.

`IssuerService.init()` on a new home generates an Ed25519 and an RSA-2048 key, runs every
Alembic migration and fills the catalogue: seconds per test on a loaded machine. Instead:

- `issuer_homes` (session): an `IssuerHomes`. `issuer_homes.service(settings)` returns an
  `IssuerService` on `settings.home` that is exactly what `init()` would leave there: for each
  distinct set of settings (apart from the home and the database URL) it builds, once per
  session, a template home with the real `init()`, then copies that home's `keys/` folder and
  SQLite file into the test's home. Each test still gets its own home and database file.
  With a PostgreSQL `database_url` (a new, empty database of the test's own), the test's
  database is recreated from a template database that the real `init()` filled once.
- `service_factory` (function): `service_factory(settings)` is `issuer_homes.service` for one test,
  and disposes each service's database at the end. The first service of a test gets the
  session's key set 0, the second key set 1, and so on: two issuers in one test never share
  keys (a credential of one must not verify as the other's), while every test reuses the same
  few keys.

A home that already holds keys or a database is left as it is and simply initialised (the real
`init()`), as is any home while the environment names keys (ISSUER_*_PRIVATE_KEY) or a
catalogue folder (ISSUER_CATALOGUE_DIR).
"""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import psycopg
import pytest
from sqlalchemy.engine import URL, make_url

from issuer.issuance.service import IDENTITY_SECRET_FILE, IssuerService
from issuer.settings import Settings
from issuer.storage.audit_log import record_audit

ServiceFactory = Callable[[Settings], IssuerService]
# The settings init() writes from: the keys' passphrase, the identity secret, the issuer's DID
# (base URL, DID method) and profile in the catalogue's achievements. Mail, fetch and retention
# settings (an SMTP port differs in every mail test) share one template.
_INIT_INPUTS = {"base_url", "did_method", "key_passphrase", "identity_secret",
                *(name for name in Settings.model_fields if name.startswith("profile_"))}
# Read from the environment, not from the settings: a home made under one of these is made by
# the real init() (keys from the environment; a catalogue folder a test may edit in place).
_ENVIRONMENT_INPUTS = ("ISSUER_ED25519_PRIVATE_KEY", "ISSUER_RSA_PRIVATE_KEY",
                       "ISSUER_CATALOGUE_DIR")


class IssuerHomes:
    """Template homes (keys + initialised SQLite database), built once per session."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self._templates: dict[tuple[str, int], Path] = {}
        self._postgres_templates: dict[tuple[str, Path], str] = {}

    def service(self, settings: Settings, *, key_set: int = 0) -> IssuerService:
        """An initialised `IssuerService` on `settings` (see the module docstring)."""
        database_file = _sqlite_file(settings)
        if not self._can_seed(settings, database_file):
            service = IssuerService(settings)
            service.init()
            return service
        template = self._template(settings, key_set)
        settings.home.mkdir(parents=True, exist_ok=True)
        shutil.copytree(template / "keys", settings.keys_dir)
        if database_file is None:
            service = IssuerService(settings)
            if not self._postgres_from_template(settings, template):
                service.init()  # a database in use already: the real init() on it
            return service
        settings.var_dir.mkdir(parents=True, exist_ok=True)
        database_file.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(template / "var" / "issuer.sqlite3", database_file)
        return IssuerService(settings)

    def _can_seed(self, settings: Settings, database_file: Path | None) -> bool:
        if any(os.environ.get(variable) for variable in _ENVIRONMENT_INPUTS):
            return False
        if settings.keys_dir.exists() and any(settings.keys_dir.iterdir()):
            return False
        if database_file is not None and database_file.exists():
            return False
        return database_file is not None or settings.sqlalchemy_url.startswith("postgresql")

    def _template(self, settings: Settings, key_set: int) -> Path:
        """The home `init()` makes for these settings, with key set `key_set`."""
        shape = json.dumps(settings.model_dump(mode="json", include=_INIT_INPUTS),
                           sort_keys=True, default=str)
        found = self._templates.get((shape, key_set))
        if found is not None:
            return found
        home = self.root / f"template-{len(self._templates)}"
        keys = self._keys(key_set, settings.key_passphrase)
        home.mkdir(parents=True)
        shutil.copytree(keys, home / "keys")
        if settings.identity_secret:  # init() writes no identity secret file then
            (home / "keys" / IDENTITY_SECRET_FILE).unlink()
        service = IssuerService(settings.model_copy(update={"home": home, "database_url": None}))
        assert service.init() == [], "the copied keys are the active ones"
        _record_keys_created(service)
        service.database.dispose()
        _checkpoint(home / "var" / "issuer.sqlite3")
        self._templates[(shape, key_set)] = home
        return home

    def _postgres_from_template(self, settings: Settings, template: Path) -> bool:
        """Replace the test's new, empty PostgreSQL database by a copy of a template database
        that `init()` made once for this template home (CREATE DATABASE ... TEMPLATE)."""
        url = make_url(settings.sqlalchemy_url)
        with psycopg.connect(**_libpq(url)) as connection:
            tables = connection.execute(
                "SELECT count(*) FROM pg_tables WHERE schemaname = 'public'").fetchone()
        if tables is None or tables[0]:
            return False
        server = url.render_as_string(hide_password=False).rsplit("/", 1)[0]
        with psycopg.connect(**_libpq(url.set(database="postgres")), autocommit=True) as admin:
            name = self._postgres_templates.get((server, template))
            if name is None:
                name = f"issuer_template_{len(self._postgres_templates)}"
                admin.execute(f'CREATE DATABASE "{name}" TEMPLATE template0')
                made = IssuerService(settings.model_copy(update={
                    "home": template,
                    "database_url": url.set(database=name).render_as_string(hide_password=False)}))
                assert made.init() == [], "the template home's keys are the active ones"
                _record_keys_created(made)
                made.database.dispose()
                self._postgres_templates[(server, template)] = name
            admin.execute(f'DROP DATABASE "{url.database}" WITH (FORCE)')
            admin.execute(f'CREATE DATABASE "{url.database}" TEMPLATE "{name}" STRATEGY FILE_COPY')
        return True

    def _keys(self, key_set: int, passphrase: str | None) -> Path:
        """A keys/ folder as `init()` fills it (keys and identity secret), once per session."""
        shape = json.dumps({"keys": key_set, "passphrase": passphrase})
        found = self._templates.get((shape, -1))
        if found is not None:
            return found / "keys"
        home = self.root / f"keys-{key_set}-{len(self._templates)}"
        settings = Settings(home=home, base_url="https://keys.example.org", database_url=None,
                            key_passphrase=passphrase)
        service = IssuerService(settings)
        service.keystore.ensure_keys()
        service.derived_secret("template")  # writes the identity secret file
        service.database.dispose()
        self._templates[(shape, -1)] = home
        return home / "keys"


def _record_keys_created(service: IssuerService) -> None:
    """What init() records when it creates the keys (here made once, then copied)."""
    with service.database.session() as session:
        record_audit(session, actor="cli", action="keys.created", subject=service.issuer_did,
                     details={"kids": [key.kid for key in service.keystore.keys()]})


def _libpq(url: URL) -> dict[str, Any]:
    return {"host": url.host, "port": url.port, "user": url.username,
            "password": url.password, "dbname": url.database}


def _sqlite_file(settings: Settings) -> Path | None:
    url = make_url(settings.sqlalchemy_url)
    if url.get_backend_name() != "sqlite" or not url.database or url.database == ":memory:":
        return None
    return Path(url.database)


def _checkpoint(path: Path) -> None:
    """Fold the write-ahead log into the file, so that copying the file alone copies it all."""
    connection = sqlite3.connect(path)
    try:
        connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    finally:
        connection.close()


@pytest.fixture(scope="session")
def issuer_homes(tmp_path_factory: pytest.TempPathFactory) -> IssuerHomes:
    return IssuerHomes(tmp_path_factory.mktemp("issuer-homes"))


@pytest.fixture
def service_factory(issuer_homes: IssuerHomes) -> Iterator[ServiceFactory]:
    services: list[IssuerService] = []

    def make(settings: Settings) -> IssuerService:
        service = issuer_homes.service(settings, key_set=len(services))
        services.append(service)
        return service

    yield make
    for service in services:
        service.database.dispose()
