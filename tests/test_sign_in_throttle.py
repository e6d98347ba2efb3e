"""Failed sign-ins slow the failing client down and cannot be turned against the account's
owner (issue #10 item 2): the rules (issuer.workspace.sign_in_throttle), the service on SQLite and
PostgreSQL (issuer.workspace.accounts), the owner's alert e-mail
(issuer.workspace.account_mail), the migration,
and the sign-in form served by uvicorn with `--proxy-headers` as `issuer serve` runs it.

Time never comes from the wall clock: the accounts run on a fake clock, and hashes are counted
on a real Argon2id hasher that counts its calls."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from pathlib import Path

import anyio
import httpx
import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from argon2 import PasswordHasher
from fastapi import FastAPI
from sqlalchemy import inspect, select, text

from issuer.cli.server import server_config
from issuer.issuance.service import IssuerService
from issuer.mail import deliver_pending, outbox_message
from issuer.settings import Settings
from issuer.storage.db import Database, alembic_config
from issuer.storage.models import AuditEntry, Base
from issuer.storage.workspace_models import EmailMessage, User
from issuer.workspace.account_mail import SIGN_IN_ALERT_KIND, sign_in_alerts_for
from issuer.workspace.accounts import Accounts, InvalidCredentials, SignInThrottled
from issuer.workspace.sign_in_throttle import (
    FailureCounts,
    ThrottlePolicy,
    client_key,
    delay_after,
    episode_open,
    wait_before_attempt,
)
from tests.plugins.admin import BASE_URL, build_admin_app
from tests.plugins.factory import ServiceFactory

PASSWORD = "un mot de passe assez long"
WRONG = "mauvais mot de passe"
OWNER = "cheffe@ville-roubaix.example"
ATTACKER = "203.0.113.66"
OWNER_ADDRESS = "198.51.100.20"
POLICY = ThrottlePolicy()


class FakeClock:
    def __init__(self) -> None:
        self.now = datetime(2025, 7, 11, 9, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


class CountingHasher(PasswordHasher):
    """Argon2id (cheap costs unless given), counting every verification and hash, and the
    most verifications seen running at once."""

    def __init__(self, **costs: int) -> None:
        super().__init__(**({"time_cost": 1, "memory_cost": 1024, "parallelism": 1} | costs))
        self._lock = threading.Lock()
        self.verifications = 0
        self.hashes = 0
        self.running = 0
        self.most_at_once = 0

    def verify(self, hash: str | bytes, password: str | bytes) -> bool:
        with self._lock:
            self.verifications += 1
            self.running += 1
            self.most_at_once = max(self.most_at_once, self.running)
        try:
            return super().verify(hash, password)
        finally:
            with self._lock:
                self.running -= 1

    def hash(self, password: str | bytes, *, salt: bytes | None = None) -> str:
        with self._lock:
            self.hashes += 1
        return super().hash(password, salt=salt)

    @property
    def argon2_calls(self) -> int:
        return self.verifications + self.hashes


# --- the rules -------------------------------------------------------------------------------

def test_delays_double_after_the_free_failures_up_to_fifteen_minutes() -> None:
    delays = [delay_after(n, attacked=False, policy=POLICY).total_seconds() for n in range(1, 12)]
    assert delays == [0, 0, 0, 0, 30, 60, 120, 240, 480, 900, 900]


def test_under_attack_a_client_that_failed_once_waits_and_a_clean_client_never_does() -> None:
    now = datetime(2025, 7, 11, 9, 0, tzinfo=UTC)
    attacked = FailureCounts(pair_failures=1, pair_last_failure_at=now, client_failures=1,
                             client_oldest_failure_at=now, account_failures=500)
    wait = wait_before_attempt(attacked, now, POLICY)
    assert wait is not None and (wait.seconds, wait.reason) == (30, "account_client")
    clean = FailureCounts(pair_failures=0, pair_last_failure_at=None, client_failures=0,
                          client_oldest_failure_at=None, account_failures=500)
    assert wait_before_attempt(clean, now, POLICY) is None


def test_a_client_failing_on_many_accounts_waits_for_its_oldest_failure_to_expire() -> None:
    now = datetime(2025, 7, 11, 9, 0, tzinfo=UTC)
    spraying = FailureCounts(pair_failures=0, pair_last_failure_at=None, client_failures=30,
                             client_oldest_failure_at=now - timedelta(minutes=10),
                             account_failures=0)
    wait = wait_before_attempt(spraying, now, POLICY)
    assert wait is not None and (wait.seconds, wait.reason) == (300, "client")


@pytest.mark.parametrize(("origin", "key"), [
    ("192.0.2.10", "192.0.2.10"),
    ("::ffff:192.0.2.10", "192.0.2.10"),
    ("2001:db8:1:2:aaaa::1", "2001:db8:1:2::/64"),
    ("2001:db8:1:2:bbbb::9", "2001:db8:1:2::/64"),
    ("testclient", "testclient"),
    (None, "unknown"),
])
def test_a_client_is_its_address_or_its_ipv6_slash_64(origin: str | None, key: str) -> None:
    assert client_key(origin) == key


def test_an_episode_ends_after_a_quiet_day() -> None:
    start = datetime(2025, 7, 11, 9, 0, tzinfo=UTC)
    assert episode_open(start, start + timedelta(hours=30), start + timedelta(hours=50), POLICY)
    assert not episode_open(start, start + timedelta(hours=30), start + timedelta(hours=54), POLICY)
    assert not episode_open(None, start, start, POLICY)


# --- the service, on SQLite and PostgreSQL -----------------------------------------------------

@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def service(database_url: str, tmp_path: Path,
            service_factory: ServiceFactory) -> IssuerService:
    """A service of its own on SQLite or PostgreSQL; e-mails go to its outbox folder."""
    return service_factory(Settings(home=tmp_path / "home", base_url=BASE_URL,
                                   database_url=database_url, key_passphrase=None,
                                   identity_secret=None, smtp_host=None))


@pytest.fixture
def hasher() -> CountingHasher:
    return CountingHasher()


@pytest.fixture
def accounts(service: IssuerService, clock: FakeClock, hasher: CountingHasher) -> Accounts:
    accounts = Accounts(service.database, clock=clock, hasher=hasher,
                        alert_owner=sign_in_alerts_for(service))
    accounts.create_administrator(OWNER, "La Cheffe", PASSWORD)
    return accounts


def _fail(accounts: Accounts, origin: str, email: str = OWNER) -> str:
    """One wrong password; which refusal it met."""
    try:
        accounts.authenticate(email, WRONG, origin)
    except InvalidCredentials:
        return "failed"
    except SignInThrottled:
        return "throttled"
    raise AssertionError("a wrong password signed in")


def _actions(service: IssuerService, prefix: str = "login.") -> list[str]:
    with service.database.session(read_only=True) as session:
        return list(session.scalars(select(AuditEntry.action).where(
            AuditEntry.action.like(f"{prefix}%")).order_by(AuditEntry.id)))


def _alerts(service: IssuerService) -> list[EmailMessage]:
    with service.database.session(read_only=True) as session:
        return list(session.scalars(select(EmailMessage).where(
            EmailMessage.kind == SIGN_IN_ALERT_KIND).order_by(EmailMessage.created_at)))


def test_an_attacker_at_one_address_never_keeps_the_owner_out(
        accounts: Accounts, service: IssuerService, clock: FakeClock) -> None:
    outcomes = [_fail(accounts, ATTACKER) for _ in range(50)]
    assert outcomes == ["failed"] * 5 + ["throttled"] * 45
    for _ in range(20):  # a patient attacker, hours long: still only slowed down
        clock.advance(minutes=15)
        assert _fail(accounts, ATTACKER) == "failed"
    user = accounts.authenticate(OWNER, PASSWORD, OWNER_ADDRESS)
    assert user.email == OWNER
    with service.database.session(read_only=True) as session:
        [line] = session.scalars(select(AuditEntry).where(AuditEntry.action == "login.succeeded"))
    assert (line.subject, line.origin) == (user.id, OWNER_ADDRESS)


def test_a_throttled_attempt_costs_no_argon2_hash(accounts: Accounts,
                                                  hasher: CountingHasher) -> None:
    before = hasher.argon2_calls
    for _ in range(5):
        assert _fail(accounts, ATTACKER) == "failed"
    assert hasher.argon2_calls == before + 5
    for _ in range(200):
        with pytest.raises(SignInThrottled):
            accounts.authenticate(OWNER, PASSWORD, ATTACKER)  # even the right password
    assert hasher.argon2_calls == before + 5


def test_an_unknown_address_is_throttled_the_same_way_and_alerts_nobody(
        accounts: Accounts, service: IssuerService, hasher: CountingHasher) -> None:
    before = hasher.argon2_calls
    outcomes = [_fail(accounts, ATTACKER, "personne@ville-roubaix.example") for _ in range(8)]
    assert outcomes == ["failed"] * 5 + ["throttled"] * 3
    assert hasher.argon2_calls == before + 5  # the dummy hash, as for an account
    assert _alerts(service) == []


def test_during_a_distributed_attack_failing_clients_wait_and_a_clean_client_does_not(
        accounts: Accounts, hasher: CountingHasher) -> None:
    bots = [f"203.0.113.{number}" for number in range(1, 11)]
    assert [_fail(accounts, bot) for bot in bots] == ["failed"] * 10
    # Ten failures on the account within the hour: a bot that failed once now waits.
    with pytest.raises(SignInThrottled) as throttled:
        accounts.authenticate(OWNER, WRONG, bots[0])
    assert throttled.value.retry_after == 30
    before = hasher.argon2_calls
    assert accounts.authenticate(OWNER, PASSWORD, OWNER_ADDRESS).email == OWNER
    assert hasher.argon2_calls == before + 1


def test_one_client_failing_on_many_accounts_is_held_back_whatever_the_account(
        accounts: Accounts, hasher: CountingHasher) -> None:
    outcomes = [_fail(accounts, ATTACKER, f"essai{number}@ville-roubaix.example")
                for number in range(31)]
    assert outcomes == ["failed"] * 30 + ["throttled"]
    with pytest.raises(SignInThrottled) as refused:
        accounts.authenticate(OWNER, PASSWORD, ATTACKER)
    assert refused.value.code == "account.too_many_attempts"
    assert accounts.authenticate(OWNER, PASSWORD, OWNER_ADDRESS).email == OWNER


def test_refusals_are_audited_once_per_wait_not_once_per_request(
        accounts: Accounts, service: IssuerService, clock: FakeClock) -> None:
    for _ in range(5):
        _fail(accounts, ATTACKER)
    for _ in range(30):
        assert _fail(accounts, ATTACKER) == "throttled"
    clock.advance(seconds=30)
    assert _fail(accounts, ATTACKER) == "failed"
    for _ in range(30):
        assert _fail(accounts, ATTACKER) == "throttled"
    assert _actions(service) == (["login.failed"] * 5 + ["login.owner_alerted"]
                                 + ["login.throttled", "login.failed", "login.throttled"])
    with service.database.session(read_only=True) as session:
        throttled = list(session.scalars(select(AuditEntry).where(
            AuditEntry.action == "login.throttled")))
    assert [(line.origin, line.details["reason"], line.details["wait_seconds"])
            for line in throttled] == [(ATTACKER, "account_client", 30),
                                       (ATTACKER, "account_client", 60)]


def test_the_owner_is_told_once_per_episode_in_french_then_english(
        accounts: Accounts, service: IssuerService, clock: FakeClock) -> None:
    for _ in range(5):
        _fail(accounts, ATTACKER)
    [alert] = _alerts(service)
    assert alert.to_address == OWNER
    # The attack goes on for hours from many addresses: no second e-mail.
    for hour in range(10):
        clock.advance(hours=1)
        for bot in range(3):
            _fail(accounts, f"192.0.2.{hour * 3 + bot + 1}")
    assert len(_alerts(service)) == 1
    # A quiet day ends the episode; the next run of failures is a new one.
    clock.advance(hours=24, seconds=1)
    for _ in range(5):
        _fail(accounts, "192.0.2.200")
    assert len(_alerts(service)) == 2
    assert _actions(service, "login.owner_alerted") == ["login.owner_alerted"] * 2

    report = deliver_pending(service)
    assert len(report.outbox) == 2
    _row, message = outbox_message(service, alert.id)
    assert str(message["To"]) == f"La Cheffe <{OWNER}>"
    assert str(message["Subject"]) == ("Échecs de connexion à votre compte de l'espace de travail"
                                       " / Failed sign-ins to your workspace account")
    body = message.get_body(("plain",))
    assert body is not None
    plain = body.get_content()
    french = plain.index("Votre compte n'est pas bloqué")
    english = plain.index("Your account is not locked")
    assert french < english
    assert ATTACKER in plain and "5" in plain
    assert f"{BASE_URL}/admin\n" in plain  # the workspace, and no link that signs anyone in
    assert "/admin/invitation" not in plain and "token" not in plain


def test_concurrent_attempts_of_one_client_are_counted_one_after_another(
        accounts: Accounts, hasher: CountingHasher) -> None:
    """Twenty wrong passwords at once from one address: charged before hashing, under the
    throttle rows' lock, so exactly the five free failures reach Argon2 (PostgreSQL too)."""
    before = hasher.verifications
    with ThreadPoolExecutor(max_workers=10) as pool:
        outcomes = list(pool.map(lambda _n: _fail(accounts, ATTACKER), range(20)))
    assert sorted(outcomes) == ["failed"] * 5 + ["throttled"] * 15
    assert hasher.verifications == before + 5


