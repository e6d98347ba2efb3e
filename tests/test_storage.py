"""Storage: migrations, exact storage of signed credentials, idempotency, status slot
allocation under concurrency, audit log, GDPR erasure. Every test runs on SQLite and on a real
PostgreSQL server (tests/plugins/postgres.py)."""

from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
import sys
import textwrap
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import func, inspect, select, text
from sqlalchemy.exc import IntegrityError, StatementError

from issuer.storage import (
    AuditEntry,
    Database,
    IssuedCredential,
    Recipient,
    StatusList,
    erase_recipient,
    find_credential_by_idempotency_key,
    find_or_create_recipient,
    get_credential,
    record_audit,
    reserve_credential_row,
    sqlite_url,
    status_bits,
)
from issuer.storage.db import alembic_config
from issuer.storage.models import Base

ROOT = Path(__file__).resolve().parents[1]
ISSUED_AT = dt.datetime(2025, 7, 11, 18, 30, tzinfo=dt.UTC)
CLN_ACHIEVEMENT = "https://badges.ville-roubaix.fr/achievements/membre-cln"


@pytest.fixture
def db(database_url: str) -> Iterator[Database]:
    database = Database(database_url)
    database.migrate()
    try:
        yield database
    finally:
        database.dispose()


def _recipient(session, n: int = 1) -> Recipient:
    return find_or_create_recipient(
        session,
        email_hash_key=f"{n:064x}",
        email=f"habitante{n}@example.org",
        display_name=f"Camille Exemple {n}",
        show_name=True,
    )


def _reserve(session, recipient: Recipient, key: str, **options):
    return reserve_credential_row(
        session,
        recipient=recipient,
        badge_slug="membre-cln",
        achievement_id=CLN_ACHIEVEMENT,
        idempotency_key=key,
        issued_at=ISSUED_AT,
        valid_from=ISSUED_AT,
        valid_until=ISSUED_AT + dt.timedelta(days=730),
        role="membre",
        **options,
    )


def _picker(*indices: int) -> Callable[[Callable[[int], bool], int], int]:
    """A pick strategy returning `indices` in turn, taken or not: it stands for another
    transaction grabbing the same index before ours commits."""
    remaining = iter(indices)
    return lambda is_taken, length: next(remaining)


def test_migrating_an_empty_database_twice_gives_the_models_schema(database_url: str) -> None:
    database = Database(database_url)
    try:
        database.migrate()
        database.migrate()
        head = ScriptDirectory.from_config(alembic_config()).get_current_head()
        with database.engine.connect() as connection:
            context = MigrationContext.configure(connection, opts={"compare_type": True})
            assert context.get_current_revision() == head
            assert compare_metadata(context, Base.metadata) == []
            tables = set(inspect(connection).get_table_names())
        assert set(Base.metadata.tables) <= tables
    finally:
        database.dispose()


def test_signed_credential_text_is_stored_byte_for_byte(db: Database) -> None:
    # Key order that no serialiser would produce, escapes, non-ASCII, astral plane, CRLF.
    signed_json = (
        '{"proof":[{"proofValue":"z3FXQ"}],"@context":["https://www.w3.org/ns/credentials/v2"],'
        '"name":"Membre du Conseil local du numérique — Roubaix","emoji":"🏅",'
        '"escaped":"\\u00e9\\n\\"","sep":"\u2028","z":1.0,"a":[ ]}\r\n'
    )
    signed_jwt = "eyJhbGciOiJSUzI1NiJ9.eyJpc3MiOiJkaWQ6d2ViOnJvdWJhaXgifQ.c2ln"
    with db.session() as session:
        row = _reserve(session, _recipient(session), "k" * 64).credential
        row.attach_signed_forms(credential_json=signed_json, credential_jwt=signed_jwt)
        credential_id = row.id

    with db.session(read_only=True) as session:
        stored = get_credential(session, credential_id)
        assert stored is not None
        assert stored.credential_json.encode("utf-8") == signed_json.encode("utf-8")
        assert stored.credential_jwt == signed_jwt
        assert stored.issued_at == ISSUED_AT and stored.issued_at.tzinfo is not None
        assert stored.recipient.subject_id.startswith("urn:uuid:")


def test_naive_datetimes_are_refused(db: Database) -> None:
    # PT012: the row is refused when the session flushes, as the block ends.
    with pytest.raises(StatementError, match="naive datetime"), db.session() as session:  # noqa: PT012
        recipient = _recipient(session)
        reserve_credential_row(
            session, recipient=recipient, badge_slug="membre-cln",
            achievement_id=CLN_ACHIEVEMENT, idempotency_key="n" * 64,
            issued_at=dt.datetime(2025, 7, 11), valid_from=ISSUED_AT,  # noqa: DTZ001 - refused
        )


def test_rerunning_a_batch_finds_the_credential_by_its_idempotency_key(db: Database) -> None:
    with db.session() as session:
        first = _reserve(session, _recipient(session), "a" * 64)
        first.credential.attach_signed_forms(credential_json="{}", credential_jwt="x.y.z")
    with db.session() as session:
        again = _reserve(session, _recipient(session), "a" * 64)
        assert not again.created
        assert again.credential.id == first.credential.id
        assert find_credential_by_idempotency_key(session, "a" * 64).id == first.credential.id
        assert session.scalar(select(func.count()).select_from(IssuedCredential)) == 1


