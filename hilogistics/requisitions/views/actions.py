"""Requisition steps: submit, cancel, review line by line, draft the shipment, cancel a backorder.

Each step is one service call through ``views_support.submit`` (one commit, or a rollback and
the message on the field it names).
"""

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from werkzeug.wrappers import Response

from hilogistics.auth.access import ALL_ROLES, STAFF, acting_user, allow
from hilogistics.auth.models import Role
from hilogistics.db import db
from hilogistics.errors import DomainError
from hilogistics.forms import attach_error
from hilogistics.inputs import bounded_int
from hilogistics.lines.problems import LineProblems
from hilogistics.requisitions import queries, services
from hilogistics.requisitions.forms import (
    CancelBackorderForm,
    CancelForm,
    PrintForm,
    ReviewForm,
    ShipForm,
    SubmitForm,
)
from hilogistics.requisitions.labels import LABELS
from hilogistics.requisitions.models import Requisition, RequisitionStatus
from hilogistics.requisitions.views.blueprint import bp
from hilogistics.requisitions.views.pages import loaded_requisition
from hilogistics.shipments.queries import available_at
from hilogistics.stock.views.pages import MAX_ID
from hilogistics.stock.views.printing import pdf_response, printing, strict_glyphs
from hilogistics.views_support import check_ids, submit

RAISERS = (Role.ADMIN, Role.LOGISTICS, Role.TECHNICIAN)


def _page_url(requisition: Requisition) -> str:
    return url_for("requisitions.page", requisition_id=requisition.id)


def _show_line_problems(
    form: ReviewForm | ShipForm, error: DomainError, rows: dict[int, int] | None = None
) -> None:
    """Each problem on the form's field it names; ``rows`` maps a line's index to the form's."""
    problems = error.problems if isinstance(error, LineProblems) else None
    for problem in problems or [error]:
        field = form_field_of(problem.field, rows)
        attach_error(form, DomainError(problem.message, field=field))


def form_field_of(name: str | None, rows: dict[int, int] | None) -> str | None:
    """``lines-N-x`` of the requisition's lines as the form's ``lines-M-x`` (rows: N → M)."""
    if rows is None or not name or not name.startswith("lines-"):
        return name
    _prefix, index, rest = name.split("-", 2)
    shown = rows.get(int(index)) if index.isdigit() else None
    return f"lines-{shown}-{rest}" if shown is not None else None


@bp.post("/requisitions/<int:requisition_id>/submit")
@allow(*RAISERS)
def submit_for_review(requisition_id: int) -> Response:
    """Submit a draft for review: its lines and figures are frozen."""
    requisition = loaded_requisition(requisition_id)
    form = SubmitForm()
    if form.validate_on_submit():
        response = submit(
            form,
            lambda: services.submit_requisition(actor=acting_user(), requisition_id=requisition.id),
            _("Requisition submitted for review."),
            _page_url(requisition),
            on_error=lambda error: _flash_back(requisition, error),
        )
        if response is not None:
            return response
    return redirect(_page_url(requisition))


def _flash_back(requisition: Requisition, error: DomainError) -> Response:
    flash(error.message, "error")
    return redirect(_page_url(requisition))


@bp.route("/requisitions/<int:requisition_id>/cancel", methods=["GET", "POST"])
@allow(*RAISERS)
def cancel(requisition_id: int) -> Response | str:
    """Cancel a draft, or a submitted requisition that nobody has reviewed yet."""
    requisition = loaded_requisition(requisition_id)
    form = CancelForm()
    if form.validate_on_submit():
        response = submit(
            form,
            lambda: services.cancel_requisition(
                actor=acting_user(),
                requisition_id=requisition.id,
                reason=form.reason.data or "",
            ),
            _("Requisition cancelled."),
            _page_url(requisition),
        )
        if response is not None:
            return response
    return render_template("requisitions/cancel.html", requisition=requisition, form=form)


