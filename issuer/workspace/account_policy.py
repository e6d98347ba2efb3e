"""What an account's sign-in and sessions allow: session lifetimes, invitation lifetime and the
sign-in throttle (issuer.workspace.sign_in_throttle), one value per installation."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from issuer.workspace.sign_in_throttle import ThrottlePolicy

Clock = Callable[[], datetime]


@dataclass(frozen=True)
class AccountPolicy:
    throttle: ThrottlePolicy = field(default_factory=ThrottlePolicy)
    idle_timeout: timedelta = timedelta(hours=2)
    absolute_timeout: timedelta = timedelta(hours=12)
    invitation_lifetime: timedelta = timedelta(days=7)
    # A session's last use is written at most this often: a page view is then a read, not a
    # write (on SQLite every write takes the database lock).
    touch_interval: timedelta = timedelta(minutes=1)
