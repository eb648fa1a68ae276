"""Account operations: sign-in with a shared throttle, user administration, passwords."""

import re
from dataclasses import dataclass
from datetime import datetime
from functools import cache

from flask_babel import gettext as _
from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from werkzeug.security import check_password_hash, generate_password_hash

from hilogistics.actors import SystemActor
from hilogistics.auth import throttle
from hilogistics.auth.models import Role, User
from hilogistics.auth.throttle import ThrottlePolicy
from hilogistics.db import begin_write, db, utcnow
from hilogistics.errors import ConflictError, DomainError, PermissionDeniedError
from hilogistics.history.recording import act_as
from hilogistics.locations.models import Location

MIN_PASSWORD_LENGTH = 8
# Long enough for any passphrase, short enough that hashing it cannot be used to tie up a worker.
MAX_PASSWORD_LENGTH = 1024
USERNAME_PATTERN = re.compile(r"^[a-z0-9][a-z0-9._-]{1,63}$")


@dataclass(frozen=True)
class LoginResult:
    """Outcome of a sign-in attempt: the user, or why not (never which of name or password).

    ``verdict`` says, when the throttle refused or now refuses, how long to wait and why.
    """

    user: User | None
    verdict: throttle.Verdict = throttle.Verdict(allowed=True)

    @property
    def locked(self) -> bool:
        """True when the throttle refuses this username from this address for now."""
        return not self.verdict.allowed


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
    """Check a username and password under the throttle (hilogistics.auth.throttle).

    Unknown user and wrong password give the same result and cost the same time, and so does
    an attempt the throttle refuses (its password is not checked). Writes the throttle rows;
    the caller commits.
    """
    now = now or utcnow()
    name = normalise_username(username)
    verdict = throttle.check(name=name, address=address, policy=policy, now=now)
    user = (
        db.session.scalar(select(User).where(User.username == name))
        if name and verdict.allowed
        else None
    )
    if user is None:
        check_password_hash(_dummy_hash(), password)
        if not verdict.allowed:
            return LoginResult(user=None, verdict=verdict)
    elif user.check_password(password) and user.is_active:
        throttle.record_success(name=name, address=address, now=now)
        user.last_login_at = now
        return LoginResult(user=user)
    throttle.record_failure(name=name, address=address, policy=policy, now=now)
    after = throttle.check(name=name, address=address, policy=policy, now=now)
    return LoginResult(user=None, verdict=after.as_refusal())


@dataclass(frozen=True)
class PasswordCheck:
    """Outcome of checking a signed-in user's own password under the throttle."""

    correct: bool
    verdict: throttle.Verdict


def verify_current_password(
    *, actor: User, password: str, address: str, policy: ThrottlePolicy, now: datetime | None = None
) -> PasswordCheck:
    """Check the actor's own password, counted and locked like sign-ins; the caller commits.

    Whoever holds a stolen session must not get unlimited guesses at the password behind it.
    """
    now = now or utcnow()
    name = actor.username
    verdict = throttle.check(name=name, address=address, policy=policy, now=now)
    if not verdict.allowed:
        check_password_hash(_dummy_hash(), password)
        return PasswordCheck(correct=False, verdict=verdict)
    if actor.check_password(password):
        return PasswordCheck(correct=True, verdict=verdict)
    throttle.record_failure(name=name, address=address, policy=policy, now=now)
    after = throttle.check(name=name, address=address, policy=policy, now=now)
    return PasswordCheck(correct=False, verdict=after.as_refusal())


def _require_admin(actor: User | SystemActor | None) -> None:
    # SYSTEM is the command line, run by whoever administers the server; None is a forgotten
    # actor and is refused like any other non-administrator.
    if isinstance(actor, SystemActor):
        return
    if actor is None or actor.role is not Role.ADMIN:
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


