"""Account operations: sign-in with a shared throttle, user administration, passwords."""

import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cache

from flask_babel import gettext as _
from sqlalchemy import func, or_, select, update
from sqlalchemy.exc import IntegrityError
from werkzeug.security import check_password_hash, generate_password_hash

from hilogistics.auth.models import LoginThrottle, Role, User
from hilogistics.db import begin_write, db, insert_ignoring_conflict, utcnow
from hilogistics.errors import ConflictError, DomainError, PermissionDeniedError
from hilogistics.locations.models import Location

MIN_PASSWORD_LENGTH = 8
# Long enough for any passphrase, short enough that hashing it cannot be used to tie up a worker.
MAX_PASSWORD_LENGTH = 1024
USERNAME_PATTERN = re.compile(r"^[a-z0-9][a-z0-9._-]{1,63}$")


@dataclass(frozen=True)
class ThrottlePolicy:
    """How many failures, over what window, lock a key for how long."""

    max_failures: int
    max_failures_per_address: int
    window: timedelta
    lockout: timedelta


@dataclass(frozen=True)
class LoginResult:
    """Outcome of a sign-in attempt: the user, or why not (never which of name or password)."""

    user: User | None
    locked: bool = False


@cache
def _dummy_hash() -> str:
    return generate_password_hash("not a real password", method="scrypt")


def normalise_username(username: str) -> str:
    """Usernames compare without case and surrounding spaces."""
    return username.strip().lower()


def authenticate(
    *,
    username: str,
    password: str,
    address: str,
    policy: ThrottlePolicy,
    now: datetime | None = None,
) -> LoginResult:
    """Check a username and password, counting failures per username and per client address.

    Unknown user and wrong password give the same result and cost the same time. While a key is
    locked the password is not even checked. Writes the throttle rows; the caller commits.
    """
    now = now or utcnow()
    name = normalise_username(username)
    keys = [f"user:{name}"[:160], f"addr:{address}"[:160]]
    if _is_locked(keys, now):
        return LoginResult(user=None, locked=True)
    user = db.session.scalar(select(User).where(User.username == name)) if name else None
    if user is None:
        check_password_hash(_dummy_hash(), password)
    elif user.check_password(password) and user.is_active:
        _clear_failures(keys[0])
        user.last_login_at = now
        return LoginResult(user=user)
    _record_failure(keys[0], now, policy.max_failures, policy)
    _record_failure(keys[1], now, policy.max_failures_per_address, policy)
    return LoginResult(user=None, locked=_is_locked(keys, now))


def _is_locked(keys: list[str], now: datetime) -> bool:
    locked = db.session.scalar(
        select(func.count())
        .select_from(LoginThrottle)
        .where(LoginThrottle.key.in_(keys), LoginThrottle.locked_until > now)
    )
    return bool(locked)


def _record_failure(key: str, now: datetime, limit: int, policy: ThrottlePolicy) -> None:
    # Atomic statements only: several workers may count the same key at the same moment.
    begin_write()
    table = LoginThrottle.__table__
    db.session.execute(
        insert_ignoring_conflict(table, {"key": key, "failures": 0, "window_started_at": now})
    )
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
            LoginThrottle.failures >= limit,
            or_(LoginThrottle.locked_until.is_(None), LoginThrottle.locked_until <= now),
        )
        .values(locked_until=now + policy.lockout, failures=0, window_started_at=now)
    )


def _clear_failures(key: str) -> None:
    begin_write()
    db.session.execute(
        update(LoginThrottle).where(LoginThrottle.key == key).values(failures=0, locked_until=None)
    )


def _require_admin(actor: User | None) -> None:
    # actor None is the command line, run by whoever administers the server.
    if actor is not None and actor.role is not Role.ADMIN:
        raise PermissionDeniedError(_("Only an administrator may manage accounts."))


def _check_password_rules(password: str, field: str = "password") -> None:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise DomainError(
            _("The password must have at least %(n)d characters.", n=MIN_PASSWORD_LENGTH),
            field=field,
        )
    if len(password) > MAX_PASSWORD_LENGTH:
        raise DomainError(
            _("The password must have at most %(n)d characters.", n=MAX_PASSWORD_LENGTH),
            field=field,
        )


def _resolve_location(role: Role, location_id: int | None) -> Location | None:
    if role is not Role.TECHNICIAN:
        return None
    if location_id is None:
        raise DomainError(_("A technician must belong to a location."), field="location_id")
    location = db.session.get(Location, location_id)
    if location is None or not location.is_active or not location.kind.is_physical:
        raise DomainError(
            _("Choose an active warehouse, centre, school or camp."), field="location_id"
        )
    return location


