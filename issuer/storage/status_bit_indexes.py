"""Indexes that find the set bits of a status list without reading its every slot.

A status list is published, and each of our badges verified, from its set bits: the revoked
credentials of a list (`revoked_at` set) and its suspended ones (`status_slots.status_bits`).
Only the (status_list_id, status_index) unique index served that query, so it read all
131,072 slots of a full list and each row behind them to test the flag: at a million stored
credentials, most of a badge page's time (issue 14, performance goal 2). These partial indexes
hold only the slots whose bit is set, in index order, so the query reads as many entries as
there are revoked (or suspended) credentials in the list. Migration 0019 creates them.
"""

from __future__ import annotations

from sqlalchemy import Index

from issuer.storage.models import IssuedCredential

REVOKED_SLOTS = Index(
    "ix_issued_credentials_revoked_slots",
    IssuedCredential.status_list_id, IssuedCredential.status_index,
    postgresql_where=IssuedCredential.revoked_at.is_not(None),
    sqlite_where=IssuedCredential.revoked_at.is_not(None))

SUSPENDED_SLOTS = Index(
    "ix_issued_credentials_suspended_slots",
    IssuedCredential.status_list_id, IssuedCredential.status_index,
    postgresql_where=IssuedCredential.suspended.is_(True),
    sqlite_where=IssuedCredential.suspended.is_(True))