# --- the migration -----------------------------------------------------------------------------

def test_upgrading_a_database_in_use_keeps_the_accounts_and_drops_the_lock(
        database_url: str) -> None:
    database = Database(database_url)
    config = alembic_config()
    try:
        with database.engine.begin() as connection:
            config.attributes["connection"] = connection
            command.upgrade(config, "0007")
        with database.engine.begin() as connection:
            connection.execute(text(
                "INSERT INTO users (id, email, display_name, role, password_hash, failed_logins,"
                " locked_until, created_at) VALUES ('u1', 'cheffe@ville-roubaix.example',"
                " 'Cheffe', 'administrator', 'x', 4, CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)"))
            connection.execute(text(
                "INSERT INTO user_sessions (token_hash, user_id, created_at, last_seen_at,"
                " expires_at) VALUES ('t1', 'u1', CURRENT_TIMESTAMP, CURRENT_TIMESTAMP,"
                " CURRENT_TIMESTAMP)"))
        database.migrate()
        with database.session(read_only=True) as session:
            user = session.get(User, "u1")
            assert user is not None and user.sign_in_alert_at is None
        with database.engine.connect() as connection:
            columns = {column["name"] for column in inspect(connection).get_columns("users")}
        assert {"failed_logins", "locked_until"}.isdisjoint(columns)
        with database.engine.begin() as connection:
            config.attributes["connection"] = connection
            command.downgrade(config, "0007")
        with database.engine.connect() as connection:
            assert connection.execute(text("SELECT failed_logins FROM users")).scalar() == 0
        database.migrate()
        with database.engine.connect() as connection:
            context = MigrationContext.configure(connection, opts={"compare_type": True})
            assert compare_metadata(context, Base.metadata) == []
    finally:
        database.dispose()


