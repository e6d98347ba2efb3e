"""Accounts of the coordinator's workspace (issue #4 item 1): administrators and coordinators,
passwords, sign-in with throttling (issue #10 item 2), and browser sessions.

The rules live here, not in the web pages: `issuer admin create` and /admin call the same
`Accounts` methods. Every sign-in, success or failure, is written to the audit trail.

Why each rule:
- Passwords are hashed with Argon2id (argon2-cffi's `PasswordHasher`, RFC 9106 parameters),
  never stored or logged in clear; a hash made with older parameters is upgraded at sign-in.
- An unknown e-mail costs the same Argon2 verification as a known one (a dummy hash), and
  gets the same answers and the same delays, so neither timing nor messages tell whether an
  account exists (OWASP Authentication Cheat Sheet, "Authentication and Error Messages").
- Failed sign-ins slow down the client that fails, never lock the account
  (issuer.workspace.sign_in_throttle has the rules and why): failures are counted per (account,
  client), the right password from a client that has not failed always gets through, and the
  owner is told by e-mail once per episode. Whether an attempt may check a password is
  decided before hashing: a refused attempt costs no Argon2 computation. Attempts are in the
  database, so the rules hold across processes.
- Sessions: the browser holds a random token, the database only its SHA-256 (a stolen
  database cannot be replayed as cookies). A session ends after `idle_timeout` without use and
  at the latest `absolute_timeout` after sign-in (OWASP Session Management Cheat Sheet).
- Invitation tokens are stored hashed too and expire after `invitation_lifetime`.
- The audit trail names people by their account id, never a typed e-mail (a stranger may type
  a resident's address into the sign-in form).
"""

from __future__ import annotations

import secrets
import uuid
from datetime import datetime
from typing import NoReturn

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from sqlalchemy import delete, func, or_, select, update
from sqlalchemy.orm import Session

from issuer.errors import InvalidInput, IssuerError, NotFound
from issuer.names import check_person_name
from issuer.openbadges.credential import normalise_email
from issuer.storage.audit_log import record_audit
from issuer.storage.db import Database
from issuer.storage.models import utc_now
from issuer.storage.workspace_models import (
    ANY_ACCOUNT,
    USER_ROLES,
    LoginAttempt,
    SignInThrottle,
    UserSession,
)

# The account, as the web layer sees it (re-exported: pages type the signed-in user with it).
from issuer.storage.workspace_models import User as User
from issuer.tokens import new_token, token_digest
from issuer.workspace.account_policy import AccountPolicy, Clock
from issuer.workspace.account_sessions import BrowserSessions
from issuer.workspace.sign_in_steps import (
    AlertOwner,
    PasswordCheck,
    SignInAlert,
    SignInAttempt,
    forget_old_attempts,
    locked_throttle_row,
    throttle_rows,
)
from issuer.workspace.sign_in_throttle import (
    UNKNOWN_CLIENT,
    FailureCounts,
    Wait,
    alert_due,
    client_key,
    delay_after,
    episode_open,
    remembered_failures,
    under_attack,
    wait_before_attempt,
)

#: Role order: an administrator may do everything a coordinator may.
ROLE_RANK = {"coordinator": 1, "administrator": 2}
MIN_PASSWORD_LENGTH = 12
# Argon2 hashes whatever it is given; a megabyte "password" would still cost one hash, but
# there is no reason to accept more than a long passphrase.
MAX_PASSWORD_LENGTH = 1024
ANONYMOUS_ACTOR = "anonymous"
#: Client addresses named in the owner's alert (the count says how many more there were).
ALERT_CLIENTS_SHOWN = 5


# --- errors ----------------------------------------------------------------------------------

class AccountError(IssuerError):
    code = "account.error"


class InvalidCredentials(AccountError):
    """Wrong e-mail or password. `owner_alerted`: this failure queued the owner's alert
    e-mail (the caller then has it delivered, see issuer.mail)."""

    code = "account.invalid_credentials"

    def __init__(self) -> None:
        super().__init__("Adresse e-mail ou mot de passe incorrect.",
                         "Wrong e-mail address or password.")
        self.owner_alerted = False


