"""A batch issued end to end, as `issuer issue-batch` does it, in a temporary ISSUER_HOME:
every request checked first, then `IssuerService.issue_many` (both proofs, rows in SQLite,
commits by chunk) writing `<uuid>.json`, `<uuid>.jwt` and the baked `<uuid>.png` of each
credential with the CLI's own `_write_outputs` as its chunk is committed.

The attendance CSV is left out (the CLI reads at most 5,000 lines per list); so are the set-up
(`issuer init`) and the clean-up. A re-run with the same list is timed too: it must issue
nothing (idempotency keys) and only rewrite the files.
"""

from __future__ import annotations

import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import func, select

from bench.credentials import BADGE_SLUG, BASE_URL, EDITION
from issuer.issuance.issue_requests import IssueRequest
from issuer.issuance.outputs import issue_to_folder, write_credential_files
from issuer.issuance.service import IssuerService
from issuer.issuance.signing_pool import default_signing_helpers
from issuer.settings import Settings
from issuer.storage.db import sqlite_url
from issuer.storage.models import IssuedCredential


@dataclass(frozen=True)
class BatchResult:
    count: int
    seconds: float
    # the files alone (baking included) written in series; the batch overlaps them with signing
    writing_seconds: float
    issued: int
    files: int
    rows: int
    rerun_seconds: float
    rerun_issued: int
    signing_helpers: int

    @property
    def per_second(self) -> float:
        return self.count / self.seconds


def attendance(count: int, roles: list[str]) -> list[IssueRequest]:
    return [IssueRequest(badge_slug=BADGE_SLUG, email=f"participant.{n}@example.org",
                         name=f"Participant·e {n}", event_number=EDITION,
                         role=roles[n % len(roles)] if roles else None)
            for n in range(count)]


def run_batch(count: int, *, signing_helpers: int | None = None) -> BatchResult:
    with tempfile.TemporaryDirectory(prefix="issuer-bench-") as folder:
        home = Path(folder)
        settings = Settings(home=home, base_url=BASE_URL,
                            database_url=sqlite_url(home / "var" / "issuer.sqlite3"))
        service = IssuerService(settings)
        service.init()
        roles = [role.slug for role in service.catalogue.badge(BADGE_SLUG).roles]
        requests = attendance(count, roles)
        out = home / "out"

        def issue_batch() -> tuple[float, float, int]:
            start = time.perf_counter()
            for request in requests:  # as the CLI: refuse the whole list before signing
                service.resolve_request(request)
            issued = issue_to_folder(service, requests, out, signing_helpers=signing_helpers)
            seconds = time.perf_counter() - start
            # How long the files alone take, written again in series (not overlapped).
            start = time.perf_counter()
            fresh = home / f"timing-{time.monotonic_ns()}"  # new files, as in a first run
            for item in issued[: min(len(issued), 500)]:
                write_credential_files(service, item, fresh)
            writing = (time.perf_counter() - start) * len(issued) / max(1, min(len(issued), 500))
            return seconds, writing, sum(item.created for item in issued)

        seconds, writing, issued = issue_batch()
        files = sum(1 for _ in out.iterdir())
        with service.database.session(read_only=True) as session:
            rows = session.scalar(select(func.count()).select_from(IssuedCredential)) or 0
        rerun_seconds, _, rerun_issued = issue_batch()
        service.database.dispose()
    helpers = default_signing_helpers(count) if signing_helpers is None else signing_helpers
    return BatchResult(count=count, seconds=seconds, writing_seconds=writing, issued=issued,
                       files=files, rows=rows, rerun_seconds=rerun_seconds,
                       rerun_issued=rerun_issued, signing_helpers=helpers)


@dataclass(frozen=True)
class QueuedBatchResult:
    """A batch issued on PostgreSQL with each badge's delivery e-mail queued."""

    count: int
    seconds: float
    issuing_seconds: float       # issue_many alone
    queuing_seconds: float       # queue_badge_emails alone
    issued: int
    emails_queued: int
    signing_helpers: int

    @property
    def per_second(self) -> float:
        return self.count / self.seconds


def run_queued_batch(count: int, database_url: str, *,
                     signing_helpers: int | None = None) -> QueuedBatchResult:
    """What the workspace does when a coordinator issues an event's badges
    (`issuer.workspace.events.issue_for_attendances`, without the attendance rows): the batch
    by `IssuerService.issue_many`, then every delivery e-mail queued by
    `issuer.workspace.event_mail.queue_badge_emails`, on the PostgreSQL database at
    `database_url` (empty), in a temporary ISSUER_HOME. The e-mails are queued, not sent."""
    from issuer.workspace.event_mail import queue_badge_emails

    with tempfile.TemporaryDirectory(prefix="issuer-bench-pg-") as folder:
        settings = Settings(home=Path(folder), base_url=BASE_URL, database_url=database_url)
        service = IssuerService(settings)
        service.init()
        roles = [role.slug for role in service.catalogue.badge(BADGE_SLUG).roles]
        requests = attendance(count, roles)
        try:
            start = time.perf_counter()
            for request in requests:
                service.resolve_request(request)
            issued = service.issue_many(requests, actor="bench",
                                        signing_helpers=signing_helpers)
            issuing = time.perf_counter() - start
            queued = queue_badge_emails(service, [item.credential_id for item in issued],
                                        actor="bench", origin=None)
            seconds = time.perf_counter() - start
        finally:
            service.database.dispose()
    helpers = default_signing_helpers(count) if signing_helpers is None else signing_helpers
    return QueuedBatchResult(count=count, seconds=seconds, issuing_seconds=issuing,
                             queuing_seconds=seconds - issuing,
                             issued=sum(item.created for item in issued), emails_queued=queued,
                             signing_helpers=helpers)
