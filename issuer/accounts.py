"""Accounts of the coordinator's workspace (issue #4 item 1): administrators and coordinators,
passwords, sign-in with rate limiting and lockout, and browser sessions.

The rules live here, not in the web pages: `issuer admin create` and /admin call the same
`Accounts` methods. Every sign-in, success or failure, is written to the audit trail.

Why each rule:
- Passwords are hashed with Argon2id (argon2-cffi's `PasswordHasher`, RFC 9106 parameters),
  never stored or logged in clear; a hash made with older parameters is upgraded at sign-in.
- An unknown e-mail costs the same Argon2 verification as a known one (a dummy hash), and
  gets the same answer and the same lockout, so neither timing nor messages tell whether an
  account exists (OWASP Authentication Cheat Sheet, "Authentication and Error Messages").
- After `max_failures` wrong passwords in a row an account is locked for `lockout`, even for
  the right password; one address may fail at most `max_failures_per_origin` times per
  `lockout` window whatever the e-mails (password spraying). Attempts are in the database, so
  the limits hold across processes.
- Sessions: the browser holds a random token, the database only its SHA-256 (a stolen
  database cannot be replayed as cookies). A session ends after `idle_timeout` without use and
  at the latest `absolute_timeout` after sign-in (OWASP Session Management Cheat Sheet).
- Invitation tokens are stored hashed too and expire after `invitation_lifetime`.
- The audit trail names people by their account id, never a typed e-mail (a stranger may type
  a resident's address into the sign-in form).
"""

from __future__ import annotations

import hashlib
import secrets
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from issuer.errors import InvalidInput, IssuerError, NotFound
from issuer.names import check_person_name
from issuer.storage.db import Database
from issuer.storage.models import utc_now
from issuer.storage.repositories import record_audit
from issuer.storage.workspace_models import USER_ROLES, LoginAttempt, User, UserSession

Clock = Callable[[], datetime]

#: Role order: an administrator may do everything a coordinator may.
ROLE_RANK = {"coordinator": 1, "administrator": 2}
MIN_PASSWORD_LENGTH = 12
# Argon2 hashes whatever it is given; a megabyte "password" would still cost one hash, but
# there is no reason to accept more than a long passphrase.
MAX_PASSWORD_LENGTH = 1024
ANONYMOUS_ACTOR = "anonymous"
ATTEMPTS_KEPT = timedelta(days=1)


@dataclass(frozen=True)
class AccountPolicy:
    max_failures: int = 5
    lockout: timedelta = timedelta(minutes=15)
    max_failures_per_origin: int = 30
    idle_timeout: timedelta = timedelta(hours=2)
    absolute_timeout: timedelta = timedelta(hours=12)
    invitation_lifetime: timedelta = timedelta(days=7)
    # A session's last use is written at most this often: a page view is then a read, not a
    # write (on SQLite every write takes the database lock).
    touch_interval: timedelta = timedelta(minutes=1)


# --- errors ----------------------------------------------------------------------------------

class AccountError(IssuerError):
    code = "account.error"


class InvalidCredentials(AccountError):
    code = "account.invalid_credentials"

    def __init__(self) -> None:
        super().__init__("Adresse e-mail ou mot de passe incorrect.",
                         "Wrong e-mail address or password.")


