"""The badge page with live verification at 1,000 and at 1,000,000 stored credentials
(PostgreSQL; issue 14, performance goal 2).

Two databases on the bench's PostgreSQL server (`bench.postgres`), `pages_1000` and
`pages_1000000`, in one kept ISSUER_HOME (the same keys): each holds `VIEWED` credentials issued
by `IssuerService.issue_many` (really signed: their pages verify them), then filler rows
written by one `INSERT … SELECT generate_series` on the server, copies of a real row (the same
signed JSON and JWT text, about 10 kB a row, a new id, recipient, idempotency key and status
slot each) spread over as many full status lists as a million needs. They are written once
and kept between runs (`--forget-data` deletes them).

What is timed: each of the `VIEWED` pages once, in this process through the ASGI app (Starlette
`TestClient`, no network), one after the other, so every view is a live verification (the
own-credential cache and the page cache hold another credential each time); the first view,
which also signs the status list, is timed apart. p50 and p99 of the views are compared between
the two sizes.

Each SQL statement of the first two views (the first one also signs the status list) is
explained at a million (`EXPLAIN` with `enable_seqscan` off: a
sequential scan that remains means no index can serve the query); a table of `LARGE_TABLE`
rows or more read by a sequential scan is reported, and fails the goal.
"""

from __future__ import annotations

import re
import statistics
import time
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import event, text
from starlette.testclient import TestClient

from bench.credentials import BADGE_SLUG, BASE_URL, EDITION
from bench.postgres import BenchPostgres, bench_home
from issuer.issuance.issue_requests import IssueRequest
from issuer.issuance.service import IssuerService
from issuer.settings import Settings
from issuer.web import create_app

SIZES = (1_000, 1_000_000)
VIEWED = 60
VALID_MARK = 'class="verdict valid"'
# A table read whole (Seq Scan) counts from this many rows: the catalogue's small tables (the
# skill badges' count and last change, read to know whether the catalogue changed) are read
# whole by design and do not grow with the credentials.
LARGE_TABLE = 10_000
_VIEWED_EMAIL = "page.view.{n}@example.org"


@dataclass(frozen=True)
class PageAtSize:
    stored: int
    views: int
    p50: float
    p99: float
    first_view: float                 # also signs the status list
    fill_seconds: float | None        # None when the data was already there
    sequential_scans: tuple[str, ...] = ()  # "table: statement" read without an index


@dataclass
class MillionResult:
    sizes: list[PageAtSize] = field(default_factory=list)

    @property
    def ratio(self) -> float | None:
        if len(self.sizes) < 2:
            return None
        return self.sizes[-1].p50 / self.sizes[0].p50


def _service(database_url: str) -> IssuerService:
    home = bench_home() / "home"
    settings = Settings(home=home, base_url=BASE_URL, database_url=database_url)
    service = IssuerService(settings)
    service.init()
    return service


def _stored(service: IssuerService) -> int:
    with service.database.session(read_only=True) as session:
        return int(session.execute(text("SELECT count(*) FROM issued_credentials")).scalar_one())


def _columns(session: Any, table: str) -> list[str]:
    return list(session.execute(text(
        "SELECT column_name FROM information_schema.columns WHERE table_name = :t "
        "ORDER BY ordinal_position"), {"t": table}).scalars())


def _copy_select(session: Any, table: str, overrides: dict[str, str]) -> str:
    """The column list and SELECT expressions of a copy of the template row (alias t)."""
    columns = _columns(session, table)
    return "(" + ", ".join(f'"{c}"' for c in columns) + ") SELECT " + ", ".join(
        overrides.get(c, f't."{c}"') for c in columns)


