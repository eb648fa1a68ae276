"""The password-guessing throttle, kept in the database so that every worker process shares it.

Rows of ``login_throttles``, by key (``<name>`` is the normalised username, ``<addr>`` the
client address, which is the TCP peer unless ``TRUSTED_PROXIES`` says otherwise):

``user:<name>``
    failures for the username from anywhere; ``max_failures`` of them lock the username.
``pair:<addr>|<name>``
    failures for the username from one address; the same count locks that pair, always.
``addr:<addr>``
    failures from one address for any usernames; past ``max_failures_per_address`` the address
    waits before each further attempt (1 s, doubling after each failure, at most
    ``address_max_delay``). A wait, not a lock: colleagues behind the same office router or
    reverse proxy are slowed down while someone guesses, never shut out for long.
``good:<addr>|<name>``
    when the username last signed in from the address (``window_started_at``).

A username that someone else locked still takes its right password from an address it signed
in from within ``known_address_ttl``, and is not held up there by the address wait either:
guessing from elsewhere cannot lock the owner out of their usual computer. Only failures from
that address itself (the pair) lock it there.
"""

import math
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, or_, select, update

from hilogistics.auth.models import LoginThrottle
from hilogistics.db import begin_write, db, insert_ignoring_conflict

_KEY_LENGTH = 160
_ADDRESS_LENGTH = 64
_MAX_DOUBLINGS = 20  # 2**20 s is far beyond any sensible address_max_delay


@dataclass(frozen=True)
class ThrottlePolicy:
    """How many failures, over what window, lock a username for how long; the address wait."""

    max_failures: int
    max_failures_per_address: int
    window: timedelta
    lockout: timedelta
    known_address_ttl: timedelta = timedelta(days=30)
    address_max_delay: timedelta = timedelta(seconds=60)


@dataclass(frozen=True)
class Verdict:
    """May a password be checked now; if not, until when, and whether the address must wait."""

    allowed: bool
    retry_at: datetime | None = None
    address_wait: bool = False
    # Allowed only because the username signed in from this address before; retry_at and
    # address_wait then say what refuses everyone else.
    excused: bool = False

    def as_refusal(self) -> "Verdict":
        """An excused verdict as everyone else gets it: a wrong password answers like a lock."""
        if not self.excused:
            return self
        return Verdict(allowed=False, retry_at=self.retry_at, address_wait=self.address_wait)

    def retry_in(self, now: datetime) -> timedelta:
        """Time left before the next attempt is considered (zero when allowed)."""
        if self.retry_at is None:
            return timedelta(0)
        return max(self.retry_at - now, timedelta(0))

    def retry_minutes(self, now: datetime) -> int:
        """Whole minutes to wait, rounded up (at least 1)."""
        return max(1, math.ceil(self.retry_in(now).total_seconds() / 60))

    def retry_seconds(self, now: datetime) -> int:
        """Whole seconds to wait, rounded up (at least 1)."""
        return max(1, math.ceil(self.retry_in(now).total_seconds()))


@dataclass(frozen=True)
class _Keys:
    account: str
    pair: str
    address: str
    good: str


def _keys(name: str, address: str) -> _Keys:
    addr = address[:_ADDRESS_LENGTH]
    return _Keys(
        account=f"user:{name}"[:_KEY_LENGTH],
        pair=f"pair:{addr}|{name}"[:_KEY_LENGTH],
        address=f"addr:{addr}"[:_KEY_LENGTH],
        good=f"good:{addr}|{name}"[:_KEY_LENGTH],
    )


def check(*, name: str, address: str, policy: ThrottlePolicy, now: datetime) -> Verdict:
    """Whether a password for ``name`` from ``address`` may be checked at ``now``."""
    keys = _keys(name, address)
    wanted = [keys.account, keys.pair, keys.address, keys.good]
    rows = {
        row.key: row
        for row in db.session.scalars(
            select(LoginThrottle)
            .where(LoginThrottle.key.in_(wanted))
            .execution_options(populate_existing=True)
        )
    }

    def locked_until(key: str) -> datetime | None:
        row = rows.get(key)
        if row is None or row.locked_until is None or row.locked_until <= now:
            return None
        return row.locked_until

    pair = locked_until(keys.pair)
    if pair is not None:
        return Verdict(allowed=False, retry_at=pair)
    good = rows.get(keys.good)
    known = good is not None and good.window_started_at > now - policy.known_address_ttl
    account = locked_until(keys.account)
    if account is not None:
        return Verdict(allowed=known, retry_at=account, excused=known)
    wait = locked_until(keys.address)
    if wait is not None:
        return Verdict(allowed=known, retry_at=wait, address_wait=True, excused=known)
    return Verdict(allowed=True)