# --- the sign-in form behind the reverse proxy ---------------------------------------------------

def _serve(app: FastAPI) -> Iterator[str]:
    """The app served as `issuer serve --proxy-headers` serves it, on a loopback port."""
    import uvicorn

    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    config = server_config(app, port=sock.getsockname()[1], proxy_headers=True,
                           log_level="warning")
    config.lifespan = "off"
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 15
    while not server.started:
        assert thread.is_alive() and time.monotonic() < deadline, "server did not start"
        time.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{sock.getsockname()[1]}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        sock.close()


@pytest.fixture
def proxied(tmp_path: Path, monkeypatch: pytest.MonkeyPatch
            ) -> Iterator[tuple[str, IssuerService, FakeClock, CountingHasher]]:
    for variable in ("ISSUER_DATABASE_URL", "DATABASE_URL", "ISSUER_SETTINGS_FILE",
                     "ISSUER_SMTP_HOST"):
        monkeypatch.delenv(variable, raising=False)
    app, service = build_admin_app(tmp_path / "home")
    clock, hasher = FakeClock(), CountingHasher()
    app.state.accounts = Accounts(service.database, clock=clock, hasher=hasher,
                                  alert_owner=sign_in_alerts_for(service))
    app.state.accounts.create_administrator(OWNER, "La Cheffe", PASSWORD)
    try:
        for base_url in _serve(app):
            yield base_url, service, clock, hasher
    finally:
        service.database.dispose()


