"""Shipment pages: the filtered list and one shipment with its lines, history and transactions.

The shipment page is the registered page of ``SHP`` documents, so ``/d/SHP-2026-00042`` (a
scanned QR code, the header's search box) opens it; technicians see only their place's.
"""

from dataclasses import dataclass

from flask import render_template, request
from flask_babel import gettext as _
from wtforms import SelectChoice

from hilogistics.auth.access import ALL_ROLES, STAFF, acting_user, allow
from hilogistics.auth.models import Role, User
from hilogistics.db import db
from hilogistics.errors import NotFoundError
from hilogistics.i18n import current_locale
from hilogistics.locations.queries import visible_locations_query
from hilogistics.registry.models import DocumentType
from hilogistics.shipments import queries
from hilogistics.shipments.forms import AWAITING_STATUS, PrintForm, ShipmentFilterForm
from hilogistics.shipments.labels import (
    ACTION_LABELS,
    DIRECTION_LABELS,
    DOCUMENT_LABELS,
    STATUS_LABELS,
)
from hilogistics.shipments.models import (
    AWAITING,
    Shipment,
    ShipmentAction,
    ShipmentDirection,
    ShipmentStatus,
)
from hilogistics.shipments.services import can_see
from hilogistics.shipments.views.blueprint import bp
from hilogistics.stock.labels import TRANSACTION_KIND_LABELS
from hilogistics.stock.queries import RowPage
from hilogistics.stock.queries.grants import grants_query
from hilogistics.views_support import check_ids, page_args, register_record_page


@bp.get("/shipments")
@allow(ALL_ROLES)
def index() -> str:
    """Shipments the reader may see, newest first, with filters and pages."""
    user = acting_user()
    locale = current_locale()
    form = ShipmentFilterForm(request.args)
    places = [
        SelectChoice(str(location.id), location.display_name(locale))
        for location in db.session.scalars(visible_locations_query(user, active_only=False))
    ]
    form.origin.choices = [SelectChoice("", _("Any place")), *places]
    form.destination.choices = [SelectChoice("", _("Any place")), *places]
    form.grant.choices = [SelectChoice("", _("All grants"))] + [
        SelectChoice(str(grant.id), f"{grant.code} · {grant.donor}")
        for grant in db.session.scalars(grants_query())
    ]
    form.validate_or_default()
    filters = queries.ShipmentFilters(
        direction=ShipmentDirection(form.direction.data) if form.direction.data else None,
        status=ShipmentStatus(form.status.data)
        if form.status.data and form.status.data != AWAITING_STATUS
        else None,
        awaiting=form.status.data == AWAITING_STATUS,
        origin_id=int(form.origin.data) if form.origin.data else None,
        destination_id=int(form.destination.data) if form.destination.data else None,
        grant_id=int(form.grant.data) if form.grant.data else None,
        date_from=form.date_from.data,
        date_to=form.date_to.data,
        text=form.q.data or "",
    )
    page_number, per_page = page_args()
    page = RowPage(
        queries.shipments_query(user, filters),
        page=page_number,
        per_page=per_page,
        convert=lambda row: row[0],
        count=queries.shipments_count_query(user, filters),
    )
    return render_template(
        "shipments/index.html",
        form=form,
        page=page,
        status_labels=STATUS_LABELS,
        direction_labels=DIRECTION_LABELS,
    )


@dataclass(frozen=True)
class Actions:
    """What the reader may do with a shipment now (each an endpoint of this blueprint)."""

    recall: bool
    cancel: bool
    close: bool
    edit: bool
    dispatch: bool
    receive: bool


def can_receive(user: User, shipment: Shipment) -> bool:
    """Logistics anywhere, a technician at the destination; while goods are still expected."""
    expected = shipment.status in AWAITING or (
        shipment.is_inbound and shipment.status is ShipmentStatus.DRAFT
    )
    if not expected:
        return False
    if user.role in STAFF:
        return True
    return user.role is Role.TECHNICIAN and user.location_id == shipment.destination_id


def actions_for(user: User, shipment: Shipment) -> Actions:
    """The actions ``user`` may take on ``shipment`` in its present state."""
    staff = user.role in STAFF
    outbound_draft = not shipment.is_inbound and shipment.status is ShipmentStatus.DRAFT
    untouched = all(line.received + line.damaged + line.lost == 0 for line in shipment.lines)
    return Actions(
        recall=staff
        and not shipment.is_inbound
        and shipment.status is ShipmentStatus.DISPATCHED
        and untouched,
        cancel=staff and shipment.status is ShipmentStatus.DRAFT,
        close=staff
        and shipment.is_inbound
        and shipment.status in (ShipmentStatus.DRAFT, ShipmentStatus.PARTLY_RECEIVED),
        edit=staff and shipment.status is ShipmentStatus.DRAFT,
        dispatch=staff and outbound_draft,
        receive=can_receive(user, shipment),
    )


def printable(shipment: Shipment) -> list[tuple[str, str, int | None]]:
    """The documents the shipment can print now: (kind, label, receiving event id)."""
    found: list[tuple[str, str, int | None]] = []
    if not shipment.is_inbound and shipment.status is ShipmentStatus.DRAFT:
        found.append(("picking-list", str(DOCUMENT_LABELS["picking-list"]), None))
    if not shipment.is_inbound and shipment.dispatched_on is not None:
        found.append(("waybill", str(DOCUMENT_LABELS["waybill"]), None))
    received = [e for e in shipment.events if e.action is ShipmentAction.RECEIVED]
    for event in received:
        label = DOCUMENT_LABELS["goods-received"]
        if len(received) > 1:
            label = _("%(document)s of %(date)s", document=label, date=event.occurred_on)
        found.append(("goods-received", str(label), event.id))
    return found


def loaded_shipment(shipment_id: int) -> Shipment:
    """The shipment with its lines and history, or a 404 when the reader may not see it."""
    check_ids(shipment_id)
    shipment = queries.shipment_with_lines(shipment_id)
    if shipment is None or not can_see(acting_user(), shipment):
        raise NotFoundError(_("No such shipment."))
    return shipment


@bp.get("/shipments/<int:shipment_id>")
@allow(ALL_ROLES)
def page(shipment_id: int) -> str:
    """One shipment: header, lines and their outcome, history, transactions, actions, papers."""
    user = acting_user()
    shipment = loaded_shipment(shipment_id)
    return render_template(
        "shipments/page.html",
        shipment=shipment,
        transactions=queries.shipment_transactions(shipment),
        actions=actions_for(user, shipment),
        documents=printable(shipment),
        print_form=PrintForm(),
        awaiting=shipment.status in AWAITING,
        technician=user.role is Role.TECHNICIAN,
        status_labels=STATUS_LABELS,
        direction_labels=DIRECTION_LABELS,
        action_labels=ACTION_LABELS,
        kind_labels=TRANSACTION_KIND_LABELS,
    )


register_record_page(
    DocumentType.SHIPMENT,
    record_of=queries.shipment_of_document,
    endpoint="shipments.page",
    id_arg="shipment_id",
    can_see=can_see,
)
