"""Session life cycle: start on sign-in, idle and absolute timeouts, safe redirects."""

import time
from urllib.parse import urlsplit

from flask import current_app, flash, session
from flask_babel import gettext as _
from flask_login import current_user, login_user, logout_user

from hilogistics.auth.models import User
from hilogistics.inputs import has_control_characters

MAX_NEXT_LENGTH = 2000

# Refresh the idle timestamp at most this often, so not every page view rewrites the cookie.
_SEEN_RESOLUTION_S = 60


def start_session(user: User) -> None:
    """Begin a fresh session for ``user``: nothing from the anonymous session is carried over."""
    locale = session.get("locale")
    session.clear()
    login_user(user)
    now = time.time()
    session["auth_at"] = now
    session["seen_at"] = now
    session["locale"] = user.locale or locale
    session.permanent = True


def end_session() -> None:
    """Forget the current session entirely (the cookie is emptied)."""
    logout_user()
    session.clear()


def check_timeouts() -> None:
    """before_request hook: end a session idle or old beyond the configured limits."""
    if not current_user.is_authenticated:
        return
    now = time.time()
    idle = current_app.config["SESSION_IDLE_TIMEOUT"].total_seconds()
    absolute = current_app.config["SESSION_ABSOLUTE_TIMEOUT"].total_seconds()
    auth_at = float(session.get("auth_at", 0))
    seen_at = float(session.get("seen_at", 0))
    if now - auth_at > absolute or now - seen_at > idle:
        end_session()
        flash(_("Your session has ended. Please sign in again."), "info")
        return
    if now - seen_at > _SEEN_RESOLUTION_S:
        session["seen_at"] = now


def safe_next(target: str | None) -> str | None:
    """``target`` if it is a path on this site, else None (no open redirects).

    Control characters are refused too: a line break cannot go into the Location header, and
    browsers drop tabs, so "/", a tab, then "/example.org" would lead off the site.
    """
    if not target or len(target) > MAX_NEXT_LENGTH or has_control_characters(target):
        return None
    if not target.startswith("/") or target.startswith("//") or "\\" in target:
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc:
        return None
    return target