def test_the_database_refuses_a_second_row_with_the_same_idempotency_key(db: Database) -> None:
    with db.session() as session:
        original = _reserve(session, _recipient(session), "b" * 64).credential
    with pytest.raises(IntegrityError), db.session() as session:
        session.add(
            IssuedCredential(
                id="00000000-0000-4000-8000-000000000001",
                recipient_id=original.recipient_id, badge_slug="membre-cln",
                achievement_id=CLN_ACHIEVEMENT, idempotency_key="b" * 64,
                credential_json="{}", credential_jwt="x.y.z", issued_at=ISSUED_AT,
                valid_from=ISSUED_AT, status_list_id=original.status_list_id,
                status_index=original.status_index + 1,
            )
        )


def test_a_slot_taken_meanwhile_is_retried_with_another_index(db: Database) -> None:
    with db.session() as session:
        recipient = _recipient(session)
        first = _reserve(session, recipient, "c" * 64, rng_pick=_picker(7)).credential
    with db.session() as session:
        recipient = _recipient(session)
        # The picker proposes 7 (already used) as if the probe had not seen it yet.
        second = _reserve(session, recipient, "d" * 64, rng_pick=_picker(7, 9)).credential
    assert (first.status_list_id, first.status_index) == (second.status_list_id, 7)
    assert second.status_index == 9


def test_a_rolled_back_reservation_frees_its_slot(db: Database) -> None:
    with pytest.raises(RuntimeError), db.session() as session:  # noqa: PT012 - a failed signing
        _reserve(session, _recipient(session), "e" * 64, rng_pick=_picker(3))
        raise RuntimeError("signing failed")
    with db.session() as session:
        row = _reserve(session, _recipient(session), "e" * 64, rng_pick=_picker(3)).credential
        assert row.status_index == 3


def _reserve_many(url: str, worker: int, count: int, list_length: int) -> list[tuple[int, int]]:
    database = Database(url)
    slots = []
    try:
        for n in range(count):
            with database.session() as session:
                recipient = _recipient(session, 1000 * worker + n)
                row = _reserve(
                    session, recipient, f"{worker:02d}{n:062d}", list_length=list_length
                ).credential
                row.attach_signed_forms(credential_json="{}", credential_jwt="x.y.z")
                slots.append((row.status_list_id, row.status_index))
    finally:
        database.dispose()
    return slots