def _fill(service: IssuerService, target: int) -> None:
    """Filler rows up to `target` credentials, copies of a real one, written by the server."""
    with service.database.session() as session:
        template_id = session.execute(text(
            "SELECT id FROM issued_credentials ORDER BY id LIMIT 1")).scalar_one()
        first_list, length = session.execute(text(
            "SELECT id, length FROM status_lists WHERE kind = 'credentials' ORDER BY id LIMIT 1"
        )).one()
        missing = target - _stored(service)
        lists = -(-target // length)
        have = int(session.execute(text(
            "SELECT count(*) FROM status_lists WHERE kind = 'credentials'")).scalar_one())
        for _ in range(max(0, lists - have)):
            session.execute(text(
                "INSERT INTO status_lists " + _copy_select(session, "status_lists", {
                    "id": "nextval(pg_get_serial_sequence('status_lists', 'id'))",
                    "full": "true"}) + " FROM status_lists t WHERE t.id = :first"),
                {"first": first_list})
        list_ids = list(session.execute(text(
            "SELECT id FROM status_lists WHERE kind = 'credentials' ORDER BY id")).scalars())
        # Column names from information_schema, values generated: nothing from outside.
        session.execute(text(
            "INSERT INTO recipients " + _copy_select(session, "recipients", {  # noqa: S608
                "id": "md5('bench-r-' || n)::uuid::text",
                "email_hash_key": "encode(sha256(('bench-k-' || n)::bytea), 'hex')",
                "email": "'filler.' || n || '@example.org'",
                "display_name": "'Participant·e ' || n",
                "subject_id": "'urn:uuid:' || md5('bench-s-' || n)::uuid::text",
                "identity_salt": "md5('bench-salt-' || n)",
            }) + " FROM recipients t, generate_series(1, :missing) AS n "
                 "WHERE t.id = (SELECT recipient_id FROM issued_credentials WHERE id = :tid) "
                 "ON CONFLICT DO NOTHING"), {"missing": missing, "tid": template_id})
        # Slot n: list n / length, index n % length; a slot a real credential holds is skipped.
        session.execute(text(
            "INSERT INTO issued_credentials " + _copy_select(session, "issued_credentials", {
                "id": "md5('bench-c-' || n)::uuid::text",
                "recipient_id": "md5('bench-r-' || n)::uuid::text",
                "idempotency_key": "encode(sha256(('bench-i-' || n)::bytea), 'hex')",
                "credential_json": "replace(t.credential_json, t.id, md5('bench-c-' || n)::uuid::text)",
                "status_list_id": "(:lists)[1 + (n - 1) / :length]",
                "status_index": "(n - 1) % :length",
                "superseded_by": "NULL",
            }) + " FROM issued_credentials t, generate_series(1, :missing) AS n "
                 "WHERE t.id = :tid ON CONFLICT DO NOTHING"),
            {"missing": missing, "tid": template_id, "lists": list_ids, "length": length})
    with service.database.engine.connect() as connection:
        connection.execution_options(isolation_level="AUTOCOMMIT").execute(
            text("VACUUM ANALYZE"))


def _prepare(pg: BenchPostgres, size: int) -> tuple[IssuerService, float | None]:
    url, _created = pg.database(f"pages_{size}")
    service = _service(url)
    # Filled by an earlier run: the filler skips the slots the viewed credentials drew.
    if _stored(service) >= size - 2 * VIEWED:
        return service, None
    started = time.perf_counter()
    role = service.catalogue.badge(BADGE_SLUG).roles[0].slug
    service.issue_many([IssueRequest(badge_slug=BADGE_SLUG, email=_VIEWED_EMAIL.format(n=n),
                                     name=f"Camille {n}", event_number=EDITION, role=role)
                        for n in range(VIEWED + 1)], signing_helpers=0)
    _fill(service, size)
    return service, time.perf_counter() - started


def _viewed_ids(service: IssuerService) -> list[str]:
    with service.database.session(read_only=True) as session:
        return list(session.execute(text(
            "SELECT c.id FROM issued_credentials c JOIN recipients r ON r.id = c.recipient_id "
            "WHERE r.email LIKE 'page.view.%' ORDER BY r.email")).scalars())


def _sequential_scans(service: IssuerService, statements: list[tuple[str, Any]]) -> list[str]:
    found: list[str] = []
    with service.database.engine.connect() as connection:
        raw = connection.connection.driver_connection
        assert raw is not None
        with raw.cursor() as cursor:
            cursor.execute("SET enable_seqscan = off")
            for statement, parameters in statements:
                if not statement.lstrip().upper().startswith("SELECT"):
                    continue
                cursor.execute("EXPLAIN " + statement, parameters)
                plan = "\n".join(row[0] for row in cursor.fetchall())
                for table in re.findall(r"Seq Scan on (\w+)", plan):
                    cursor.execute("SELECT reltuples FROM pg_class WHERE relname = %s",
                                   (table,))
                    rows = cursor.fetchone()
                    if rows is not None and rows[0] >= LARGE_TABLE:
                        found.append(f"{table}: {' '.join(statement.split())[:160]}")
        raw.rollback()
    return sorted(set(found))


def _percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(fraction * len(ordered)) - 1))]