def _active_admin_count() -> int:
    return (
        db.session.scalar(
            select(func.count()).select_from(User).where(User.role == Role.ADMIN, User.is_active)
        )
        or 0
    )


def create_user(
    *,
    actor: User | None,
    username: str,
    display_name: str,
    role: Role,
    password: str,
    location_id: int | None = None,
    locale: str | None = None,
) -> User:
    """Create an account. Raises DomainError on a bad or taken username, short password."""
    begin_write()
    _require_admin(actor)
    name = normalise_username(username)
    if not USERNAME_PATTERN.match(name):
        raise DomainError(
            _(
                "Use 2 to 64 letters, digits, dots, dashes or underscores, "
                "starting with a letter or digit."
            ),
            field="username",
        )
    if not display_name.strip():
        raise DomainError(_("Enter the person's name."), field="display_name")
    _check_password_rules(password)
    if db.session.scalar(select(User.id).where(User.username == name)) is not None:
        raise ConflictError(
            _("The username %(name)s is already taken.", name=name), field="username"
        )
    user = User(
        username=name,
        display_name=display_name.strip(),
        role=role,
        location=_resolve_location(role, location_id),
        locale=locale or None,
        is_active=True,
        session_version=1,
    )
    user.set_password(password)
    db.session.add(user)
    try:
        with db.session.begin_nested():
            db.session.flush()
    except IntegrityError as exc:  # a concurrent request took the name first
        raise ConflictError(
            _("The username %(name)s is already taken.", name=name), field="username"
        ) from exc
    return user


def update_user(
    *,
    actor: User | None,
    user: User,
    display_name: str,
    role: Role,
    location_id: int | None,
    locale: str | None,
) -> User:
    """Change an account's name, role, location and language. Keeps at least one active admin."""
    begin_write()
    _require_admin(actor)
    if not display_name.strip():
        raise DomainError(_("Enter the person's name."), field="display_name")
    if user.role is Role.ADMIN and role is not Role.ADMIN and user.is_active:
        if _active_admin_count() <= 1:
            raise DomainError(_("This is the last active administrator."), field="role")
    user.display_name = display_name.strip()
    user.location = _resolve_location(role, location_id)
    user.role = role
    user.locale = locale or None
    db.session.flush()
    return user


def reset_password(*, actor: User | None, user: User, new_password: str) -> None:
    """Set a user's password (admin) and end every session that user has open."""
    _require_admin(actor)
    _check_password_rules(new_password, field="new_password")
    begin_write()
    user.set_password(new_password)
    end_sessions(user)


def change_own_password(*, actor: User, current_password: str, new_password: str) -> None:
    """Change the actor's own password after checking the current one; ends their other sessions."""
    if not actor.check_password(current_password):
        raise DomainError(_("The current password is not correct."), field="current_password")
    _check_password_rules(new_password, field="new_password")
    begin_write()  # after the costly password check: the write lock is held only to write
    actor.set_password(new_password)
    end_sessions(actor)


def set_active(*, actor: User | None, user: User, active: bool) -> None:
    """Activate or deactivate an account; deactivation ends all its sessions at once."""
    begin_write()
    _require_admin(actor)
    if not active:
        if actor is not None and actor.id == user.id:
            raise DomainError(_("You cannot deactivate your own account."))
        if user.role is Role.ADMIN and user.is_active and _active_admin_count() <= 1:
            raise DomainError(_("This is the last active administrator."))
        end_sessions(user)
    user.is_active = active
    db.session.flush()


def end_sessions(user: User) -> None:
    """Invalidate every session of ``user`` (the cookie carries the old version)."""
    begin_write()
    db.session.execute(
        update(User).where(User.id == user.id).values(session_version=User.session_version + 1)
    )
    db.session.refresh(user, ["session_version"])


def load_session_user(identity: str) -> User | None:
    """The active user behind a session identity "id.version", or None if stale."""
    user_id, _sep, version = identity.partition(".")
    if not (user_id.isdigit() and version.isdigit()):
        return None
    user = db.session.get(User, int(user_id))
    if user is None or not user.is_active or user.session_version != int(version):
        return None
    return user


def set_preferred_locale(*, actor: User, locale: str) -> None:
    """Remember the language the actor chose, for their next sign-in on any computer."""
    begin_write()
    actor.locale = locale
    db.session.flush()
