"""What views share: the one way a view runs a write, and the arguments of list pages.

Every HTML form that changes something goes through :func:`submit`, so the transaction
boundary (STYLE.md section 2: one commit after the service, a rollback on DomainError) is kept
in one place. Lists read their page with :func:`page_args`; pages with ids in their address
refuse absurd ones with :func:`check_ids`. A document type whose number opens one record's page
registers it with :func:`register_record_page`.
"""

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from flask import abort, current_app, flash, redirect, request, url_for
from flask_wtf import FlaskForm
from werkzeug.wrappers import Response

from hilogistics.auth.models import User
from hilogistics.db import db
from hilogistics.errors import DomainError
from hilogistics.forms import attach_error
from hilogistics.inputs import DB_INT_MAX, MAX_PAGE
from hilogistics.registry.models import Document, DocumentType
from hilogistics.registry.queries import register_page
from hilogistics.stock.queries import MAX_PER_PAGE

T = TypeVar("T")


def page_args() -> tuple[int, int]:
    """The page number and page size the request asks for, within bounds."""
    page = request.args.get("page", 1, type=int)
    per_page = request.args.get("per_page", current_app.config["PER_PAGE"], type=int)
    return min(max(page, 1), MAX_PAGE), min(max(per_page, 1), MAX_PER_PAGE)


def check_ids(*ids: int) -> None:
    """404 for an id no row can have (PostgreSQL would refuse it as out of range)."""
    if any(i > DB_INT_MAX for i in ids):
        abort(404)


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


@dataclass(frozen=True)
class _RecordUrl:
    """The URL of the record a document is (its page by id; id 0, a 404, when it has none)."""

    record_of: Callable[[int], Any]
    endpoint: str
    id_arg: str

    def __call__(self, document: Document) -> str:
        record = self.record_of(document.id)
        return url_for(self.endpoint, **{self.id_arg: record.id if record else 0})


@dataclass(frozen=True)
class _RecordVisible:
    """Whether the reader may see the record a document is."""

    record_of: Callable[[int], Any]
    can_see: Callable[[User, Any], bool]

    def __call__(self, user: User, document: Document) -> bool:
        record = self.record_of(document.id)
        return record is not None and self.can_see(user, record)


def register_record_page(
    type: DocumentType,
    *,
    record_of: Callable[[int], Any],
    endpoint: str,
    id_arg: str,
    can_see: Callable[[User, Any], bool],
) -> None:
    """Register where documents of ``type`` open: the page of the record a document is.

    ``record_of(document_id)`` finds it (a camp, a count…); its page is ``endpoint`` with
    ``id_arg``; the reader sees it when ``can_see(user, record)``.
    """
    # Frozen dataclasses, not closures: registering the same page again compares equal.
    register_page(
        type,
        url=_RecordUrl(record_of, endpoint, id_arg),
        can_see=_RecordVisible(record_of, can_see),
    )
