"""Limits that hold across processes (issue 14 item 1): the request limiter counted in
PostgreSQL (`issuer.issuance.rate_limits.DatabaseRateLimiter`), two limiters standing for two
processes on one database; the in-memory one on SQLite; and the sign-in link limits of
"Mon espace" counted exactly when requests race on PostgreSQL; `issuer serve --workers` refused
on SQLite."""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import func, insert, select, text

from issuer.cli.main import main as cli_main
from issuer.issuance.rate_limits import (
    DatabaseRateLimiter,
    RateLimiter,
    shared_rate_limiter,
)
from issuer.issuance.service import IssuerService
from issuer.network.mediators.errors import TooManyRequests
from issuer.network.mediators.sign_in import POLICY, record_sign_in_request
from issuer.settings import Settings
from issuer.storage.db import Database, sqlite_url
from issuer.storage.rate_limit_models import RateLimitWindow
from tests.plugins.factory import ServiceFactory
from tests.plugins.postgres import PostgresServer


@pytest.fixture
def postgres(postgres_server: PostgresServer) -> Iterator[Database]:
    name, url = postgres_server.create_database("limits")
    database = Database(url)
    database.migrate()
    yield database
    database.dispose()
    postgres_server.drop_database(name)


def in_threads(count: int, work: Callable[[int], None]) -> None:
    threads = [threading.Thread(target=work, args=(number,)) for number in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)


@pytest.mark.postgres
def test_two_processes_limiters_on_one_database_share_one_budget(postgres: Database) -> None:
    # Two limiters with their own engines: what two workers or hosts hold.
    other = Database(postgres.url)
    limiters = [DatabaseRateLimiter(postgres, "verification", limit=30, window=60),
                DatabaseRateLimiter(other, "verification", limit=30, window=60)]
    outcomes: list[float | None] = []
    lock = threading.Lock()

    def hammer(number: int) -> None:
        for _ in range(10):
            wait = limiters[number % 2].hit("203.0.113.7")
            with lock:
                outcomes.append(wait)

    try:
        in_threads(8, hammer)
    finally:
        other.dispose()
    assert len(outcomes) == 80
    assert outcomes.count(None) == 30  # exactly the limit, whatever the interleaving
    # The window is full: past its end, until it weighs little enough on the next one (a
    # sliding window): at most a thirtieth of the next minute more.
    assert all(0 < wait <= 60 + 2 for wait in outcomes if wait is not None)


@pytest.mark.postgres
def test_each_client_and_each_door_has_its_own_budget(postgres: Database) -> None:
    verification = DatabaseRateLimiter(postgres, "verification", limit=2, window=60)
    wallet = DatabaseRateLimiter(postgres, "wallet_page", limit=2, window=60)
    assert [verification.hit("a"), verification.hit("a")] == [None, None]
    assert verification.hit("a") is not None
    assert verification.hit("b") is None
    assert wallet.hit("a") is None


@pytest.mark.postgres
def test_counters_of_past_windows_are_swept(postgres: Database) -> None:
    with postgres.engine.begin() as connection:
        connection.execute(insert(RateLimitWindow), [
            {"bucket": "verification", "client": f"old-{n}", "window_start": 60 * n, "hits": 1}
            for n in range(500)])
    limiter = DatabaseRateLimiter(postgres, "verification", limit=5, window=60)
    assert limiter.hit("new") is None  # the first hit of a process sweeps
    with postgres.engine.connect() as connection:
        left = connection.execute(select(RateLimitWindow.client)).scalars().all()
    assert left == ["new"]


def _database_clock(database: Database) -> float:
    with database.engine.connect() as connection:
        return float(connection.execute(text(
            "SELECT extract(epoch FROM clock_timestamp())")).scalar_one())