def _keep_an_admin(*, actor: User | SystemActor, user: User, field: str | None = None) -> None:
    """Refuse to take ``user`` out of the active administrators when no other would be left.

    The active administrators' rows are locked first (PostgreSQL: FOR UPDATE, in id order;
    SQLite serialises writers at BEGIN IMMEDIATE), so two administrators removing each other
    at the same moment cannot both still count the other one. The second then sees the first's
    change, and also whether it was itself removed meanwhile.
    """
    admins = db.session.scalars(
        select(User.id)
        .where(User.role == Role.ADMIN, User.is_active)
        .order_by(User.id)
        .with_for_update()
    ).all()
    if isinstance(actor, User) and actor.id not in admins:
        raise PermissionDeniedError(_("Only an administrator may manage accounts."))
    if user.id in admins and len(admins) <= 1:
        raise DomainError(_("This is the last active administrator."), field=field)


def account_problems(
    *,
    username: str | None = None,
    display_name: str | None = None,
    role: Role | None = None,
    password: str | None = None,
    location_id: int | None = None,
) -> list[DomainError]:
    """Every problem of an account form's values at once (nothing written), field by field.

    Only the values given are checked (None: not on this form, or already refused by the form),
    so that a form shows all its problems in one pass. The services check them again.
    """
    problems: list[DomainError] = []
    if username is not None:
        name = normalise_username(username)
        if not USERNAME_PATTERN.match(name):
            problems.append(
                DomainError(
                    _(
                        "Use 2 to 64 letters, digits, dots, dashes or underscores, "
                        "starting with a letter or digit."
                    ),
                    field="username",
                )
            )
        elif db.session.scalar(select(User.id).where(User.username == name)) is not None:
            problems.append(
                ConflictError(
                    _("The username %(name)s is already taken.", name=name), field="username"
                )
            )
    if display_name is not None and not display_name.strip():
        problems.append(DomainError(_("Enter the person's name."), field="display_name"))
    if password is not None:
        try:
            _check_password_rules(password)
        except DomainError as error:
            problems.append(error)
    if role is not None:
        try:
            _resolve_location(role, location_id)
        except DomainError as error:
            problems.append(error)
    return problems


def create_user(
    *,
    actor: User | SystemActor,
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
    act_as(actor)
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
    actor: User | SystemActor,
    user: User,
    display_name: str,
    role: Role,
    location_id: int | None,
    locale: str | None,
) -> User:
    """Change an account's name, role, location and language. Keeps at least one active admin."""
    begin_write()
    _require_admin(actor)
    act_as(actor)
    if not display_name.strip():
        raise DomainError(_("Enter the person's name."), field="display_name")
    if role is not Role.ADMIN:
        _keep_an_admin(actor=actor, user=user, field="role")
    user.display_name = display_name.strip()
    user.location = _resolve_location(role, location_id)
    user.role = role
    user.locale = locale or None
    db.session.flush()
    return user


def reset_password(*, actor: User | SystemActor, user: User, new_password: str) -> None:
    """Set a user's password (admin), lift its sign-in locks, and end every session it has open."""
    _require_admin(actor)
    _check_password_rules(new_password, field="new_password")
    begin_write()
    act_as(actor)
    user.set_password(new_password)
    # A new password is also how an administrator lifts a sign-in lock (README, deployment).
    throttle.clear_username(user.username)
    end_sessions(user)


def change_own_password(*, actor: User, current_password: str, new_password: str) -> None:
    """Change the actor's own password after checking the current one; ends their other sessions."""
    if not actor.check_password(current_password):
        raise DomainError(_("The current password is not correct."), field="current_password")
    _check_password_rules(new_password, field="new_password")
    begin_write()  # after the costly password check: the write lock is held only to write
    act_as(actor)
    actor.set_password(new_password)
    end_sessions(actor)


def set_active(*, actor: User | SystemActor, user: User, active: bool) -> None:
    """Activate or deactivate an account; deactivation ends all its sessions at once."""
    begin_write()
    _require_admin(actor)
    act_as(actor)
    if not active:
        if isinstance(actor, User) and actor.id == user.id:
            raise DomainError(_("You cannot deactivate your own account."))
        _keep_an_admin(actor=actor, user=user)
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
