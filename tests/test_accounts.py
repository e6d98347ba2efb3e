"""Accounts of the workspace (issue #4 item 1), without the web: passwords, sign-in, lockout,
sessions, invitations, and their audit lines. The rules that touch the database run on
SQLite and on PostgreSQL (`database_url`)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from argon2 import PasswordHasher
from click.testing import CliRunner
from sqlalchemy import select

from issuer.errors import InvalidInput
from issuer.openbadges.credential import normalise_email
from issuer.storage.db import Database, sqlite_url
from issuer.storage.models import AuditEntry
from issuer.storage.workspace_models import LoginAttempt, User, UserSession
from issuer.tokens import token_digest
from issuer.workspace.account_policy import AccountPolicy
from issuer.workspace.accounts import (
    AccountError,
    AccountExists,
    Accounts,
    InvalidCredentials,
    InvitationInvalid,
    SignInThrottled,
    WeakPassword,
    check_password_policy,
)
from issuer.workspace.sign_in_throttle import ThrottlePolicy
from tests.plugins.admin import fast_hasher

PASSWORD = "un mot de passe assez long"
ORIGIN = "192.0.2.10"


class FakeClock:
    def __init__(self) -> None:
        self.now = datetime(2025, 7, 11, 9, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


def _accounts(url: str, clock: FakeClock, hasher: PasswordHasher | None = None) -> Iterator[Accounts]:
    database = Database(url)
    database.migrate()
    try:
        yield Accounts(database, clock=clock, hasher=hasher or fast_hasher())
    finally:
        database.dispose()


@pytest.fixture
def accounts(database_url: str, clock: FakeClock) -> Iterator[Accounts]:
    """On SQLite and on PostgreSQL."""
    yield from _accounts(database_url, clock)


@pytest.fixture
def sqlite_accounts(tmp_path, clock: FakeClock) -> Iterator[Accounts]:
    yield from _accounts(sqlite_url(tmp_path / "accounts.sqlite3"), clock)


def audit_lines(accounts: Accounts, prefix: str = "") -> list[AuditEntry]:
    with accounts.database.session(read_only=True) as session:
        return [entry for entry in session.scalars(select(AuditEntry).order_by(AuditEntry.id))
                if entry.action.startswith(prefix)]


# --- passwords -------------------------------------------------------------------------------

def test_passwords_are_stored_as_argon2id_hashes(tmp_path, clock: FakeClock) -> None:
    # The production hasher (argon2-cffi defaults), not the tests' cheap one.
    for accounts in _accounts(sqlite_url(tmp_path / "a.sqlite3"), clock, PasswordHasher()):
        user = accounts.create_administrator("Cheffe@Ville-Roubaix.example", "La Cheffe", PASSWORD)
        with accounts.database.session(read_only=True) as session:
            stored = session.get(User, user.id)
        assert stored is not None and stored.password_hash is not None
        assert stored.password_hash.startswith("$argon2id$")
        assert PASSWORD not in stored.password_hash
        assert stored.email == "cheffe@ville-roubaix.example"
        assert stored.role == "administrator"


@pytest.mark.parametrize("password", ["court", "onze caract", "cheffe@ville-roubaix.example",
                                      "CHEFFE@VILLE-ROUBAIX.EXAMPLE", "cheffe-cheffe", "x" * 1025])
def test_weak_passwords_are_refused_in_french(password: str) -> None:
    email = "cheffe@ville-roubaix.example"
    if password == "cheffe-cheffe":
        email = "cheffe-cheffe@ville-roubaix.example"
    with pytest.raises(WeakPassword) as refused:
        check_password_policy(password, email)
    assert refused.value.message("fr").startswith("Le mot de passe")


def test_twelve_characters_that_are_not_the_email_are_accepted() -> None:
    check_password_policy("douze carac.", "cheffe@ville-roubaix.example")


def test_a_second_account_for_the_same_email_is_refused(sqlite_accounts: Accounts) -> None:
    sqlite_accounts.create_administrator("cheffe@ville-roubaix.example", "A", PASSWORD)
    with pytest.raises(AccountExists):
        sqlite_accounts.create_user(" CHEFFE@ville-roubaix.example ", "B", PASSWORD)


# --- sign-in, lockout ------------------------------------------------------------------------

@pytest.mark.parametrize("email", ["camille@@ville-roubaix.fr", "camille@ville.r",
                                   "camille<x>@ville-roubaix.fr", "camille;x@ville-roubaix.fr"])
def test_accounts_refuse_the_addresses_recipients_refuse(sqlite_accounts: Accounts,
                                                          email: str) -> None:
    # One rule for every e-mail address (issuer.openbadges.credential.normalise_email): these were once
    # accepted for an account although a badge could never be sent to them.
    with pytest.raises(InvalidInput) as refused:
        sqlite_accounts.create_user(email, "Camille", PASSWORD)
    assert refused.value.code == "recipient.bad_email"


def test_account_email_is_stored_in_the_recipients_form(sqlite_accounts: Accounts) -> None:
    user = sqlite_accounts.create_user("  Camille.Martin@Ville-Roubaix.FR ", "Camille", PASSWORD)
    assert user.email == normalise_email(" Camille.Martin@Ville-Roubaix.FR") \
        == "camille.martin@ville-roubaix.fr"
    assert sqlite_accounts.authenticate("CAMILLE.MARTIN@ville-roubaix.fr", PASSWORD,
                                        ORIGIN).id == user.id


def test_right_password_signs_in_and_is_audited(accounts: Accounts) -> None:
    user = accounts.create_user("coord@ville-roubaix.example", "Coord", PASSWORD)
    signed_in = accounts.authenticate("Coord@Ville-Roubaix.example", PASSWORD, ORIGIN)
    assert signed_in.id == user.id
    [line] = audit_lines(accounts, "login.")
    assert (line.action, line.actor, line.subject, line.origin) == (
        "login.succeeded", "coord@ville-roubaix.example", user.id, ORIGIN)


def test_wrong_password_is_refused_recorded_and_audited(accounts: Accounts) -> None:
    user = accounts.create_user("coord@ville-roubaix.example", "Coord", PASSWORD)
    with pytest.raises(InvalidCredentials) as refused:
        accounts.authenticate("coord@ville-roubaix.example", "pas le bon mot de passe", ORIGIN)
    assert refused.value.message("fr") == "Adresse e-mail ou mot de passe incorrect."
    [line] = audit_lines(accounts, "login.")
    assert (line.action, line.subject, line.origin) == ("login.failed", user.id, ORIGIN)
    with accounts.database.session(read_only=True) as session:
        [attempt] = session.scalars(select(LoginAttempt)).all()
    assert attempt.succeeded is False and attempt.origin == ORIGIN


def test_after_five_failures_this_client_waits_longer_each_time_then_signs_in(
        accounts: Accounts, clock: FakeClock) -> None:
    accounts.create_user("coord@ville-roubaix.example", "Coord", PASSWORD)
    for _ in range(5):
        with pytest.raises(InvalidCredentials):
            accounts.authenticate("coord@ville-roubaix.example", "mauvais mot de passe", ORIGIN)
    waits = []
    for _ in range(3):
        with pytest.raises(SignInThrottled) as throttled:
            accounts.authenticate("coord@ville-roubaix.example", PASSWORD, ORIGIN)
        waits.append(throttled.value.retry_after)
        clock.advance(seconds=throttled.value.retry_after)
        with pytest.raises(InvalidCredentials):
            accounts.authenticate("coord@ville-roubaix.example", "mauvais mot de passe", ORIGIN)
    assert waits == [30, 60, 120]
    assert throttled.value.code == "account.throttled"
    assert "Réessayez dans 2 min" in throttled.value.message("fr")
    clock.advance(minutes=4)
    assert accounts.authenticate("coord@ville-roubaix.example", PASSWORD, ORIGIN).email == (
        "coord@ville-roubaix.example")
    actions = [line.action for line in audit_lines(accounts, "login.")]
    assert actions == (["login.failed"] * 5 + ["login.owner_alerted"]
                       + ["login.throttled", "login.failed"] * 3 + ["login.succeeded"])


def test_a_success_resets_the_failure_count(sqlite_accounts: Accounts) -> None:
    sqlite_accounts.create_user("coord@ville-roubaix.example", "Coord", PASSWORD)
    for _ in range(4):
        with pytest.raises(InvalidCredentials):
            sqlite_accounts.authenticate("coord@ville-roubaix.example", "mauvais mot de passe", ORIGIN)
    sqlite_accounts.authenticate("coord@ville-roubaix.example", PASSWORD, ORIGIN)
    for _ in range(4):
        with pytest.raises(InvalidCredentials):
            sqlite_accounts.authenticate("coord@ville-roubaix.example", "mauvais mot de passe", ORIGIN)
    sqlite_accounts.authenticate("coord@ville-roubaix.example", PASSWORD, ORIGIN)


def test_unknown_email_gets_the_same_answers_as_a_known_one(sqlite_accounts: Accounts) -> None:
    sqlite_accounts.create_user("coord@ville-roubaix.example", "Coord", PASSWORD)
    answers: dict[str, list[str]] = {}
    for email in ("coord@ville-roubaix.example", "personne@ville-roubaix.example"):
        answers[email] = []
        for _ in range(6):
            try:
                sqlite_accounts.authenticate(email, "mauvais mot de passe", ORIGIN)
            except (InvalidCredentials, SignInThrottled) as refused:
                answers[email].append(refused.message("fr").split(" Réessayez")[0])
    assert answers["coord@ville-roubaix.example"] == answers["personne@ville-roubaix.example"]
    # The typed address of a stranger never reaches the audit trail.
    stranger_lines = [line for line in audit_lines(sqlite_accounts, "login.") if line.subject == "-"]
    assert stranger_lines and all(line.actor == "anonymous" for line in stranger_lines)
    assert all("personne@" not in (line.details_json or "") for line in stranger_lines)


def test_one_address_cannot_try_passwords_on_many_accounts(accounts: Accounts) -> None:
    limited = Accounts(accounts.database, clock=accounts.clock, hasher=accounts.hasher,
                       policy=AccountPolicy(throttle=ThrottlePolicy(max_failures_per_client=6)))
    limited.create_user("victime@ville-roubaix.example", "V", PASSWORD)
    for number in range(6):
        with pytest.raises(InvalidCredentials):
            limited.authenticate(f"essai{number}@ville-roubaix.example", "mauvais mot de passe", ORIGIN)
    with pytest.raises(SignInThrottled) as refused:
        limited.authenticate("victime@ville-roubaix.example", PASSWORD, ORIGIN)
    assert refused.value.code == "account.too_many_attempts"
    # Another address is not held back by this one.
    assert limited.authenticate("victime@ville-roubaix.example", PASSWORD, "198.51.100.7")


def test_disabled_and_invited_accounts_cannot_sign_in(sqlite_accounts: Accounts) -> None:
    admin = sqlite_accounts.create_administrator("cheffe@ville-roubaix.example", "Cheffe", PASSWORD)
    coordinator = sqlite_accounts.create_user("coord@ville-roubaix.example", "Coord", PASSWORD)
    invited, _token = sqlite_accounts.invite_coordinator(admin, "nouveau@ville-roubaix.example", "N")
    sqlite_accounts.disable(admin, coordinator.id)
    for email in (coordinator.email, invited.email):
        with pytest.raises(InvalidCredentials):
            sqlite_accounts.authenticate(email, PASSWORD, ORIGIN)


def test_an_old_hash_is_upgraded_at_sign_in(sqlite_accounts: Accounts) -> None:
    user = sqlite_accounts.create_user("coord@ville-roubaix.example", "Coord", PASSWORD)
    stronger = Accounts(sqlite_accounts.database, clock=sqlite_accounts.clock,
                        hasher=PasswordHasher(time_cost=2, memory_cost=2048, parallelism=1))
    stronger.authenticate(user.email, PASSWORD, ORIGIN)
    with stronger.database.session(read_only=True) as session:
        stored = session.get(User, user.id)
    assert stored is not None and stored.password_hash is not None
    assert "m=2048,t=2,p=1" in stored.password_hash


# --- sessions --------------------------------------------------------------------------------

def test_session_token_is_stored_only_as_a_digest(accounts: Accounts) -> None:
    user = accounts.create_user("coord@ville-roubaix.example", "Coord", PASSWORD)
    token = accounts.create_session(user, origin=ORIGIN, user_agent="Firefox")
    with accounts.database.session(read_only=True) as session:
        [row] = session.scalars(select(UserSession)).all()
    assert row.token_hash == token_digest(token) and token not in row.token_hash
    assert accounts.session_user(token).id == user.id  # type: ignore[union-attr]
    assert accounts.session_user(token + "x") is None
    assert accounts.session_user("") is None


def test_session_ends_after_two_idle_hours(accounts: Accounts, clock: FakeClock) -> None:
    user = accounts.create_user("coord@ville-roubaix.example", "Coord", PASSWORD)
    token = accounts.create_session(user)
    clock.advance(hours=1, minutes=59)
    assert accounts.session_user(token) is not None
    clock.advance(hours=1, minutes=59)  # used just before: still alive
    assert accounts.session_user(token) is not None
    clock.advance(hours=2, seconds=1)
    assert accounts.session_user(token) is None
    clock.advance(seconds=-10)
    assert accounts.session_user(token) is None  # an expired session is gone, not paused


def test_session_ends_twelve_hours_after_sign_in_even_when_used(accounts: Accounts,
                                                                  clock: FakeClock) -> None:
    user = accounts.create_user("coord@ville-roubaix.example", "Coord", PASSWORD)
    token = accounts.create_session(user)
    for _ in range(11):
        clock.advance(hours=1)
        assert accounts.session_user(token) is not None
    clock.advance(minutes=59)
    assert accounts.session_user(token) is not None
    clock.advance(minutes=1)
    assert accounts.session_user(token) is None


def test_ending_a_session_and_disabling_an_account_stop_its_sessions(accounts: Accounts) -> None:
    admin = accounts.create_administrator("cheffe@ville-roubaix.example", "Cheffe", PASSWORD)
    user = accounts.create_user("coord@ville-roubaix.example", "Coord", PASSWORD)
    first, second = accounts.create_session(user), accounts.create_session(user)
    accounts.end_session(first, actor=user.email, origin=ORIGIN)
    assert accounts.session_user(first) is None and accounts.session_user(second) is not None
    accounts.disable(admin, user.id)
    assert accounts.session_user(second) is None
    actions = [line.action for line in audit_lines(accounts)]
    assert "logout" in actions and "account.disabled" in actions


# --- invitations -----------------------------------------------------------------------------

def test_invitation_sets_the_password_once(accounts: Accounts, clock: FakeClock) -> None:
    admin = accounts.create_administrator("cheffe@ville-roubaix.example", "Cheffe", PASSWORD)
    invited, token = accounts.invite_coordinator(admin, "Nouveau@Ville-Roubaix.example", "Nouveau")
    assert invited.role == "coordinator" and invited.password_hash is None
    with accounts.database.session(read_only=True) as session:
        stored = session.get(User, invited.id)
    assert stored is not None and stored.invitation_token_hash == token_digest(token)
    assert accounts.invitation_user(token).id == invited.id
    with pytest.raises(WeakPassword):
        accounts.accept_invitation(token, "trop court")
    accounts.accept_invitation(token, PASSWORD, origin=ORIGIN)
    assert accounts.authenticate("nouveau@ville-roubaix.example", PASSWORD, ORIGIN).id == invited.id
    with pytest.raises(InvitationInvalid):
        accounts.accept_invitation(token, "un autre mot de passe long")
    actions = [(line.action, line.actor) for line in audit_lines(accounts, "account.")]
    assert ("account.invited", "cheffe@ville-roubaix.example") in actions
    assert ("account.activated", "nouveau@ville-roubaix.example") in actions
    details = [line.details for line in audit_lines(accounts, "account.invited")]
    assert details == [{"role": "coordinator"}]


def test_invitation_expires_after_seven_days(sqlite_accounts: Accounts, clock: FakeClock) -> None:
    admin = sqlite_accounts.create_administrator("cheffe@ville-roubaix.example", "Cheffe", PASSWORD)
    _invited, token = sqlite_accounts.invite_coordinator(admin, "nouveau@ville-roubaix.example", "N")
    clock.advance(days=7, seconds=1)
    with pytest.raises(InvitationInvalid) as refused:
        sqlite_accounts.accept_invitation(token, PASSWORD)
    assert "n'est plus valable" in refused.value.message("fr")
    # Inviting again replaces the expired link.
    _again, fresh = sqlite_accounts.invite_coordinator(admin, "nouveau@ville-roubaix.example", "N")
    sqlite_accounts.accept_invitation(fresh, PASSWORD)


def test_only_an_administrator_invites(sqlite_accounts: Accounts) -> None:
    coordinator = sqlite_accounts.create_user("coord@ville-roubaix.example", "Coord", PASSWORD)
    with pytest.raises(AccountError) as refused:
        sqlite_accounts.invite_coordinator(coordinator, "autre@ville-roubaix.example", "Autre")
    assert getattr(refused.value, "code", "") == "account.forbidden"


# --- the command -----------------------------------------------------------------------------

def test_admin_create_command_makes_an_administrator_who_can_sign_in(tmp_path, monkeypatch) -> None:
    from issuer.cli.main import main as cli_main

    for variable in ("ISSUER_DATABASE_URL", "DATABASE_URL", "ISSUER_SETTINGS_FILE"):
        monkeypatch.delenv(variable, raising=False)
    monkeypatch.setenv("ISSUER_HOME", str(tmp_path))
    monkeypatch.delenv("ISSUER_ADMIN_PASSWORD", raising=False)
    runner = CliRunner()
    typed = f"{PASSWORD}\n{PASSWORD}\n"
    result = runner.invoke(cli_main, ["admin", "create", "Cheffe@ville-roubaix.example",
                                      "--name", "La Cheffe"], input=typed)
    assert result.exit_code == 0, result.output
    assert PASSWORD not in result.output  # hidden input is not echoed
    mismatch = runner.invoke(cli_main, ["admin", "create", "autre@ville-roubaix.example"],
                             input=f"{PASSWORD}\nautre chose tapée\n{PASSWORD}\n{PASSWORD}\n")
    assert mismatch.exit_code == 0, mismatch.output
    monkeypatch.setenv("ISSUER_ADMIN_PASSWORD", "court")
    weak = runner.invoke(cli_main, ["admin", "create", "script@ville-roubaix.example"])
    assert weak.exit_code == 1 and "account.weak_password" in weak.output
    database = Database(sqlite_url(tmp_path / "var" / "issuer.sqlite3"))
    try:
        accounts = Accounts(database)
        user = accounts.authenticate("cheffe@ville-roubaix.example", PASSWORD, None)
        assert (user.role, user.display_name) == ("administrator", "La Cheffe")
        assert [u.email for u in accounts.list_users()] == [
            "autre@ville-roubaix.example", "cheffe@ville-roubaix.example"]
    finally:
        database.dispose()
