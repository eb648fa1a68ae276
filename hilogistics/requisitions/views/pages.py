"""Requisition pages: the list, one requisition with its timeline, the review queue, backorders.

The requisition page is the registered page of ``REQ`` documents, so ``/d/REQ-2026-00001``
(the header's search, a scanned QR code) opens it; technicians see only their own place's.
"""

from flask import render_template, request
from flask_babel import gettext as _
from wtforms import SelectChoice

from hilogistics.auth.access import ALL_ROLES, STAFF, acting_user, allow
from hilogistics.auth.models import Role, User
from hilogistics.db import db
from hilogistics.errors import NotFoundError
from hilogistics.i18n import current_locale
from hilogistics.inputs import bounded_int
from hilogistics.locations.queries import visible_locations_query
from hilogistics.registry.models import DocumentType
from hilogistics.registry.queries import prints_of
from hilogistics.requisitions import queries
from hilogistics.requisitions.forms import (
    CancelForm,
    PrintForm,
    RequisitionFilterForm,
    SubmitForm,
)
from hilogistics.requisitions.labels import LABELS
from hilogistics.requisitions.models import Requisition, RequisitionStatus
from hilogistics.requisitions.services import can_see, is_logistics, may_request_for
from hilogistics.requisitions.views.blueprint import bp
from hilogistics.shipments.labels import ACTION_LABELS as SHIPMENT_ACTION_LABELS
from hilogistics.shipments.labels import STATUS_LABELS as SHIPMENT_STATUS_LABELS
from hilogistics.stock.queries import RowPage
from hilogistics.stock.views.pages import MAX_ID
from hilogistics.views_support import check_ids, page_args, register_record_page


def place_choices(user: User, blank: str | None) -> list[SelectChoice]:
    """The physical places ``user`` may see (a technician: theirs), a blank choice first."""
    locale = current_locale()
    places = [
        SelectChoice(str(place.id), place.display_name(locale))
        for place in db.session.scalars(visible_locations_query(user, active_only=False))
        if place.kind.is_physical
    ]
    return ([SelectChoice("", blank)] if blank is not None else []) + places


@bp.get("/requisitions")
@allow(ALL_ROLES)
def index() -> str:
    """Requisitions the reader may see, newest first, by place and status."""
    user = acting_user()
    form = RequisitionFilterForm(request.args)
    form.location.choices = place_choices(user, _("Any place"))
    form.validate_or_default()
    location_id = bounded_int(form.location.data, high=MAX_ID) if form.location.data else None
    if user.role is Role.TECHNICIAN:
        location_id = user.location_id
    try:
        status = RequisitionStatus(form.status.data) if form.status.data else None
    except ValueError:
        status = None
    page_number, per_page = page_args()
    page = db.paginate(
        queries.requisitions_query(location_id=location_id, status=status),
        page=page_number,
        per_page=per_page,
        error_out=False,
    )
    return render_template(
        "requisitions/index.html",
        form=form,
        page=page,
        can_raise=user.role is not Role.VIEWER,
        **LABELS,
    )


def loaded_requisition(requisition_id: int) -> Requisition:
    """The requisition, or a 404 when it does not exist or the reader may not see it."""
    check_ids(requisition_id)
    requisition = db.session.get(Requisition, requisition_id)
    if requisition is None or not can_see(acting_user(), requisition):
        raise NotFoundError(_("No such requisition."))
    return requisition


@bp.get("/requisitions/<int:requisition_id>")
@allow(ALL_ROLES)
def page(requisition_id: int) -> str:
    """One requisition: lines with figures and review, progress, shipments, the timeline."""
    user = acting_user()
    requisition = loaded_requisition(requisition_id)
    progress = queries.progress_of(requisition.lines)
    shipments = queries.shipments_of(requisition)
    return render_template(
        "requisitions/page.html",
        requisition=requisition,
        progress=progress,
        shipments=shipments,
        timeline=queries.timeline_of(requisition, shipments),
        shipment_action_labels={a.value: label for a, label in SHIPMENT_ACTION_LABELS.items()},
        prints=prints_of(requisition.document_id),
        may_request=may_request_for(user, requisition.location_id) and user.role is not Role.VIEWER,
        may_review=is_logistics(user),
        submit_form=SubmitForm(formdata=None),
        cancel_form=CancelForm(formdata=None),
        print_form=PrintForm(formdata=None),
        shipment_status_labels=SHIPMENT_STATUS_LABELS,
        **LABELS,
    )


@bp.get("/requisitions/review")
@allow(STAFF)
def queue() -> str:
    """Submitted requisitions awaiting review, oldest first, with place and province."""
    page_number, per_page = page_args()
    page = db.paginate(
        queries.awaiting_review_query(), page=page_number, per_page=per_page, error_out=False
    )
    return render_template("requisitions/queue.html", page=page, **LABELS)


@bp.get("/requisitions/backorders")
@allow(ALL_ROLES)
def backorders() -> str:
    """Approved lines still waiting to be sent (reserved at the warehouse), oldest first."""
    user = acting_user()
    location_id = user.location_id if user.role is Role.TECHNICIAN else None
    page_number, per_page = page_args()
    page = RowPage(
        queries.backorders_query(location_id),
        page=page_number,
        per_page=per_page,
        convert=lambda row: row,
    )
    return render_template(
        "requisitions/backorders.html", page=page, may_review=is_logistics(user), **LABELS
    )


register_record_page(
    DocumentType.REQUISITION,
    record_of=queries.requisition_of_document,
    endpoint="requisitions.page",
    id_arg="requisition_id",
    can_see=can_see,
)
