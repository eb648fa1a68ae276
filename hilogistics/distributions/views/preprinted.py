"""Slips printed in advance: reserve numbers and print them blank, list, reprint, void, open one.

The header search and ``/d/<number>`` open a pre-printed number's page until it is keyed, and
the distribution's page after that (both share the number's registry document).
"""

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from werkzeug.wrappers import Response

from hilogistics.auth.access import ALL_ROLES, acting_user, allow
from hilogistics.auth.models import Role
from hilogistics.db import db
from hilogistics.distributions import queries, services
from hilogistics.distributions.forms import (
    PreprintedChoiceForm,
    PreprintedFilterForm,
    PreprintForm,
    enum_or_none,
)
from hilogistics.distributions.labels import PREPRINTED_LABELS
from hilogistics.distributions.models import PreprintedStatus
from hilogistics.distributions.views.blueprint import bp
from hilogistics.distributions.views.entry import RECORDERS
from hilogistics.distributions.views.pages import _place_id, place_choices
from hilogistics.errors import DomainError
from hilogistics.inputs import DB_INT_MAX
from hilogistics.stock.queries import RowPage
from hilogistics.stock.views.printing import pdf_response, printing, strict_glyphs
from hilogistics.views_support import check_ids, page_args


def _preprint_form(formdata: object = None) -> PreprintForm:
    user = acting_user()
    form = PreprintForm(formdata=formdata) if formdata is not None else PreprintForm(formdata=None)
    choices = place_choices(user, _("— choose a place —"))
    form.location_id.choices = choices[1:] if user.role is Role.TECHNICIAN else choices
    return form


def _back() -> Response:
    return redirect(url_for("distributions.preprinted"))


def _flash_errors(form: PreprintForm | PreprintedChoiceForm) -> None:
    for errors in form.errors.values():
        for message in errors:
            flash(str(message), "error")


@bp.get("/distributions/preprinted")
@allow(ALL_ROLES)
def preprinted() -> str:
    """Pre-printed slip numbers (not yet keyed by default), and the form to print more."""
    user = acting_user()
    form = PreprintedFilterForm(request.args)
    form.location.choices = place_choices(user, _("Any place"))
    form.validate_or_default()
    page_number, per_page = page_args()
    page = RowPage(
        queries.preprinted_query(
            user,
            location_id=_place_id(form.location.data),
            status=enum_or_none(PreprintedStatus, form.status.data),  # type: ignore[arg-type]
        ),
        page=page_number,
        per_page=per_page,
        convert=lambda row: row[0],
    )
    return render_template(
        "distributions/preprinted.html",
        form=form,
        page=page,
        may_act=user.role is not Role.VIEWER,
        preprint_form=_preprint_form(),
        choice_form=PreprintedChoiceForm(formdata=None),
        preprinted_labels=PREPRINTED_LABELS,
    )


@bp.post("/distributions/preprinted/new")
@allow(*RECORDERS)
def preprint() -> Response:
    """Reserve N numbers for a place and day and print them blank, as one PDF."""
    form = _preprint_form(request.form)
    if not form.validate_on_submit():
        _flash_errors(form)
        return _back()
    try:
        slips = services.reserve_slips(
            actor=acting_user(),
            location_id=form.location_id.data,  # type: ignore[arg-type]
            planned_on=form.planned_on.data,  # type: ignore[arg-type]
            count=form.count.data,  # type: ignore[arg-type]
            operation_key=form.operation_key.data,
        )
        body, filename = services.print_blank_slips(
            actor=acting_user(),
            slip_ids=[slip.id for slip in slips],
            printing=printing(),
            strict=strict_glyphs(),
        )
    except DomainError as error:
        db.session.rollback()
        flash(error.message, "error")
        return _back()
    db.session.commit()
    return pdf_response(body, filename)


def _chosen() -> tuple[PreprintedChoiceForm, list[int]]:
    form = PreprintedChoiceForm()
    form.validate_on_submit()
    # Ticked boxes carry row ids; anything else (no row has it) is not a choice at all.
    ids = [
        slip_id
        for slip_id in form.slip_ids.data or []
        if isinstance(slip_id, int) and 1 <= slip_id <= DB_INT_MAX
    ]
    return form, ids


@bp.post("/distributions/preprinted/print")
@allow(*RECORDERS)
def preprinted_print() -> Response:
    """Print the ticked blank slips again (each print logged: "COPY n")."""
    form, ids = _chosen()
    if form.errors:
        _flash_errors(form)
        return _back()
    try:
        body, filename = services.print_blank_slips(
            actor=acting_user(), slip_ids=ids, printing=printing(), strict=strict_glyphs()
        )
    except DomainError as error:
        db.session.rollback()
        flash(error.message, "error")
        return _back()
    db.session.commit()
    return pdf_response(body, filename)


@bp.post("/distributions/preprinted/void")
@allow(*RECORDERS)
def preprinted_void() -> Response:
    """Void the ticked numbers that will not be used, with the reason."""
    form, ids = _chosen()
    if form.errors:
        _flash_errors(form)
        return _back()
    try:
        slips = services.void_slips(actor=acting_user(), slip_ids=ids, note=form.note.data or "")
    except DomainError as error:
        db.session.rollback()
        flash(error.message, "error")
        return _back()
    db.session.commit()
    flash(_("%(n)d numbers voided.", n=len(slips)), "success")
    return _back()


@bp.get("/distributions/preprinted/<int:slip_id>")
@allow(ALL_ROLES)
def preprinted_slip(slip_id: int) -> str:
    """One pre-printed number: place, planned day, status, and how to key or void it."""
    check_ids(slip_id)
    user = acting_user()
    slip = services.visible_preprinted(user, slip_id)
    return render_template(
        "distributions/preprinted_slip.html",
        slip=slip,
        may_act=user.role is not Role.VIEWER and services.may_distribute_at(user, slip.location_id),
        choice_form=PreprintedChoiceForm(formdata=None),
        preprinted_labels=PREPRINTED_LABELS,
    )
