"""Deny-by-default access policy: every view declares the roles that may use it."""

from collections.abc import Callable, Iterable
from typing import Any, TypeVar

from flask import Flask, abort, redirect, request, url_for
from flask_login import current_user
from werkzeug.wrappers import Response

from hilogistics.auth.models import Role, User

F = TypeVar("F", bound=Callable[..., Any])

PUBLIC = "public"
ALL_ROLES = frozenset(Role)
STAFF = frozenset({Role.ADMIN, Role.LOGISTICS})
# Endpoints registered by Flask itself, which cannot carry the decorator.
BUILTIN_PUBLIC_ENDPOINTS = frozenset({"static"})


def allow(*roles: Role | Iterable[Role]) -> Callable[[F], F]:
    """Declare which roles may use a view: ``@allow(Role.ADMIN)`` or ``@allow(ALL_ROLES)``."""
    allowed: set[Role] = set()
    for role in roles:
        allowed.update([role] if isinstance(role, Role) else role)
    if not allowed:
        raise ValueError("allow() needs at least one role; use @public for anonymous pages")

    def decorate(view: F) -> F:
        view.access = frozenset(allowed)  # type: ignore[attr-defined]
        return view

    return decorate


def public(view: F) -> F:
    """Declare a view open to anonymous visitors (login page, language switch)."""
    view.access = PUBLIC  # type: ignore[attr-defined]
    return view


def policy_of(app: Flask, endpoint: str) -> frozenset[Role] | str | None:
    """The declared policy of an endpoint, or None when it declares none (denied)."""
    if endpoint in BUILTIN_PUBLIC_ENDPOINTS:
        return PUBLIC
    view = app.view_functions.get(endpoint)
    return getattr(view, "access", None)


def enforce_policy(app: Flask) -> Response | None:
    """before_request hook: refuse anything not explicitly allowed for the current user."""
    if request.endpoint is None:
        return None  # no route matched: the 404/405 handler answers
    policy = policy_of(app, request.endpoint)
    if policy is None:
        app.logger.error("endpoint %s declares no access policy; denied", request.endpoint)
        abort(403)
    if policy == PUBLIC:
        return None
    if not current_user.is_authenticated:
        return redirect(url_for("auth.login", next=request.full_path.rstrip("?")))
    if current_user.role not in policy:
        abort(403)
    return None


def acting_user() -> User:
    """The signed-in user as a plain model instance, to pass to services as ``actor``."""
    return current_user._get_current_object()  # type: ignore[attr-defined]