@pytest.mark.postgres
def test_the_previous_window_still_counts_for_the_share_it_covers(postgres: Database) -> None:
    """A sliding window: a client that spent its budget at the end of one window gets back
    only what the sliding window no longer covers, not a whole new budget (a fixed window let
    it send twice the limit in a few seconds); Retry-After says when one more is accepted."""
    limit, seconds = 10, 60
    now = _database_clock(postgres)
    if seconds - now % seconds < 5:  # not across a boundary while counting
        time.sleep(seconds - now % seconds + 0.5)
        now = _database_clock(postgres)
    start = int(now // seconds) * seconds
    with postgres.engine.begin() as connection:
        connection.execute(insert(RateLimitWindow), [{
            "bucket": "verification", "client": "203.0.113.5",
            "window_start": start - seconds, "hits": limit}])
    limiter = DatabaseRateLimiter(postgres, "verification", limit=limit, window=seconds)
    accepted, wait = 0, None
    while wait is None and accepted <= limit:
        wait = limiter.hit("203.0.113.5")
        accepted += wait is None
    after = _database_clock(postgres)
    covered_start = 1 - (now - start) / seconds    # share of the previous window still covered
    covered_end = 1 - (after - start) / seconds
    # The k-th request is accepted while k + limit × covered <= limit.
    assert int(limit * (1 - covered_start)) <= accepted <= int(limit * (1 - covered_end))
    assert accepted < limit
    assert wait is not None
    expected = seconds * (1 - (limit - 1 - accepted) / limit) - (after - start)
    assert abs(wait - max(expected, 0)) < 1.0
    # Another client, no earlier window: the whole budget.
    assert [limiter.hit("203.0.113.6") for _ in range(limit)] == [None] * limit
    refused = limiter.hit("203.0.113.6")
    assert refused is not None and 0 < refused <= 2 * seconds


def test_on_sqlite_the_limit_is_kept_in_the_one_process(tmp_path: Path) -> None:
    database = Database(sqlite_url(tmp_path / "issuer.sqlite3"))
    try:
        assert not database.shared_by_processes
        assert isinstance(shared_rate_limiter(database, "verification"), RateLimiter)
    finally:
        database.dispose()


@pytest.mark.postgres
def test_shared_limiter_is_the_database_one_on_postgresql(postgres: Database) -> None:
    assert postgres.shared_by_processes
    assert isinstance(shared_rate_limiter(postgres, "verification"), DatabaseRateLimiter)


@pytest.mark.postgres
def test_racing_sign_in_link_requests_are_counted_exactly(
        postgres_server: PostgresServer, tmp_path: Path, service_factory: ServiceFactory) -> None:
    name, url = postgres_server.create_database("sign_in")
    service: IssuerService = service_factory(Settings.load(
        home=tmp_path, base_url="https://badges.example.org", database_url=url))
    accepted: list[int] = []
    refused: list[int] = []
    lock = threading.Lock()

    def ask(number: int) -> None:
        try:
            # Different clients, one address: only the per-address limit applies.
            record_sign_in_request(service, "mediatrice@example.org",
                                   origin=f"198.51.100.{number}")
        except TooManyRequests:
            with lock:
                refused.append(number)
        else:
            with lock:
                accepted.append(number)

    try:
        in_threads(12, ask)
        assert len(accepted) == POLICY.max_requests_per_address and len(refused) == 9
        from issuer.storage.mediator_models import MediatorSignInRequest
        with service.database.session(read_only=True) as session:
            assert session.scalar(select(func.count()).select_from(MediatorSignInRequest)) == 3
    finally:
        service.database.dispose()
        postgres_server.drop_database(name)


def test_serve_with_several_workers_is_refused_on_sqlite(tmp_path: Path,
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    from issuer.cli import context as cli_context

    for variable in [name for name in os.environ if name.startswith("ISSUER_")]:
        monkeypatch.delenv(variable)
    monkeypatch.delenv("DATABASE_URL", raising=False)
    monkeypatch.setenv("ISSUER_HOME", str(tmp_path))
    monkeypatch.setattr(cli_context, "LOCALE", "fr")
    result = CliRunner().invoke(cli_main, ["serve", "--workers", "2", "--port", "1"])
    assert result.exit_code == 1
    assert "Plusieurs processus (--workers 2) demandent PostgreSQL" in result.output
    assert "serve.sqlite_one_process" in result.output
    assert not (tmp_path / "var").exists()  # refused before anything was made