@bp.route("/requisitions/<int:requisition_id>/review", methods=["GET", "POST"])
@allow(STAFF)
def review(requisition_id: int) -> Response | str:
    """Decide every line: approve all, approve less or reject (with a reason); reserve."""
    requisition = loaded_requisition(requisition_id)
    if requisition.status is not RequisitionStatus.SUBMITTED:
        return redirect(_page_url(requisition))
    form = ReviewForm()
    if request.method == "GET":
        for line in requisition.lines:
            form.lines.append_entry({"line_id": str(line.id)})
    if form.validate_on_submit():
        ids = [bounded_int(entry.form.line_id.data, high=MAX_ID) for entry in form.lines]
        reviews = [
            services.LineReview(
                line_id=line_id or 0,
                decision=entry.form.decision.data or None,
                approved=entry.form.approved.data,
                reason=entry.form.reason.data or "",
            )
            for line_id, entry in zip(ids, form.lines, strict=True)
        ]
        response = submit(
            form,
            lambda: services.review_requisition(
                actor=acting_user(), requisition_id=requisition.id, reviews=reviews
            ),
            _("Review recorded; what was approved is reserved at the warehouse."),
            _page_url(requisition),
            show_error=lambda error: _show_line_problems(form, error),
        )
        if response is not None:
            return response
        requisition = loaded_requisition(requisition_id)
    supplier = requisition.location.supplied_by
    available = (
        available_at(supplier.id, [line.item_id for line in requisition.lines]) if supplier else {}
    )
    return render_template(
        "requisitions/review.html",
        requisition=requisition,
        form=form,
        rows=list(zip(requisition.lines, form.lines, strict=False)),
        supplier=supplier,
        available=available,
        **LABELS,
    )


@bp.route("/requisitions/<int:requisition_id>/ship", methods=["GET", "POST"])
@allow(STAFF)
def ship(requisition_id: int) -> Response | str:
    """Draft the outbound shipment of what goes now; the rest stays reserved as a backorder."""
    requisition = loaded_requisition(requisition_id)
    if requisition.status is not RequisitionStatus.APPROVED:
        return redirect(_page_url(requisition))
    progress = queries.progress_of(requisition.lines)
    waiting = [line for line in requisition.lines if progress[line.id].backorder > 0]
    # The service names a line by its place among all lines; the form lists those waiting.
    rows = {requisition.lines.index(line): shown for shown, line in enumerate(waiting)}
    form = ShipForm()
    if request.method == "GET":
        for line in waiting:
            form.lines.append_entry(
                {"line_id": str(line.id), "quantity": progress[line.id].backorder}
            )
    if form.validate_on_submit():
        quantities = {}
        for entry in form.lines:
            line_id = bounded_int(entry.form.line_id.data, high=MAX_ID)
            if line_id is not None:
                quantities[line_id] = entry.form.quantity.data or 0
        response = submit(
            form,
            lambda: services.create_requisition_shipment(
                actor=acting_user(),
                requisition_id=requisition.id,
                quantities=quantities,
                operation_key=form.operation_key.data or None,
            ),
            _("Shipment drafted: check its lots, then dispatch it."),
            lambda shipment: url_for("shipments.page", shipment_id=shipment.id),
            show_error=lambda error: _show_line_problems(form, error, rows),
        )
        if response is not None:
            return response
    return render_template(
        "requisitions/ship.html",
        requisition=requisition,
        form=form,
        rows=list(zip(waiting, form.lines, strict=False)),
        progress=progress,
        **LABELS,
    )


@bp.route("/requisitions/<int:requisition_id>/lines/<int:line_id>/cancel", methods=["GET", "POST"])
@allow(STAFF)
def cancel_backorder(requisition_id: int, line_id: int) -> Response | str:
    """Give up a line's backorder (some or all), with a reason: its reservation is released."""
    check_ids(line_id)
    requisition = loaded_requisition(requisition_id)
    line = next((ln for ln in requisition.lines if ln.id == line_id), None)
    if line is None:
        return redirect(_page_url(requisition))
    progress = queries.progress_of([line])[line.id]
    form = CancelBackorderForm()
    if form.validate_on_submit():
        response = submit(
            form,
            lambda: services.cancel_backorder(
                actor=acting_user(),
                requisition_id=requisition.id,
                line_id=line.id,
                quantity=form.quantity.data,
                reason=form.reason.data or "",
            ),
            _("Backorder cancelled; its reservation was released."),
            _page_url(requisition),
        )
        if response is not None:
            return response
    return render_template(
        "requisitions/cancel_backorder.html",
        requisition=requisition,
        line=line,
        progress=progress,
        form=form,
    )


@bp.post("/requisitions/<int:requisition_id>/print")
@allow(ALL_ROLES)
def print_form(requisition_id: int) -> Response:
    """One logged print of the requisition form as a PDF ("COPY n" from the second on)."""
    requisition = loaded_requisition(requisition_id)
    form = PrintForm()
    if not form.validate_on_submit():
        return redirect(_page_url(requisition))
    try:
        body, filename = services.print_requisition(
            actor=acting_user(),
            requisition_id=requisition.id,
            printing=printing(),
            strict=strict_glyphs(),
        )
    except DomainError as error:
        db.session.rollback()
        flash(error.message, "error")
        return redirect(_page_url(requisition))
    db.session.commit()
    return pdf_response(body, filename)