def _post(base_url: str, forwarded_for: str, password: str) -> httpx.Response:
    return httpx.post(f"{base_url}/admin/connexion", headers={"x-forwarded-for": forwarded_for},
                      data={"email": OWNER, "password": password, "suivant": "/admin"},
                      follow_redirects=False)


def _wait_for_outbox(service: IssuerService) -> EmailMessage:
    """The alert once in the outbox (it leaves in a background task, after the page)."""
    deadline = time.monotonic() + 10
    while True:
        rows = [row for row in _alerts(service) if row.status == "outbox"]
        if rows:
            [row] = rows
            return row
        assert time.monotonic() < deadline, "no alert in the outbox"
        time.sleep(0.05)


def test_behind_the_proxy_an_attacker_failing_at_x_leaves_the_owner_at_y_signing_in(
        proxied: tuple[str, IssuerService, FakeClock, CountingHasher]) -> None:
    base_url, service, _clock, hasher = proxied
    before = hasher.argon2_calls
    statuses = [_post(base_url, ATTACKER, WRONG).status_code for _ in range(12)]
    assert statuses == [401] * 5 + [429] * 7
    assert hasher.argon2_calls == before + 5
    # The proxy forwards the visitor's address: the owner is another client, at once let in.
    signed_in = _post(base_url, OWNER_ADDRESS, PASSWORD)
    assert signed_in.status_code == 303 and signed_in.headers["location"] == "/admin"
    dashboard = httpx.get(f"{base_url}/admin", cookies=signed_in.cookies,
                          headers={"x-forwarded-for": OWNER_ADDRESS}, follow_redirects=False)
    assert dashboard.status_code == 200
    # The attacker, meanwhile, still waits, even with the right password, and cannot pass for
    # another address: nginx appends the real peer to a forged X-Forwarded-For
    # ($proxy_add_x_forwarded_for, docs/DEPLOYMENT.md) and uvicorn believes only that one.
    throttled = _post(base_url, ATTACKER, PASSWORD)
    assert throttled.status_code == 429 and int(throttled.headers["retry-after"]) == 30
    forged = _post(base_url, f"{OWNER_ADDRESS}, {ATTACKER}", WRONG)
    assert forged.status_code == 429
    assert hasher.argon2_calls == before + 6

    alert = _wait_for_outbox(service)
    _row, message = outbox_message(service, alert.id)
    body = message.get_body(("plain",))
    assert body is not None and ATTACKER in body.get_content()
    with service.database.session(read_only=True) as session:
        lines = list(session.scalars(select(AuditEntry).where(
            AuditEntry.action.like("login.%")).order_by(AuditEntry.id)))
    assert [(line.action, line.origin) for line in lines] == (
        [("login.failed", ATTACKER)] * 5 + [("login.owner_alerted", ATTACKER),
                                            ("login.throttled", ATTACKER),
                                            ("login.succeeded", OWNER_ADDRESS)])