class _Site:
    """One size: its service, its app in a TestClient, its pages."""

    def __init__(self, pg: BenchPostgres, size: int) -> None:
        self.service, self.fill_seconds = _prepare(pg, size)
        self.ids = _viewed_ids(self.service)
        self.client = TestClient(create_app(self.service.settings, self.service),
                                 base_url=BASE_URL)
        self.latencies: list[float] = []

    def view(self, credential_id: str) -> float:
        start = time.perf_counter()
        page = self.client.get(f"/credentials/{credential_id}", headers={"accept": "text/html"})
        seconds = time.perf_counter() - start
        if page.status_code != 200 or VALID_MARK not in page.text:
            raise RuntimeError(f"the page of {credential_id} is not a valid badge "
                               f"({page.status_code})")
        return seconds

    def recorded_view(self, credential_id: str,
                      statements: list[tuple[str, Any]]) -> float:
        """A view whose SQL statements are added to `statements`."""
        def record(_conn: Any, _cursor: Any, statement: str, parameters: Any, *_: Any) -> None:
            statements.append((statement, parameters))

        event.listen(self.service.database.engine, "before_cursor_execute", record)
        try:
            return self.view(credential_id)
        finally:
            event.remove(self.service.database.engine, "before_cursor_execute", record)


def run_million(sizes: tuple[int, ...] = SIZES, *, viewed: int = VIEWED) -> MillionResult:
    """Both sizes served side by side; their views alternate (1,000 then 1,000,000, ...), so
    the load of a shared machine weighs on both alike."""
    from bench.postgres import running_postgres

    with running_postgres() as pg:
        sites = [_Site(pg, size) for size in sizes]
        try:
            for site in sites:
                site.client.__enter__()
            # The first view also signs the status list; the second is a plain one: the
            # statements of both are explained.
            statements: list[tuple[str, Any]] = []
            firsts = [site.view(site.ids[0]) for site in sites[:-1]]
            firsts.append(sites[-1].recorded_view(sites[-1].ids[0], statements))
            sites[-1].recorded_view(sites[-1].ids[1], statements)
            for site in sites[:-1]:
                site.view(site.ids[1])
            for n in range(2, min(viewed, *(len(site.ids) for site in sites))):
                for site in sites:
                    site.latencies.append(site.view(site.ids[n]))
            scans = _sequential_scans(sites[-1].service, statements)
            return MillionResult(sizes=[
                PageAtSize(stored=_stored(site.service), views=len(site.latencies),
                           p50=statistics.median(site.latencies),
                           p99=_percentile(site.latencies, 0.99), first_view=first,
                           fill_seconds=site.fill_seconds,
                           sequential_scans=tuple(scans) if site is sites[-1] else ())
                for site, first in zip(sites, firsts, strict=True)])
        finally:
            for site in sites:
                site.client.__exit__(None, None, None)
                site.service.database.dispose()
