"""Persistence: SQLAlchemy 2.x models, Alembic migrations (the schema's source of truth) and
the repository functions the service calls. SQLite by default, PostgreSQL via DATABASE_URL."""

from issuer.storage.audit_log import record_audit
from issuer.storage.credential_rows import (
    Reservation,
    find_credential_by_idempotency_key,
    get_credential,
    reserve_credential_row,
)
from issuer.storage.db import Database, sqlite_url
from issuer.storage.models import (
    Achievement,
    AuditEntry,
    Base,
    Event,
    IssuedCredential,
    Recipient,
    SigningKey,
    StatusList,
)
from issuer.storage.recipient_rows import erase_recipient, find_or_create_recipient
from issuer.storage.status_slots import SlotReservationFailed, allocate_status_slot, status_bits

__all__ = [
    "Achievement",
    "AuditEntry",
    "Base",
    "Database",
    "Event",
    "IssuedCredential",
    "Recipient",
    "Reservation",
    "SigningKey",
    "SlotReservationFailed",
    "StatusList",
    "allocate_status_slot",
    "erase_recipient",
    "find_credential_by_idempotency_key",
    "find_or_create_recipient",
    "get_credential",
    "record_audit",
    "reserve_credential_row",
    "sqlite_url",
    "status_bits",
]