def record_failure(*, name: str, address: str, policy: ThrottlePolicy, now: datetime) -> None:
    """Count a wrong password for ``name`` from ``address``; lock or slow down per the policy."""
    begin_write()  # after the password check: hashing never holds SQLite's write lock
    keys = _keys(name, address)
    _count_and_lock(keys.account, now, policy)
    _count_and_lock(keys.pair, now, policy)
    _count_address(keys.address, now, policy)


def record_success(*, name: str, address: str, now: datetime) -> None:
    """Forget the pair's failures, and the username's unless it is locked; remember the address."""
    begin_write()
    keys = _keys(name, address)
    db.session.execute(delete(LoginThrottle).where(LoginThrottle.key == keys.pair))
    # A lock set by guesses from elsewhere stays: the owner signing in here must not reopen it.
    db.session.execute(
        update(LoginThrottle)
        .where(
            LoginThrottle.key == keys.account,
            or_(LoginThrottle.locked_until.is_(None), LoginThrottle.locked_until <= now),
        )
        .values(failures=0, window_started_at=now, locked_until=None)
    )
    _ensure_row(keys.good, now)
    db.session.execute(
        update(LoginThrottle).where(LoginThrottle.key == keys.good).values(window_started_at=now)
    )


def clear_username(name: str) -> None:
    """Lift every lock on ``name`` (an administrator set a new password)."""
    begin_write()
    escaped = name.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    db.session.execute(
        delete(LoginThrottle).where(
            or_(
                LoginThrottle.key == f"user:{name}",
                LoginThrottle.key.like(f"pair:%|{escaped}", escape="\\"),
            )
        )
    )


def locked_until(name: str, now: datetime) -> datetime | None:
    """Until when ``name`` is locked for sign-ins from unknown addresses, or None."""
    return db.session.scalar(
        select(LoginThrottle.locked_until).where(
            LoginThrottle.key == f"user:{name}", LoginThrottle.locked_until > now
        )
    )


def _ensure_row(key: str, now: datetime) -> None:
    db.session.execute(
        insert_ignoring_conflict(
            LoginThrottle.__table__, {"key": key, "failures": 0, "window_started_at": now}
        )
    )


def _count_and_lock(key: str, now: datetime, policy: ThrottlePolicy) -> None:
    # Atomic statements only: several workers may count the same key at the same moment.
    _ensure_row(key, now)
    db.session.execute(
        update(LoginThrottle)
        .where(
            LoginThrottle.key == key,
            LoginThrottle.window_started_at < now - policy.window,
            or_(LoginThrottle.locked_until.is_(None), LoginThrottle.locked_until <= now),
        )
        .values(failures=0, window_started_at=now, locked_until=None)
    )
    db.session.execute(
        update(LoginThrottle)
        .where(LoginThrottle.key == key)
        .values(failures=LoginThrottle.failures + 1)
    )
    db.session.execute(
        update(LoginThrottle)
        .where(
            LoginThrottle.key == key,
            LoginThrottle.failures >= policy.max_failures,
            or_(LoginThrottle.locked_until.is_(None), LoginThrottle.locked_until <= now),
        )
        .values(locked_until=now + policy.lockout, failures=0, window_started_at=now)
    )


def _count_address(key: str, now: datetime, policy: ThrottlePolicy) -> None:
    _ensure_row(key, now)
    # The count starts again only after a whole window without a failure: a guesser who keeps
    # going at the slow pace stays at the slow pace.
    db.session.execute(
        update(LoginThrottle)
        .where(
            LoginThrottle.key == key,
            LoginThrottle.window_started_at < now - policy.window,
            or_(
                LoginThrottle.locked_until.is_(None),
                LoginThrottle.locked_until <= now - policy.window,
            ),
        )
        .values(failures=0, window_started_at=now, locked_until=None)
    )
    db.session.execute(
        update(LoginThrottle)
        .where(LoginThrottle.key == key)
        .values(failures=LoginThrottle.failures + 1)
    )
    failures = db.session.scalar(select(LoginThrottle.failures).where(LoginThrottle.key == key))
    beyond = (failures or 0) - policy.max_failures_per_address
    if beyond < 0:
        return
    delay = min(timedelta(seconds=2 ** min(beyond, _MAX_DOUBLINGS)), policy.address_max_delay)
    db.session.execute(
        update(LoginThrottle).where(LoginThrottle.key == key).values(locked_until=now + delay)
    )