class AccountLocked(AccountError):
    """Too many failures: for this e-mail (`account.locked`) or from this address
    (`account.too_many_attempts`). `retry_after` is in seconds."""

    code = "account.locked"

    def __init__(self, retry_after: int, *, per_origin: bool = False) -> None:
        minutes = max(1, -(-retry_after // 60))
        if per_origin:
            super().__init__(
                f"Trop de tentatives de connexion depuis cette adresse. Réessayez dans {minutes} min.",
                f"Too many sign-in attempts from this address. Try again in {minutes} min.",
                code="account.too_many_attempts")
        else:
            super().__init__(
                f"Trop d'essais infructueux : le compte est bloqué. Réessayez dans {minutes} min.",
                f"Too many failed attempts: the account is locked. Try again in {minutes} min.")
        self.retry_after = retry_after


class WeakPassword(AccountError):
    code = "account.weak_password"


class AccountExists(AccountError):
    code = "account.exists"


class InvitationInvalid(AccountError):
    code = "account.invitation_invalid"

    def __init__(self) -> None:
        super().__init__(
            "Cette invitation n'est plus valable (déjà utilisée ou expirée). Demandez-en une "
            "nouvelle à un administrateur.",
            "This invitation is no longer valid (already used or expired). Ask an administrator "
            "for a new one.")


# --- pure rules ------------------------------------------------------------------------------

def normalise_email(email: str) -> str:
    """The stored form of an account e-mail (trimmed, lower case); refuses what is plainly not
    an address."""
    value = (email or "").strip().lower()
    local, at, domain = value.partition("@")
    if not at or not local or "." not in domain or any(c.isspace() for c in value) or len(value) > 254:
        raise InvalidInput(f"Adresse e-mail invalide : {email!r}", f"Invalid e-mail address: {email!r}",
                           code="account.bad_email")
    return value


def check_password_policy(password: str, email: str) -> None:
    """At least 12 characters (NIST SP 800-63B §3.1.1.2 asks 8 at least; a shared workspace
    deserves more), at most 1024, and not the account's e-mail or its local part."""
    if len(password) < MIN_PASSWORD_LENGTH:
        raise WeakPassword(
            f"Le mot de passe doit compter au moins {MIN_PASSWORD_LENGTH} caractères.",
            f"The password must be at least {MIN_PASSWORD_LENGTH} characters long.")
    if len(password) > MAX_PASSWORD_LENGTH:
        raise WeakPassword(
            f"Le mot de passe ne doit pas dépasser {MAX_PASSWORD_LENGTH} caractères.",
            f"The password must be at most {MAX_PASSWORD_LENGTH} characters long.")
    lowered = password.strip().lower()
    email = email.strip().lower()
    if lowered in {email, email.partition("@")[0]}:
        raise WeakPassword("Le mot de passe ne doit pas être votre adresse e-mail.",
                           "The password must not be your e-mail address.")


def token_digest(token: str) -> str:
    """What the database keeps of a session or invitation token."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def role_allows(role: str, required: str) -> bool:
    return ROLE_RANK.get(role, 0) >= ROLE_RANK[required]


# --- the service -----------------------------------------------------------------------------

class Accounts:
    """Accounts and sessions on one database. `clock` is injectable (tests move time)."""

    def __init__(self, database: Database, *, clock: Clock = utc_now,
                 policy: AccountPolicy | None = None, hasher: PasswordHasher | None = None) -> None:
        self.database = database
        self.clock = clock
        self.policy = policy or AccountPolicy()
        # argon2-cffi's defaults are Argon2id with RFC 9106's low-memory profile.
        self.hasher = hasher or PasswordHasher()
        self._dummy_hash = self.hasher.hash(secrets.token_urlsafe(16))

    # -- creating accounts --------------------------------------------------------------------
    def create_administrator(self, email: str, name: str, password: str, *,
                             actor: str = "cli", origin: str | None = None) -> User:
        """A ready-to-use administrator (`issuer admin create`)."""
        return self._create(email, name, password, role="administrator", actor=actor, origin=origin)

    def create_user(self, email: str, name: str, password: str, *, role: str = "coordinator",
                    actor: str = "cli", origin: str | None = None) -> User:
        """A ready-to-use account of any role (scripts and tests; people are invited)."""
        return self._create(email, name, password, role=role, actor=actor, origin=origin)

    def _create(self, email: str, name: str, password: str, *, role: str, actor: str,
                origin: str | None) -> User:
        if role not in USER_ROLES:
            raise InvalidInput(f"Rôle inconnu : {role}", f"Unknown role: {role}", code="account.bad_role")
        email = normalise_email(email)
        check_password_policy(password, email)
        password_hash = self.hasher.hash(password)
        with self.database.session() as session:
            if self._by_email(session, email) is not None:
                raise _exists(email)
            user = User(id=str(uuid.uuid4()), email=email, display_name=_clean_name(name, email),
                        role=role, password_hash=password_hash, created_at=self.clock())
            session.add(user)
            session.flush()
            record_audit(session, actor=actor, action="account.created", subject=user.id,
                         details={"role": role}, origin=origin)
        return user

    def invite_coordinator(self, by_user: User, email: str, name: str, *,
                           role: str = "coordinator", origin: str | None = None) -> tuple[User, str]:
        """An account without a password and a one-time invitation token (to put in the link
        /admin/invitation/<token>; shown once, stored hashed). Inviting again someone who has
        not yet chosen a password replaces their earlier invitation."""
        if not role_allows(by_user.role, "administrator"):
            raise AccountError("Seul un administrateur peut inviter.",
                               "Only an administrator can invite.", code="account.forbidden")
        if role not in USER_ROLES:
            raise InvalidInput(f"Rôle inconnu : {role}", f"Unknown role: {role}", code="account.bad_role")
        email = normalise_email(email)
        token = secrets.token_urlsafe(32)
        now = self.clock()
        with self.database.session() as session:
            user = self._by_email(session, email)
            if user is not None and (user.password_hash or user.disabled_at is not None):
                raise _exists(email)
            if user is None:
                user = User(id=str(uuid.uuid4()), email=email, role=role, created_at=now,
                            display_name=_clean_name(name, email))
                session.add(user)
            else:
                user.display_name = _clean_name(name, email)
                user.role = role
            user.invitation_token_hash = token_digest(token)
            user.invitation_expires_at = now + self.policy.invitation_lifetime
            user.invited_by = by_user.id
            session.flush()
            record_audit(session, actor=by_user.email, action="account.invited", subject=user.id,
                         details={"role": role}, origin=origin)
        return user, token

    def invitation_user(self, token: str) -> User:
        """The invited account a token opens; `InvitationInvalid` when used or expired."""
        with self.database.session(read_only=True) as session:
            return self._invited(session, token)

    def accept_invitation(self, token: str, password: str, *, origin: str | None = None) -> User:
        """Set the invited account's password; the token then stops working."""
        with self.database.session() as session:
            user = self._invited(session, token)
            check_password_policy(password, user.email)
            user.password_hash = self.hasher.hash(password)
            user.invitation_token_hash = None
            user.invitation_expires_at = None
            record_audit(session, actor=user.email, action="account.activated", subject=user.id,
                         origin=origin)
        return user

    def _invited(self, session: Session, token: str) -> User:
        user = session.scalar(select(User).where(User.invitation_token_hash == token_digest(token)))
        if (user is None or user.disabled_at is not None or user.invitation_expires_at is None
                or user.invitation_expires_at <= self.clock()):
            raise InvitationInvalid()
        return user

    def disable(self, by_user: User, user_id: str, *, origin: str | None = None) -> User:
        """Close an account: it can no longer sign in, and its sessions end now."""
        if not role_allows(by_user.role, "administrator"):
            raise AccountError("Seul un administrateur peut désactiver un compte.",
                               "Only an administrator can disable an account.", code="account.forbidden")
        if user_id == by_user.id:
            raise AccountError("Vous ne pouvez pas désactiver votre propre compte.",
                               "You cannot disable your own account.", code="account.self_disable")
        with self.database.session() as session:
            user = session.get(User, user_id)
            if user is None:
                raise NotFound("Compte introuvable.", "Account not found.", code="account.not_found")
            if user.disabled_at is None:
                user.disabled_at = self.clock()
                user.invitation_token_hash = None
                session.execute(delete(UserSession).where(UserSession.user_id == user.id))
                record_audit(session, actor=by_user.email, action="account.disabled",
                             subject=user.id, origin=origin)
        return user

    def list_users(self) -> list[User]:
        with self.database.session(read_only=True) as session:
            return list(session.scalars(select(User).order_by(User.role, User.email)))

    def get_user(self, user_id: str) -> User | None:
        with self.database.session(read_only=True) as session:
            return session.get(User, user_id)

    # -- signing in ---------------------------------------------------------------------------
    def authenticate(self, email: str, password: str, origin: str | None) -> User:
        """The account these credentials open, or `InvalidCredentials` / `AccountLocked`.
        Every outcome is recorded (attempt row and audit line)."""
        now = self.clock()
        try:
            email = normalise_email(email)
        except InvalidInput:
            email = (email or "").strip().lower()[:254]
        with self.database.session() as session:
            user = self._by_email(session, email)
            subject = user.id if user is not None else "-"
            actor = user.email if user is not None else ANONYMOUS_ACTOR
            origin_wait = self._origin_wait(session, origin, now)
            account_wait = self._account_wait(session, user, email, now)
            refusal: AccountError
            if origin_wait or account_wait:
                # Same Argon2 cost as a real check, so a lock cannot be told apart by timing.
                self._verify(self._dummy_hash, password)
                session.add(LoginAttempt(email=email, origin=origin, at=now, succeeded=False))
                record_audit(session, actor=actor, action="login.refused_locked", subject=subject,
                             details={"per_origin": bool(origin_wait)}, origin=origin)
                refusal = AccountLocked(origin_wait or account_wait, per_origin=bool(origin_wait))
            else:
                usable_hash = (user.password_hash if user is not None and user.disabled_at is None
                               else None)
                # An unknown, disabled or not yet activated account costs the same check.
                stored_hash = usable_hash or self._dummy_hash
                matched = self._verify(stored_hash, password) and usable_hash is not None
                session.add(LoginAttempt(email=email, origin=origin, at=now, succeeded=matched))
                if matched and user is not None:
                    user.failed_logins = 0
                    user.locked_until = None
                    user.last_login_at = now
                    if self.hasher.check_needs_rehash(stored_hash):
                        user.password_hash = self.hasher.hash(password)
                    record_audit(session, actor=actor, action="login.succeeded", subject=subject,
                                 origin=origin)
                    return user
                details: dict[str, object] = {"known_account": user is not None}
                if user is not None:
                    user.failed_logins = (user.failed_logins or 0) + 1
                    if user.failed_logins >= self.policy.max_failures:
                        user.locked_until = now + self.policy.lockout
                        user.failed_logins = 0
                        details["locked"] = True
                record_audit(session, actor=actor, action="login.failed", subject=subject,
                             details=details, origin=origin)
                refusal = InvalidCredentials()
        # Raised after the block so that the attempt and the audit line are committed.
        raise refusal

    def _verify(self, stored_hash: str, password: str) -> bool:
        try:
            return self.hasher.verify(stored_hash, password[:MAX_PASSWORD_LENGTH])
        except (VerifyMismatchError, VerificationError, InvalidHashError):
            return False

    def _origin_wait(self, session: Session, origin: str | None, now: datetime) -> int:
        if origin is None:
            return 0
        since = now - self.policy.lockout
        failures = session.execute(
            select(func.count(), func.min(LoginAttempt.at)).where(
                LoginAttempt.origin == origin, LoginAttempt.at > since,
                LoginAttempt.succeeded.is_(False))).one()
        if failures[0] < self.policy.max_failures_per_origin:
            return 0
        return _seconds_until(failures[1] + self.policy.lockout, now)

    def _account_wait(self, session: Session, user: User | None, email: str, now: datetime) -> int:
        if user is not None:
            if user.locked_until is not None and user.locked_until > now:
                return _seconds_until(user.locked_until, now)
            return 0
        # No account: lock the address the same way, from the attempts, so that the answers
        # do not reveal which addresses have an account.
        attempts = session.scalars(
            select(LoginAttempt.at).where(LoginAttempt.email == email,
                                          LoginAttempt.at > now - self.policy.lockout)
            .order_by(LoginAttempt.at)).all()
        if len(attempts) < self.policy.max_failures:
            return 0
        return _seconds_until(attempts[self.policy.max_failures - 1] + self.policy.lockout, now)

    # -- sessions -----------------------------------------------------------------------------
    def create_session(self, user: User, *, origin: str | None = None,
                       user_agent: str | None = None) -> str:
        """A new session for `user`; returns the token for the cookie (never stored)."""
        token = secrets.token_urlsafe(32)
        now = self.clock()
        with self.database.session() as session:
            session.add(UserSession(token_hash=token_digest(token), user_id=user.id, created_at=now,
                                    last_seen_at=now, expires_at=now + self.policy.absolute_timeout,
                                    origin=origin, user_agent=(user_agent or "")[:300] or None))
            # Housekeeping: sessions past their end, and attempts older than any window that
            # counts them, are of no use to anyone (the audit trail keeps every sign-in).
            session.execute(delete(UserSession).where(UserSession.expires_at <= now))
            kept_since = now - max(ATTEMPTS_KEPT, self.policy.lockout)
            session.execute(delete(LoginAttempt).where(LoginAttempt.at < kept_since))
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

    def _by_email(self, session: Session, email: str) -> User | None:
        return session.scalar(select(User).where(User.email == email))


def _clean_name(name: str, email: str) -> str:
    """The account's name by the rule of every person's name (issuer.names); the address's
    local part when none is given."""
    return check_person_name(name, required=False) or email.partition("@")[0]


def _exists(email: str) -> AccountExists:
    return AccountExists(f"Un compte existe déjà pour {email}.",
                         f"An account already exists for {email}.")


def _seconds_until(moment: datetime, now: datetime) -> int:
    return max(1, int((moment - now).total_seconds() + 0.999))
