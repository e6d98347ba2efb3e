"""The steps of a password sign-in as data (the attempt, the password check, the owner's
alert), and the attempt and throttle rows they read and write (issuer.workspace.accounts runs
the steps)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from issuer.storage.workspace_models import ANY_ACCOUNT, LoginAttempt, SignInThrottle
from issuer.workspace.sign_in_throttle import ThrottlePolicy

ATTEMPTS_KEPT = timedelta(days=1)


@dataclass(frozen=True)
class SignInAttempt:
    """An attempt allowed to check a password (see `Accounts.begin_sign_in`)."""

    email: str
    client: str
    origin: str | None
    at: datetime
    attempt_id: int
    user_id: str | None
    password_hash: str | None      # None: no usable account (the dummy hash is checked)
    failures: int                  # this client's failures on this account, this one included
    attacked: bool                 # the account is under a distributed attack


@dataclass(frozen=True)
class PasswordCheck:
    matched: bool
    upgraded_hash: str | None = None


@dataclass(frozen=True)
class SignInAlert:
    """What the owner's alert e-mail says: failures on their account within the account
    window, since when, and from which clients."""

    user_id: str
    email: str
    display_name: str
    failures: int
    first_failure_at: datetime
    at: datetime
    clients: tuple[str, ...]
    more_clients: int = 0


#: Queues the owner's alert in the given session (issuer.workspace.account_mail.queue_sign_in_alert).
AlertOwner = Callable[[Session, SignInAlert], object]


def throttle_rows(session: Session, email: str,
                   client: str) -> tuple[SignInThrottle | None, SignInThrottle | None]:
    """(this client on this e-mail, this client on any account)."""
    return (session.get(SignInThrottle, (email, client)),
            session.get(SignInThrottle, (ANY_ACCOUNT, client)))


def locked_throttle_row(session: Session, email: str, client: str,
                         now: datetime) -> SignInThrottle:
    """The row of (email, client), created if missing, locked until the transaction ends
    (FOR UPDATE on PostgreSQL; SQLite's write transaction already holds the database lock).
    INSERT ... ON CONFLICT DO NOTHING: two first attempts at once cannot both insert it."""
    dialect = session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    session.execute(insert(SignInThrottle).values(
        email=email, client=client, failures=0, updated_at=now).on_conflict_do_nothing())
    return session.scalars(
        select(SignInThrottle).where(SignInThrottle.email == email, SignInThrottle.client == client)
        .with_for_update().execution_options(populate_existing=True)).one()


def forget_old_attempts(session: Session, now: datetime, policy: ThrottlePolicy) -> None:
    """Attempts older than any window that counts them, and clients quiet for longer than
    the failure memory, are of no use to anyone (the audit trail keeps every sign-in)."""
    kept_since = now - max(ATTEMPTS_KEPT, policy.account_window, policy.client_window)
    session.execute(delete(LoginAttempt).where(LoginAttempt.at < kept_since))
    session.execute(delete(SignInThrottle).where(
        SignInThrottle.updated_at < now - max(policy.failure_memory, policy.client_window)))
