"""Browser sessions of workspace accounts: the browser holds a random token, the database only
its SHA-256 (a stolen database cannot be replayed as cookies). A session ends after
`idle_timeout` without use and at the latest `absolute_timeout` after sign-in (OWASP Session
Management Cheat Sheet). `Accounts` (issuer.workspace.accounts) has these methods."""

from __future__ import annotations

from sqlalchemy import delete

from issuer.storage.audit_log import record_audit
from issuer.storage.db import Database
from issuer.storage.workspace_models import User, UserSession
from issuer.tokens import new_token, token_digest
from issuer.workspace.account_policy import AccountPolicy, Clock
from issuer.workspace.sign_in_steps import forget_old_attempts


class BrowserSessions:
    """Sessions on `database`, timed by `clock` and `policy` (set by `Accounts.__init__`)."""

    database: Database
    clock: Clock
    policy: AccountPolicy

    def create_session(self, user: User, *, origin: str | None = None,
                       user_agent: str | None = None) -> str:
        """A new session for `user`; returns the token for the cookie (never stored)."""
        token = new_token()
        now = self.clock()
        with self.database.session() as session:
            session.add(UserSession(token_hash=token_digest(token), user_id=user.id, created_at=now,
                                    last_seen_at=now, expires_at=now + self.policy.absolute_timeout,
                                    origin=origin, user_agent=(user_agent or "")[:300] or None))
            # Housekeeping: sessions past their end, and attempts older than any window that
            # counts them, are of no use to anyone (the audit trail keeps every sign-in).
            session.execute(delete(UserSession).where(UserSession.expires_at <= now))
            forget_old_attempts(session, now, self.policy.throttle)
        return token

    def session_user(self, token: str | None) -> User | None:
        """The enabled account of a live session, or None (unknown, idle too long, past its
        absolute end, or account disabled). Using a session keeps it alive."""
        if not token:
            return None
        now = self.clock()
        digest = token_digest(token)
        with self.database.session(read_only=True) as session:
            row = session.get(UserSession, digest)
            if row is None:
                return None
            user = session.get(User, row.user_id)
            live = (row.expires_at > now and row.last_seen_at + self.policy.idle_timeout > now
                    and user is not None and user.disabled_at is None)
            stale = now - row.last_seen_at >= self.policy.touch_interval
        if not live:
            self.end_session(token)
            return None
        if stale:
            with self.database.session() as session:
                current = session.get(UserSession, digest)
                if current is not None:
                    current.last_seen_at = now
        return user

    def end_session(self, token: str | None, *, actor: str | None = None,
                    origin: str | None = None) -> None:
        """Sign out: the session stops working at once. With `actor`, audited as a sign-out."""
        if not token:
            return
        with self.database.session() as session:
            row = session.get(UserSession, token_digest(token))
            if row is None:
                return
            if actor is not None:
                record_audit(session, actor=actor, action="logout", subject=row.user_id, origin=origin)
            session.delete(row)
