"""Slip actions: print one slip, print a day's slips as one PDF, mark a signed slip returned."""

from flask import flash, redirect, url_for
from flask_babel import gettext as _
from werkzeug.wrappers import Response

from hilogistics.auth.access import ALL_ROLES, acting_user, allow
from hilogistics.db import db
from hilogistics.distributions import services
from hilogistics.distributions.forms import PrintDayForm, PrintForm, ReturnedForm
from hilogistics.distributions.views.blueprint import bp
from hilogistics.distributions.views.entry import RECORDERS
from hilogistics.distributions.views.pages import loaded_distribution, print_day_form
from hilogistics.errors import DomainError
from hilogistics.stock.views.printing import pdf_response, printing, strict_glyphs
from hilogistics.views_support import submit


def _page_url(distribution_id: int) -> str:
    return url_for("distributions.page", distribution_id=distribution_id)


@bp.post("/distributions/<int:distribution_id>/print")
@allow(ALL_ROLES)
def print_slip(distribution_id: int) -> Response:
    """One logged print of the slip as a PDF ("COPY n" from the second on)."""
    distribution = loaded_distribution(distribution_id)
    if not PrintForm().validate_on_submit():
        return redirect(_page_url(distribution.id))
    try:
        body, filename = services.print_slip(
            actor=acting_user(),
            distribution_id=distribution.id,
            printing=printing(),
            strict=strict_glyphs(),
        )
    except DomainError as error:
        db.session.rollback()
        flash(error.message, "error")
        return redirect(_page_url(distribution.id))
    db.session.commit()
    return pdf_response(body, filename)


@bp.post("/distributions/print-day")
@allow(ALL_ROLES)
def print_day() -> Response:
    """Every slip of a place on a day as one PDF, one slip per page, each print logged."""
    form = PrintDayForm()
    form.location_id.choices = print_day_form(acting_user()).location_id.choices
    if not form.validate_on_submit():
        for errors in form.errors.values():
            for message in errors:
                flash(str(message), "error")
        return redirect(url_for("distributions.index"))
    try:
        body, filename = services.print_day(
            actor=acting_user(),
            location_id=form.location_id.data,  # type: ignore[arg-type]
            day=form.day.data,  # type: ignore[arg-type]
            printing=printing(),
            strict=strict_glyphs(),
        )
    except DomainError as error:
        db.session.rollback()
        flash(error.message, "error")
        return redirect(url_for("distributions.index"))
    db.session.commit()
    return pdf_response(body, filename)


@bp.post("/distributions/<int:distribution_id>/returned")
@allow(*RECORDERS)
def returned(distribution_id: int) -> Response:
    """The signed slip came back: mark it returned (once)."""
    distribution = loaded_distribution(distribution_id)
    form = ReturnedForm()
    if not form.validate_on_submit():
        for errors in form.errors.values():
            for message in errors:
                flash(str(message), "error")
        return redirect(_page_url(distribution.id))

    def refused(error: DomainError) -> Response:
        flash(error.message, "error")
        return redirect(_page_url(distribution.id))

    return submit(
        form,
        lambda: services.mark_returned(
            actor=acting_user(),
            distribution_id=distribution.id,
            returned_on=form.returned_on.data,
            note=form.note.data or "",
        ),
        _("The signed slip is marked returned."),
        _page_url(distribution.id),
        on_error=refused,
    ) or redirect(_page_url(distribution.id))
