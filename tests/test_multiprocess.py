"""Many processes, one PostgreSQL database (issue 14 item 1), with real processes: `issuer serve`
and `issuer mail retry` / `issuer issue-batch` started as subprocesses on one installation
(same ISSUER_HOME keys, same database), a real SMTP server on loopback (aiosmtpd).

- two `issuer mail retry` at once send each queued e-mail once;
- a `kill -9` of a mail worker in the middle of an SMTP conversation, then new runs: the message
  it held is sent once its claim's lease has passed, and no other message twice;
- two `issuer issue-batch` at once on overlapping lists: every badge once, every status index
  once, no reserved index without its signed credential;
- the verification rate limit is one budget across service processes (a `--workers 2` service
  and a second service), and a badge revoked by another process verifies as revoked in every
  one at once.
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from aiosmtpd.controller import Controller
from sqlalchemy import select, text

from issuer import mail
from issuer.issuance.issue_requests import IssueRequest
from issuer.issuance.service import IssuerService
from issuer.settings import Settings
from issuer.storage import models as rows
from issuer.storage.workspace_models import EmailMessage as MessageRow
from tests.plugins.factory import ServiceFactory
from tests.plugins.postgres import PostgresServer

pytestmark = [pytest.mark.postgres, pytest.mark.timeout(300)]

BASE_URL = "https://badges.example.org"
BREAKFAST = "petit-dejeuner-inclusion-numerique"
ROOT = Path(__file__).resolve().parent.parent
LEASE_SECONDS = 8


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


# --- a real SMTP server that can hold a message or wait for two senders ----------------------

@dataclass
class Mailbox:
    """aiosmtpd handler. Keeps the recipients of what it accepts. `senders_to_wait_for`: the
    first messages wait (up to 15 s) until that many connections have said EHLO, so the test
    knows its senders really overlapped. `hold`: an address whose message is never accepted:
    the handler signals `holding` and waits for `release`, then answers 451."""

    senders_to_wait_for: int = 1
    hold: str | None = None
    accepted: list[str] = field(default_factory=list)
    connections: int = 0
    all_senders_in: threading.Event = field(default_factory=threading.Event)
    holding: threading.Event = field(default_factory=threading.Event)
    release: threading.Event = field(default_factory=threading.Event)

    async def handle_EHLO(self, server: Any, session: Any, envelope: Any, hostname: str,
                          responses: list[str]) -> list[str]:
        self.connections += 1
        if self.connections >= self.senders_to_wait_for:
            self.all_senders_in.set()
        session.host_name = hostname
        return responses

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        if self.senders_to_wait_for > 1:
            await asyncio.to_thread(self.all_senders_in.wait, 15)
        if self.hold is not None and self.hold in envelope.rcpt_tos:
            self.holding.set()
            await asyncio.to_thread(self.release.wait, 60)
            return "451 4.3.0 Try again later"
        await asyncio.sleep(0.01)  # a server takes a moment: the senders interleave
        self.accepted.extend(envelope.rcpt_tos)
        return "250 Message accepted for delivery"


@pytest.fixture
def mailbox() -> Iterator[Mailbox]:
    box = Mailbox()
    controller = Controller(box, hostname="127.0.0.1", port=free_port())
    controller.start()
    box.port = controller.port  # type: ignore[attr-defined]
    yield box
    box.release.set()
    controller.stop()


# --- one installation, several processes --------------------------------------------------------

@dataclass
class Installation:
    service: IssuerService
    environment: dict[str, str]
    processes: list[subprocess.Popen[str]] = field(default_factory=list)

    def start(self, *args: str) -> subprocess.Popen[str]:
        process = subprocess.Popen([sys.executable, "-m", "issuer.cli", *args], cwd=ROOT,
                                   env=self.environment, stdout=subprocess.PIPE,
                                   stderr=subprocess.PIPE, text=True)
        self.processes.append(process)
        return process

    def run(self, *args: str) -> str:
        process = self.start(*args)
        out, err = process.communicate(timeout=90)
        assert process.returncode == 0, err
        return out

    def serve(self, *options: str) -> str:
        port = free_port()
        process = self.start("serve", "--port", str(port), *options)
        url = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"{url}/.well-known/did.json", timeout=2).status_code == 200:
                    return url
            except httpx.TransportError:
                if process.poll() is not None:
                    break
                time.sleep(0.1)
        process.terminate()
        raise AssertionError(f"issuer serve {' '.join(options)} did not answer on {url}: "
                             f"{process.communicate(timeout=15)}")

    def stop(self) -> None:
        for process in self.processes:
            if process.poll() is None:
                process.terminate()
        for process in self.processes:
            try:
                process.communicate(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()
                process.communicate()


@pytest.fixture
def installation(postgres_server: PostgresServer, tmp_path: Path, mailbox: Mailbox,
                 service_factory: ServiceFactory) -> Iterator[Installation]:
    name, url = postgres_server.create_database("multiprocess")
    home = tmp_path / "home"
    port = mailbox.port  # type: ignore[attr-defined]
    settings = Settings.load(home=home, base_url=BASE_URL, database_url=url,
                             smtp_host="127.0.0.1", smtp_port=port, smtp_starttls=False,
                             mail_claim_lease_seconds=LEASE_SECONDS)
    service = service_factory(settings)
    environment = {key: value for key, value in os.environ.items()
                   if not key.startswith("ISSUER_") and key != "DATABASE_URL"}
    environment.update(ISSUER_HOME=str(home), DATABASE_URL=url, ISSUER_BASE_URL=BASE_URL,
                       ISSUER_SMTP_HOST="127.0.0.1", ISSUER_SMTP_PORT=str(port),
                       ISSUER_SMTP_STARTTLS="false", ISSUER_LANG="fr",
                       ISSUER_MAIL_CLAIM_LEASE_SECONDS=str(LEASE_SECONDS))
    running = Installation(service, environment)
    try:
        yield running
    finally:
        running.stop()
        service.database.dispose()
        postgres_server.drop_database(name)


def queue_badge_emails(service: IssuerService, count: int) -> list[str]:
    """`count` badges issued, each with its delivery e-mail queued; their addresses."""
    addresses = [f"personne{number}@example.org" for number in range(count)]
    issued = service.issue_many([IssueRequest(BREAKFAST, address, f"Personne {number}",
                                              event_number=3)
                                 for number, address in enumerate(addresses)])
    with service.database.session() as session:
        for badge in issued:
            mail.queue_badge_email(service, session, badge.credential_id)
    return addresses


def message_rows(service: IssuerService) -> list[MessageRow]:
    with service.database.session(read_only=True) as session:
        return list(session.scalars(select(MessageRow)))


# --- the e-mail queue --------------------------------------------------------------------------

def test_two_mail_workers_at_once_send_each_message_once(installation: Installation,
                                                         mailbox: Mailbox) -> None:
    addresses = queue_badge_emails(installation.service, 20)
    mailbox.senders_to_wait_for = 2  # the first message waits until both workers are in
    workers = [installation.start("mail", "retry") for _ in range(2)]
    outputs = [worker.communicate(timeout=90) for worker in workers]
    assert all(worker.returncode == 0 for worker in workers), outputs

    assert Counter(mailbox.accepted) == Counter(addresses)  # every one, none twice
    sent_by_each = [int(out.split()[0]) for out, _err in outputs]
    assert sum(sent_by_each) == 20 and min(sent_by_each) > 0, outputs  # both really worked
    stored = message_rows(installation.service)
    assert {row.status for row in stored} == {"sent"}
    assert {row.attempts for row in stored} == {1}  # never claimed twice


def test_a_mail_worker_killed_mid_send_leaves_its_message_to_a_later_run(
        installation: Installation, mailbox: Mailbox) -> None:
    addresses = queue_badge_emails(installation.service, 3)
    held = addresses[0]  # the oldest: the worker's first message
    mailbox.hold = held
    worker = installation.start("mail", "retry")
    assert mailbox.holding.wait(timeout=60), "the worker never reached the SMTP DATA step"
    worker.send_signal(signal.SIGKILL)  # kill -9 in the middle of the SMTP conversation
    worker.communicate(timeout=30)
    mailbox.release.set()
    mailbox.hold = None  # the server is fine again
    assert mailbox.accepted == []

    claimed = next(row for row in message_rows(installation.service) if row.to_address == held)
    assert claimed.status == "queued" and claimed.attempts == 1  # claimed, never recorded
    assert claimed.next_attempt_at is not None

    # At once (here, in this process: a new one would take seconds to start), the others
    # leave; the killed worker's message is still under its lease, so it is left alone.
    report = mail.retry_due(installation.service)
    assert len(report.sent) == 2 and sorted(mailbox.accepted) == sorted(addresses[1:])
    assert claimed.next_attempt_at > datetime.now(UTC), "the lease ran out before the check"
    # Once the lease has passed, the next run sends it.
    time.sleep(max(0.0, (claimed.next_attempt_at - datetime.now(UTC)).total_seconds()) + 0.2)
    installation.run("mail", "retry")
    assert Counter(mailbox.accepted) == Counter(addresses)  # each once, the held one included
    stored = {row.to_address: row for row in message_rows(installation.service)}
    assert {row.status for row in stored.values()} == {"sent"}
    assert stored[held].attempts == 2


# --- issuance from two processes ---------------------------------------------------------------

def attendance_list(path: Path, numbers: range) -> Path:
    path.write_text("nom;courriel;rôle\n" + "".join(
        f"Personne {n};personne{n}@example.org;participant\n" for n in numbers), "utf-8")
    return path


def test_two_batches_at_once_issue_each_badge_once_with_unique_status_indices(
        installation: Installation, tmp_path: Path) -> None:
    lists = [attendance_list(tmp_path / "a.csv", range(60)),
             attendance_list(tmp_path / "b.csv", range(40, 100))]  # 20 people on both
    batches = [installation.start("issue-batch", "--badge", BREAKFAST, "--event", "4",
                                  str(attendance), "--out", str(tmp_path / f"out{index}"))
               for index, attendance in enumerate(lists)]
    outputs = [batch.communicate(timeout=90) for batch in batches]
    assert all(batch.returncode == 0 for batch in batches), outputs

    with installation.service.database.session(read_only=True) as session:
        stored = list(session.scalars(select(rows.IssuedCredential)))
    assert len(stored) == 100
    slots = Counter((row.status_list_id, row.status_index) for row in stored)
    assert len(slots) == 100 and max(slots.values()) == 1
    # No reserved index without its signed credential (a slot is only ever held by one).
    assert all(row.credential_json and row.credential_jwt for row in stored)
    for row in stored:
        status = json.loads(row.credential_json)["credentialStatus"]
        entries = status if isinstance(status, list) else [status]
        assert {int(entry["statusListIndex"]) for entry in entries} == {row.status_index}
    # The 20 people on both lists got one badge each, written by both runs.
    first = {path.stem for path in (tmp_path / "out0").glob("*.json")}
    second = {path.stem for path in (tmp_path / "out1").glob("*.json")}
    assert len(first) == len(second) == 60 and len(first & second) == 20


# --- the web service in several processes ------------------------------------------------------

def test_service_processes_share_the_rate_limit_and_see_revocations_at_once(
        installation: Installation) -> None:
    service = installation.service
    badge = service.issue(IssueRequest(BREAKFAST, "verif@example.org", "Vérif", event_number=2))
    # A: two workers behind one port; B: another service, as on a second host.
    servers = [installation.serve("--workers", "2"), installation.serve()]

    def verify(server: str) -> httpx.Response:
        return httpx.post(f"{server}/api/v1/verify", json={"jwt": badge.credential_jwt},
                          timeout=30)

    # The limit counts in fixed one-minute windows of the database's clock: start at the
    # beginning of one, so the requests below all fall in the same window.
    with service.database.reading() as connection:
        into_window = float(connection.execute(
            text("SELECT mod(extract(epoch FROM clock_timestamp()), 60)")).scalar_one())
    if into_window > 20:
        time.sleep(60 - into_window + 0.2)
        into_window = 0.2
    window_ends = time.monotonic() + 60 - into_window

    # Every process verifies a badge revoked elsewhere (here, by this process) as revoked at
    # once: the bits are read from the database on each verification.
    first = [verify(server).json() for server in (*servers, servers[0])]
    assert all(report["verdict"] == "valid" for report in first)
    service.revoke(badge.credential_id, "erreur de saisie")
    after = [verify(server).json() for server in (*servers, servers[0])]
    assert all(report["verdict"] == "invalid" and report["revoked"] for report in after)

    # 30 a minute per client in all, whichever process (or worker) counts them.
    answers = [verify(servers[number % 2]).status_code for number in range(30 - 6)]
    assert answers == [200] * 24
    assert time.monotonic() < window_ends - 1, "too slow to stay in one window: not a fair test"
    for server in servers:
        refused = verify(server)
        assert refused.status_code == 429, refused.text
        assert refused.json()["error"]["code"] == "verify.rate_limited"
        # The window is full: past its end, until it weighs little enough on the next one
        # (a sliding window): at most a thirtieth of the next minute more.
        assert 1 <= int(refused.headers["retry-after"]) <= 60 + 2


def test_a_spooled_message_on_another_host_is_retried_not_given_up(
        installation: Installation, mailbox: Mailbox, tmp_path: Path) -> None:
    # Host A queues an invitation (its one-time link spooled in A's var/mail-queue/); host B,
    # on the same database but with its own disk, runs `mail retry` first.
    host_a = installation.service
    host_b = IssuerService(host_a.settings.model_copy(update={"home": tmp_path / "host-b"}))
    with host_a.database.session() as session:
        queued = mail.queue_invitation(
            host_a, session, to="coord@example.org", display_name=None,
            invitation_url=f"{BASE_URL}/admin/invitation/abc",
            expires_at=datetime.now(UTC) + timedelta(days=7))
    try:
        assert mail.retry_due(host_b).failed == [queued.id]
        after_b = mail.get_message(host_a, queued.id)
        assert after_b.status == "failed" and after_b.next_attempt_at is not None  # kept
        assert after_b.last_error is not None and "mail.content_missing" in after_b.last_error
        assert mail.retry_due(host_a, now=after_b.next_attempt_at).sent == [queued.id]
    finally:
        host_b.database.dispose()
    assert mailbox.accepted == ["coord@example.org"]