@pytest.mark.parametrize("list_length", [131_072, 64], ids=["one-list", "rolling-over"])
def test_two_threads_reserving_at_once_get_distinct_slots(db: Database, list_length: int) -> None:
    results: dict[int, list[tuple[int, int]]] = {}
    errors: list[BaseException] = []
    start = threading.Barrier(2)

    def work(worker: int) -> None:
        try:
            start.wait()
            results[worker] = _reserve_many(db.url, worker, 200, list_length)
        except BaseException as error:  # noqa: BLE001 - surfaced below, in the test's thread
            errors.append(error)

    threads = [threading.Thread(target=work, args=(w,)) for w in (1, 2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert errors == []
    slots = results[1] + results[2]
    assert len(set(slots)) == 400
    assert all(0 <= index < list_length for _, index in slots)
    with db.session(read_only=True) as session:
        assert session.scalar(select(func.count()).select_from(IssuedCredential)) == 400
        lists = session.scalars(select(StatusList).order_by(StatusList.id)).all()
    # Exactly as many lists as needed, every one but the newest full.
    assert len(lists) == -(-400 // list_length)
    assert [status_list.full for status_list in lists] == [True] * (len(lists) - 1) + [False]


def test_two_sqlite_processes_issuing_at_once_never_hit_a_locked_database(
    tmp_path: Path,
) -> None:
    url = sqlite_url(tmp_path / "shared.sqlite3")
    database = Database(url)
    database.migrate()
    start_at = time.time() + 1.5  # both processes imported and connected by then
    script = textwrap.dedent(
        f"""
        import json, sys, time
        from tests.test_storage import _reserve_many
        time.sleep(max(0.0, {start_at} - time.time()))
        print(json.dumps(_reserve_many({url!r}, int(sys.argv[1]), 100, 131072)))
        """
    )
    environment = {**os.environ, "PYTHONPATH": str(ROOT)}
    workers = [
        subprocess.Popen(
            [sys.executable, "-c", script, str(w)], cwd=ROOT, env=environment,
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        )
        for w in (1, 2)
    ]
    outputs = [worker.communicate(timeout=120) for worker in workers]
    for worker, (_, stderr) in zip(workers, outputs, strict=True):
        assert worker.returncode == 0, stderr
    slots = {tuple(slot) for stdout, _ in outputs for slot in json.loads(stdout)}
    assert len(slots) == 200
    with database.session(read_only=True) as session:
        assert session.scalar(select(func.count()).select_from(IssuedCredential)) == 200
    database.dispose()


def test_a_full_list_rolls_over_to_a_new_one(db: Database) -> None:
    with db.session() as session:
        recipient = _recipient(session)
        for n in range(150):
            _reserve(session, recipient, f"{n:064d}", list_length=64)
    with db.session(read_only=True) as session:
        lists = session.scalars(select(StatusList).order_by(StatusList.id)).all()
        assert [(status_list.length, status_list.full) for status_list in lists] == [
            (64, True), (64, True), (64, False)
        ]
        for status_list, used in zip(lists, (64, 64, 22), strict=True):
            indices = session.scalars(
                select(IssuedCredential.status_index).where(
                    IssuedCredential.status_list_id == status_list.id
                )
            ).all()
            assert len(indices) == used and set(indices) <= set(range(64))


def test_status_bits_follow_revocation_and_suspension(db: Database) -> None:
    with db.session() as session:
        recipient = _recipient(session)
        rows = [
            _reserve(session, recipient, f"s{n:063d}", rng_pick=_picker(index)).credential
            for n, index in enumerate((40, 5, 17))
        ]
        rows[0].revoked_at = ISSUED_AT
        rows[0].revocation_reason = "attribué par erreur"
        rows[1].revoked_at = ISSUED_AT
        rows[2].suspended = True
        rows[2].suspended_at = ISSUED_AT
        list_id = rows[0].status_list_id
    with db.session(read_only=True) as session:
        assert status_bits(session, list_id, "revocation") == [5, 40]
        assert status_bits(session, list_id, "suspension") == [17]


def test_the_same_person_is_found_again_by_email_hash_key(db: Database) -> None:
    with db.session() as session:
        first = _recipient(session, 7)
    with db.session() as session:
        again = _recipient(session, 7)
        assert (again.id, again.subject_id, again.identity_salt) == (
            first.id, first.subject_id, first.identity_salt
        )
        assert _recipient(session, 8).subject_id != first.subject_id


def test_audit_rows_are_appended_and_never_rewritten(db: Database) -> None:
    with db.session() as session:
        record_audit(session, actor="coordinatrice", action="credential.issue",
                     subject="urn:uuid:1", details={"badge": "membre-cln", "événement": 7})
        record_audit(session, actor="coordinatrice", action="credential.revoke",
                     subject="urn:uuid:1")
    with db.session() as session:
        entries = session.scalars(select(AuditEntry).order_by(AuditEntry.id)).all()
        assert [(e.action, e.details) for e in entries] == [
            ("credential.issue", {"badge": "membre-cln", "événement": 7}),
            ("credential.revoke", None),
        ]
        assert entries[0].at.tzinfo is not None
    # PT012: the rewrite is refused when the session flushes, as the block ends.
    with pytest.raises(PermissionError), db.session() as session:  # noqa: PT012
        entry = session.scalars(select(AuditEntry)).first()
        entry.action = "rewritten"
    with db.session(read_only=True) as session:
        assert session.scalar(select(func.count()).select_from(AuditEntry)) == 2


def test_erasing_a_recipient_forgets_the_email_but_keeps_the_credentials(db: Database) -> None:
    with db.session() as session:
        recipient = _recipient(session, 3)
        row = _reserve(session, recipient, "f" * 64).credential
        row.attach_signed_forms(credential_json='{"é":1}', credential_jwt="x.y.z")
        recipient_id, credential_id, subject_id = recipient.id, row.id, recipient.subject_id
    with db.session() as session:
        erase_recipient(session, recipient_id)
    with db.session() as session:
        erased = session.get(Recipient, recipient_id)
        assert (erased.email, erased.display_name, erased.email_hash_key) == (None, None, None)
        assert erased.erased_at is not None and erased.subject_id == subject_id
        kept = get_credential(session, credential_id)
        assert kept is not None and kept.credential_json == '{"é":1}'
        assert kept.recipient_id == recipient_id
        # The keyed hash is gone: the same address now makes a new pseudonymous recipient.
        assert _recipient(session, 3).subject_id != subject_id


def test_upgrading_a_database_in_use_to_endorsements_keeps_every_list_a_badge_list(
        database_url: str) -> None:
    """Migration 0007 (peer endorsements) on a database already holding status lists and
    badges: the lists become badge lists, and the migration can be undone and redone."""
    database = Database(database_url)
    config = alembic_config()
    try:
        with database.engine.begin() as connection:
            config.attributes["connection"] = connection
            command.upgrade(config, "0006")
        with database.engine.begin() as connection:
            connection.execute(text("INSERT INTO status_lists (length, created_at, \"full\") "
                                    "VALUES (131072, CURRENT_TIMESTAMP, false)"))
        database.migrate()
        with database.engine.connect() as connection:
            kinds = connection.execute(text("SELECT kind FROM status_lists")).scalars().all()
        assert kinds == ["credentials"]
        with database.engine.begin() as connection:
            config.attributes["connection"] = connection
            command.downgrade(config, "0006")
        database.migrate()
        with database.engine.connect() as connection:
            context = MigrationContext.configure(connection, opts={"compare_type": True})
            assert compare_metadata(context, Base.metadata) == []
    finally:
        database.dispose()