class SignInThrottled(AccountError):
    """This client must wait before its next attempt: it failed on this account
    (`account.throttled`), or on too many accounts (`account.too_many_attempts`).
    `retry_after` is in seconds. The account itself is never locked."""

    code = "account.throttled"

    def __init__(self, retry_after: int, *, per_client: bool = False) -> None:
        wait_fr, wait_en = _wait_words(retry_after)
        if per_client:
            super().__init__(
                f"Trop de tentatives de connexion depuis cette adresse. Réessayez dans {wait_fr}.",
                f"Too many sign-in attempts from this address. Try again in {wait_en}.",
                code="account.too_many_attempts")
        else:
            super().__init__(
                f"Trop d'essais infructueux depuis cet appareil. Réessayez dans {wait_fr}.",
                f"Too many failed attempts from this device. Try again in {wait_en}.")
        self.retry_after = retry_after


def _wait_words(seconds: int) -> tuple[str, str]:
    if seconds < 60:
        return f"{seconds} s", f"{seconds} s"
    minutes = -(-seconds // 60)
    return f"{minutes} min", f"{minutes} min"


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


def role_allows(role: str, required: str) -> bool:
    return ROLE_RANK.get(role, 0) >= ROLE_RANK[required]


# --- the service -----------------------------------------------------------------------------

class Accounts(BrowserSessions):
    """Accounts and sessions on one database. `clock` is injectable (tests move time);
    `alert_owner` queues the e-mail telling an account's owner about failed sign-ins (without
    it the episode is still audited)."""

    def __init__(self, database: Database, *, clock: Clock = utc_now,
                 policy: AccountPolicy | None = None, hasher: PasswordHasher | None = None,
                 alert_owner: AlertOwner | None = None) -> None:
        self.database = database
        self.clock = clock
        self.policy = policy or AccountPolicy()
        self.alert_owner = alert_owner
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
        token = new_token()
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
    # Three steps, so that the web app can hash off its event loop under its own cap
    # (issuer.web.admin.auth): `begin_sign_in` decides from the database whether this attempt
    # may check a password at all, and charges it as a failure before any hash, so that
    # concurrent attempts of one client are counted; `check_password` is the Argon2 work only;
    # `finish_sign_in` records the outcome. `authenticate` runs the three in a row.

    def authenticate(self, email: str, password: str, origin: str | None) -> User:
        """The account these credentials open, or `InvalidCredentials` / `SignInThrottled`.
        Every outcome is recorded (attempt row and audit line)."""
        attempt = self.begin_sign_in(email, origin)
        return self.finish_sign_in(attempt, self.check_password(attempt, password))

    # RET503: both paths that fall through end in `_refuse`, which always raises (NoReturn).
    def begin_sign_in(self, email: str, origin: str | None) -> SignInAttempt:  # noqa: RET503
        """May this client check a password for this e-mail now? `SignInThrottled` (no hash,
        no password read) when it must wait; otherwise the attempt, already counted as a
        failure until `finish_sign_in` says otherwise."""
        now = self.clock()
        try:
            email = normalise_email(email)
        except InvalidInput:
            # Counted like any address; never empty, the client's own row has that key.
            email = (email or "").strip().lower()[:254] or "-"
        client = client_key(origin)
        # A read first: a client that must wait takes no write lock (on SQLite every write
        # transaction takes the database's one lock) and, mostly, writes nothing at all.
        with self.database.session(read_only=True) as session:
            pair, own = throttle_rows(session, email, client)
            wait = wait_before_attempt(self._counts(session, email, client, pair, own, now), now,
                                       self.policy.throttle)
        if wait is not None:
            self._refuse(email, client, origin, wait, now)
        with self.database.session() as session:
            own = locked_throttle_row(session, ANY_ACCOUNT, client, now)
            pair = locked_throttle_row(session, email, client, now)
            counts = self._counts(session, email, client, pair, own, now)
            wait = wait_before_attempt(counts, now, self.policy.throttle)
            if wait is None:
                pair.failures = counts.pair_failures + 1
                pair.last_failure_at = own.last_failure_at = now
                pair.updated_at = own.updated_at = now
                row = LoginAttempt(email=email, origin=client, at=now, succeeded=False)
                session.add(row)
                session.flush()
                user = self._by_email(session, email)
                usable = user is not None and user.disabled_at is None and bool(user.password_hash)
                return SignInAttempt(
                    email=email, client=client, origin=origin, at=now, attempt_id=row.id,
                    user_id=user.id if user is not None else None,
                    password_hash=user.password_hash if usable and user is not None else None,
                    failures=pair.failures,
                    attacked=under_attack(counts.account_failures + 1, self.policy.throttle))
        # Another request of this client was charged between the read and the lock.
        self._refuse(email, client, origin, wait, now)

    def check_password(self, attempt: SignInAttempt, password: str) -> PasswordCheck:
        """The Argon2 verification, and a new hash when the stored one has older parameters.
        An unknown, disabled or not yet activated account costs the same check against a
        dummy hash, so timing does not tell whether an account exists."""
        stored = attempt.password_hash or self._dummy_hash
        matched = self._verify(stored, password) and attempt.password_hash is not None
        upgraded = (self.hasher.hash(password[:MAX_PASSWORD_LENGTH])
                    if matched and self.hasher.check_needs_rehash(stored) else None)
        return PasswordCheck(matched=matched, upgraded_hash=upgraded)

    def finish_sign_in(self, attempt: SignInAttempt, check: PasswordCheck) -> User:
        """Record the outcome: the user on success; `InvalidCredentials` otherwise (after the
        attempt, the audit line and, once per episode, the owner's alert are committed)."""
        now = attempt.at
        policy = self.policy.throttle
        refusal: InvalidCredentials
        with self.database.session() as session:
            user = session.get(User, attempt.user_id) if attempt.user_id else None
            row = session.get(LoginAttempt, attempt.attempt_id)
            still_usable = (user is not None and user.disabled_at is None
                            and user.password_hash == attempt.password_hash)
            if check.matched and still_usable and user is not None:
                if row is not None:
                    row.succeeded = True
                # This client is clean again on this account.
                session.execute(delete(SignInThrottle).where(
                    SignInThrottle.email == attempt.email, SignInThrottle.client == attempt.client))
                user.last_login_at = now
                if check.upgraded_hash is not None:
                    user.password_hash = check.upgraded_hash
                record_audit(session, actor=user.email, action="login.succeeded",
                             subject=user.id, origin=attempt.origin)
                return user
            delay = delay_after(attempt.failures, attacked=attempt.attacked, policy=policy)
            details: dict[str, object] = {"known_account": user is not None,
                                          "failures": attempt.failures}
            if delay:
                details["wait_seconds"] = int(delay.total_seconds())
            record_audit(session, actor=user.email if user is not None else ANONYMOUS_ACTOR,
                         action="login.failed", subject=user.id if user is not None else "-",
                         details=details, origin=attempt.origin)
            refusal = InvalidCredentials()
            # Read for every failure, account or not, so that this step takes the same time
            # whether the typed address has an account.
            failures = session.execute(
                select(LoginAttempt.origin, LoginAttempt.at).where(
                    LoginAttempt.email == attempt.email,
                    LoginAttempt.at > now - policy.account_window,
                    LoginAttempt.succeeded.is_(False)).order_by(LoginAttempt.at)).all()
            if user is not None and attempt.password_hash is not None:
                refusal.owner_alerted = self._maybe_alert(
                    session, user, attempt, [(origin, at) for origin, at in failures])
            forget_old_attempts(session, now, self.policy.throttle)
        raise refusal

    def _maybe_alert(self, session: Session, user: User, attempt: SignInAttempt,
                     failures: list[tuple[str | None, datetime]]) -> bool:
        """Tell the owner once per episode of failures (see issuer.workspace.sign_in_throttle).
        `failures`: (client, time) of the account's failures within the account window."""
        policy = self.policy.throttle
        now = attempt.at
        if not episode_open(user.sign_in_alert_at, user.last_failed_login_at, now, policy):
            # Failures had stopped long enough: an earlier alert was about another episode.
            user.sign_in_alert_at = None
        user.last_failed_login_at = now
        if user.sign_in_alert_at is not None:
            return False
        if not alert_due(len(failures), policy):
            return False
        clients = list(dict.fromkeys(origin or UNKNOWN_CLIENT for origin, _at in failures))
        alert = SignInAlert(user_id=user.id, email=user.email, display_name=user.display_name,
                            failures=len(failures), first_failure_at=failures[0][1], at=now,
                            clients=tuple(clients[:ALERT_CLIENTS_SHOWN]),
                            more_clients=max(0, len(clients) - ALERT_CLIENTS_SHOWN))
        user.sign_in_alert_at = now
        details: dict[str, object] = {"failures": alert.failures, "clients": len(clients)}
        queued = False
        if self.alert_owner is not None:
            try:
                # A savepoint: a message that cannot be queued must not undo the attempt's
                # record nor the episode (one alert per episode, even a failed one).
                with session.begin_nested():
                    self.alert_owner(session, alert)
                queued = True
            except (IssuerError, OSError) as error:
                details["error"] = getattr(error, "code", type(error).__name__)
        details["queued"] = queued
        record_audit(session, actor=ANONYMOUS_ACTOR, action="login.owner_alerted",
                     subject=user.id, details=details, origin=attempt.origin)
        return queued

    def _refuse(self, email: str, client: str, origin: str | None, wait: Wait,
                now: datetime) -> NoReturn:
        """Refuse an attempt that must wait. Audited once per waiting period of the client
        (its first refusal after its latest failure), so a flood of refused requests writes
        one line, not one per request."""
        email_key = email if wait.reason == "account_client" else ANY_ACCOUNT
        with self.database.session(read_only=True) as session:
            row = session.get(SignInThrottle, (email_key, client))
            first = row is not None and (row.refused_at is None or row.last_failure_at is None
                                         or row.refused_at < row.last_failure_at)
        if first:
            with self.database.session() as session:
                claimed = session.execute(
                    update(SignInThrottle).where(
                        SignInThrottle.email == email_key, SignInThrottle.client == client,
                        or_(SignInThrottle.refused_at.is_(None),
                            SignInThrottle.last_failure_at.is_(None),
                            SignInThrottle.refused_at < SignInThrottle.last_failure_at))
                    .values(refused_at=now).execution_options(synchronize_session=False))
                if claimed.rowcount == 1:  # type: ignore[attr-defined]
                    user = self._by_email(session, email)
                    record_audit(session, actor=ANONYMOUS_ACTOR, action="login.throttled",
                                 subject=user.id if user is not None else "-",
                                 details={"reason": wait.reason, "wait_seconds": wait.seconds,
                                          "known_account": user is not None},
                                 origin=origin)
        raise SignInThrottled(wait.seconds, per_client=wait.reason == "client")

    def _verify(self, stored_hash: str, password: str) -> bool:
        try:
            return self.hasher.verify(stored_hash, password[:MAX_PASSWORD_LENGTH])
        except (VerifyMismatchError, VerificationError, InvalidHashError):
            return False

    def _counts(self, session: Session, email: str, client: str, pair: SignInThrottle | None,
                own: SignInThrottle | None, now: datetime) -> FailureCounts:
        policy = self.policy.throttle
        client_failures = session.execute(
            select(func.count(), func.min(LoginAttempt.at)).where(
                LoginAttempt.origin == client, LoginAttempt.at > now - policy.client_window,
                LoginAttempt.succeeded.is_(False))).one()
        account_failures = session.scalar(
            select(func.count()).select_from(LoginAttempt).where(
                LoginAttempt.email == email, LoginAttempt.at > now - policy.account_window,
                LoginAttempt.succeeded.is_(False))) or 0
        return FailureCounts(
            pair_failures=(remembered_failures(pair.failures, pair.last_failure_at, now, policy)
                           if pair is not None else 0),
            pair_last_failure_at=pair.last_failure_at if pair is not None else None,
            client_failures=client_failures[0], client_oldest_failure_at=client_failures[1],
            account_failures=account_failures)

    def _by_email(self, session: Session, email: str) -> User | None:
        return session.scalar(select(User).where(User.email == email))


def _clean_name(name: str, email: str) -> str:
    """The account's name by the rule of every person's name (issuer.names); the address's
    local part when none is given."""
    return check_person_name(name, required=False) or email.partition("@")[0]


def _exists(email: str) -> AccountExists:
    return AccountExists(f"Un compte existe déjà pour {email}.",
                         f"An account already exists for {email}.")


