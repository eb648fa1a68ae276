"""The one way a view runs a write: call the service, commit once, flash and redirect; or show why.

Every HTML form that changes something goes through :func:`submit`, so the transaction
boundary (STYLE.md section 2: one commit after the service, a rollback on DomainError) is kept
in one place.
"""

from collections.abc import Callable
from typing import TypeVar

from flask import flash, redirect
from flask_wtf import FlaskForm
from werkzeug.wrappers import Response

from hilogistics.db import db
from hilogistics.errors import DomainError
from hilogistics.forms import attach_error

T = TypeVar("T")


def submit(
    form: FlaskForm | None,
    call: Callable[[], T],
    success: str | Callable[[T], str],
    redirect_to: str | Callable[[T], str],
    *,
    field_map: Callable[[str | None], str | None] | None = None,
    on_error: Callable[[DomainError], Response | None] | None = None,
    show_error: Callable[[DomainError], object] | None = None,
    after_commit: Callable[[T], object] | None = None,
) -> Response | None:
    """Run ``call`` (one service call); commit, flash ``success`` and redirect to ``redirect_to``.

    ``success`` and ``redirect_to`` may be functions of the service's result; they run after
    the commit. On DomainError: roll back; ``on_error`` may answer instead (a redirect); else
    the error goes on the form field it names (renamed by ``field_map``), or wherever
    ``show_error`` puts it, and None is returned so the view renders the form again.
    ``after_commit(result)`` runs between the commit and the flash.
    """
    try:
        result = call()
    except DomainError as error:
        db.session.rollback()
        if on_error is not None:
            answer = on_error(error)
            if answer is not None:
                return answer
        if field_map is not None:
            error.field = field_map(error.field)
        if show_error is not None:
            show_error(error)
        elif form is not None:
            attach_error(form, error)
        return None
    db.session.commit()
    if after_commit is not None:
        after_commit(result)
    flash(success(result) if callable(success) else success, "success")
    return redirect(redirect_to(result) if callable(redirect_to) else redirect_to)
