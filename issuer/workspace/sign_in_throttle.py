"""How failed sign-ins slow a client down (issue #10 item 2): pure rules, no database.

A lock per account lets anyone lock its owner out: five wrong passwords typed by a stranger
used to close the workspace to its only administrator for 15 minutes, as often as the
stranger liked. The rules here slow down the client that fails, never the account's owner
on a client that has not failed (OWASP Authentication Cheat Sheet, "Login Throttling";
OWASP "Blocking Brute Force Attacks": prefer delays to lockouts).

- Failures are counted per (account, client). A client may fail `free_failures` times on an
  account; each further attempt waits `first_delay`, doubled at every new failure, up to
  `max_delay`. A success from that client forgets its failures; so do `failure_memory`
  without failing.
- Account-wide, softer: while an account draws `account_alarm_failures` failures within
  `account_window` from all clients together (a distributed attack), a client that has
  already failed on it gets no free failures (it waits after each one). A client that has not
  failed on the account is never held back, so the owner can still sign in.
- Per client whatever the account (password spraying): at most `max_failures_per_client`
  failures within `client_window`; that client then waits for the oldest to leave the window.
- The account's owner is told by e-mail once per episode: an episode opens when the account
  reaches `alert_failures` failures within `account_window`, and ends after `episode_quiet`
  without a failure.

The service applies these rules *before* hashing (issuer.workspace.accounts): a client that must wait
costs no Argon2 computation.

A client is its address: the TCP peer, or with `issuer serve --proxy-headers` the address the
trusted reverse proxy forwarded. An IPv6 host usually holds a whole /64, so IPv6 clients are
counted per /64 (as issuer.web.rate_limit does), else one host could rotate addresses.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from datetime import datetime, timedelta

IPV6_CLIENT_PREFIX = 64
UNKNOWN_CLIENT = "unknown"


@dataclass(frozen=True)
class ThrottlePolicy:
    free_failures: int = 5
    first_delay: timedelta = timedelta(seconds=30)
    max_delay: timedelta = timedelta(minutes=15)
    failure_memory: timedelta = timedelta(hours=24)
    account_window: timedelta = timedelta(hours=1)
    account_alarm_failures: int = 10
    max_failures_per_client: int = 30
    client_window: timedelta = timedelta(minutes=15)
    alert_failures: int = 5
    episode_quiet: timedelta = timedelta(hours=24)


@dataclass(frozen=True)
class FailureCounts:
    """What the database knows of one attempt's account and client."""

    pair_failures: int                      # this client on this account, not yet forgotten
    pair_last_failure_at: datetime | None
    client_failures: int                    # this client on any account, within client_window
    client_oldest_failure_at: datetime | None
    account_failures: int                   # this account from any client, within account_window


@dataclass(frozen=True)
class Wait:
    """A refused attempt: `seconds` to wait; `reason` is "account_client" (this client failed
    on this account) or "client" (this client failed too often on any account)."""

    seconds: int
    reason: str


def client_key(origin: str | None) -> str:
    """The client an attempt is counted against: its address, or its /64 for IPv6."""
    host = (origin or "").strip()
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return host[:100] or UNKNOWN_CLIENT
    if isinstance(address, ipaddress.IPv6Address):
        if address.ipv4_mapped is not None:
            return str(address.ipv4_mapped)
        return str(ipaddress.IPv6Network((address, IPV6_CLIENT_PREFIX), strict=False))
    return str(address)


def remembered_failures(failures: int, last_failure_at: datetime | None, now: datetime,
                        policy: ThrottlePolicy) -> int:
    """A client's failures on an account, or 0 once `failure_memory` has passed quietly."""
    if last_failure_at is None or now - last_failure_at >= policy.failure_memory:
        return 0
    return max(failures, 0)


def under_attack(account_failures: int, policy: ThrottlePolicy) -> bool:
    return account_failures >= policy.account_alarm_failures


def delay_after(failures: int, *, attacked: bool, policy: ThrottlePolicy) -> timedelta:
    """How long a client waits after its `failures`-th failure on an account."""
    free = 1 if attacked else policy.free_failures
    if failures < max(free, 1):
        return timedelta(0)
    # Capped exponent: 2**30 first delays exceed any sensible maximum already.
    factor: int = 2 ** min(failures - max(free, 1), 30)
    return min(policy.first_delay * factor, policy.max_delay)


def wait_before_attempt(counts: FailureCounts, now: datetime,
                        policy: ThrottlePolicy) -> Wait | None:
    """None when this attempt may check a password; otherwise how long it must wait."""
    waits: list[Wait] = []
    if counts.pair_failures and counts.pair_last_failure_at is not None:
        delay = delay_after(counts.pair_failures,
                            attacked=under_attack(counts.account_failures, policy), policy=policy)
        until = counts.pair_last_failure_at + delay
        if until > now:
            waits.append(Wait(seconds_until(until, now), "account_client"))
    if (counts.client_failures >= policy.max_failures_per_client
            and counts.client_oldest_failure_at is not None):
        until = counts.client_oldest_failure_at + policy.client_window
        if until > now:
            waits.append(Wait(seconds_until(until, now), "client"))
    return max(waits, key=lambda wait: wait.seconds, default=None)


def episode_open(alerted_at: datetime | None, last_failure_at: datetime | None, now: datetime,
                 policy: ThrottlePolicy) -> bool:
    """Whether the owner was already told about the failures going on now: an alert was sent
    and failures have not stopped for `episode_quiet` since."""
    return (alerted_at is not None and last_failure_at is not None
            and now - last_failure_at < policy.episode_quiet)


def alert_due(account_failures: int, policy: ThrottlePolicy) -> bool:
    return account_failures >= policy.alert_failures


def seconds_until(moment: datetime, now: datetime) -> int:
    """Whole seconds from `now` to `moment`, at least 1 (a Retry-After of 0 invites a retry
    that would be refused again)."""
    return max(1, int((moment - now).total_seconds() + 0.999))
