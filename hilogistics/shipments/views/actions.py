"""Shipment actions from its page: print a document, recall, cancel, close a consignment.

Each confirmation page shows what the action does and asks for the reason; the services
check roles and states again, so a stale page is refused with a message, never half-done.
"""

from collections.abc import Callable

from flask import flash, redirect, render_template, url_for
from flask_babel import gettext as _
from werkzeug.wrappers import Response

from hilogistics.auth.access import ALL_ROLES, STAFF, acting_user, allow
from hilogistics.db import db
from hilogistics.errors import DomainError
from hilogistics.inputs import bounded_int
from hilogistics.shipments import services
from hilogistics.shipments.forms import CancelForm, CloseForm, PrintForm, RecallForm
from hilogistics.shipments.labels import STATUS_LABELS
from hilogistics.shipments.views.blueprint import bp
from hilogistics.shipments.views.pages import actions_for, loaded_shipment
from hilogistics.stock.views.pages import MAX_ID
from hilogistics.stock.views.printing import pdf_response, printing, strict_glyphs
from hilogistics.views_support import submit


def _page_url(shipment_id: int) -> str:
    return url_for("shipments.page", shipment_id=shipment_id)


@bp.post("/shipments/<int:shipment_id>/print")
@allow(ALL_ROLES)
def print_document(shipment_id: int) -> Response:
    """One logged print of a shipment's document as a PDF ("COPY n" from the second on)."""
    shipment = loaded_shipment(shipment_id)
    form = PrintForm()
    if not form.validate_on_submit():
        return redirect(_page_url(shipment.id))
    try:
        body, filename = services.print_shipment(
            actor=acting_user(),
            shipment_id=shipment.id,
            printing=printing(),
            kind=form.kind.data or None,
            event_id=bounded_int(form.event_id.data, high=MAX_ID) if form.event_id.data else None,
            strict=strict_glyphs(),
        )
    except DomainError as error:
        db.session.rollback()
        flash(error.message, "error")
        return redirect(_page_url(shipment.id))
    db.session.commit()
    return pdf_response(body, filename)


def _confirm(
    shipment_id: int,
    form: RecallForm | CancelForm | CloseForm,
    allowed: str,
    template: str,
    call: Callable[[], object],
    success: str,
) -> Response | str:
    shipment = loaded_shipment(shipment_id)
    if not getattr(actions_for(acting_user(), shipment), allowed):
        form.form_errors.append(
            _(
                "This shipment is %(status)s: it can no longer be changed this way.",
                status=STATUS_LABELS.of(shipment),
            )
        )
    elif form.validate_on_submit():
        response = submit(form, call, success, _page_url(shipment.id))
        if response is not None:
            return response
        shipment = loaded_shipment(shipment_id)
    return render_template(template, shipment=shipment, form=form, status_labels=STATUS_LABELS)


@bp.route("/shipments/<int:shipment_id>/recall", methods=["GET", "POST"])
@allow(STAFF)
def recall(shipment_id: int) -> Response | str:
    """Call a dispatched shipment back: the goods in transit return to the origin."""
    form = RecallForm()
    return _confirm(
        shipment_id,
        form,
        "recall",
        "shipments/recall.html",
        lambda: services.recall_shipment(
            actor=acting_user(),
            shipment_id=shipment_id,
            reason=form.reason.data,
            operation_key=form.operation_key.data,
        ),
        _("Shipment recalled: the goods are back at the origin."),
    )


@bp.route("/shipments/<int:shipment_id>/cancel", methods=["GET", "POST"])
@allow(STAFF)
def cancel(shipment_id: int) -> Response | str:
    """Cancel a draft or a plan; nothing is posted."""
    form = CancelForm()
    return _confirm(
        shipment_id,
        form,
        "cancel",
        "shipments/cancel.html",
        lambda: services.cancel_shipment(
            actor=acting_user(), shipment_id=shipment_id, reason=form.reason.data or ""
        ),
        _("Shipment cancelled."),
    )


@bp.route("/shipments/<int:shipment_id>/close", methods=["GET", "POST"])
@allow(STAFF)
def close(shipment_id: int) -> Response | str:
    """Close a consignment whose rest will not come."""
    form = CloseForm()
    return _confirm(
        shipment_id,
        form,
        "close",
        "shipments/close.html",
        lambda: services.close_consignment(
            actor=acting_user(), shipment_id=shipment_id, reason=form.reason.data
        ),
        _("Consignment closed."),
    )