def test_behind_the_proxy_each_visitor_is_counted_and_audited_by_its_own_address(
        proxied: tuple[str, IssuerService, FakeClock, CountingHasher]) -> None:
    """The proxy on this machine (127.0.0.1, the only peer `--proxy-headers` trusts) forwards
    three visitors: three clients, none held back by the others."""
    base_url, service, _clock, _hasher = proxied
    for number in range(3):
        assert _post(base_url, f"192.0.2.{number}", WRONG).status_code == 401
    with service.database.session(read_only=True) as session:
        origins = list(session.scalars(select(AuditEntry.origin).where(
            AuditEntry.action == "login.failed").order_by(AuditEntry.id)))
    assert origins == ["192.0.2.0", "192.0.2.1", "192.0.2.2"]


def test_concurrent_first_attempts_hash_no_more_than_the_limiter_allows(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Twelve first attempts from twelve clients at once, with a hash heavy enough to overlap:
    never more than the app's limiter's tokens hash at the same time."""
    for variable in ("ISSUER_DATABASE_URL", "DATABASE_URL", "ISSUER_SETTINGS_FILE"):
        monkeypatch.delenv(variable, raising=False)
    app, service = build_admin_app(tmp_path / "home")
    hasher = CountingHasher(time_cost=2, memory_cost=16 * 1024, parallelism=1)
    app.state.accounts = Accounts(service.database, hasher=hasher)
    app.state.accounts.create_administrator(OWNER, "La Cheffe", PASSWORD)
    app.state.sign_in_hash_limiter = anyio.CapacityLimiter(1)
    try:
        for base_url in _serve(app):
            def first_attempt(number: int, base_url: str = base_url) -> int:
                return _post(base_url, f"192.0.2.{number}", WRONG).status_code

            with ThreadPoolExecutor(max_workers=12) as pool:
                statuses = list(pool.map(first_attempt, range(12)))
            assert statuses == [401] * 12
            assert hasher.verifications == 12 and hasher.most_at_once == 1
    finally:
        service.database.dispose()
