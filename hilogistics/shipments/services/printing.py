"""Printing a shipment's papers: the print is logged, the PDF rendered by documents/."""

from flask_babel import gettext as _

from hilogistics.actors import SystemActor
from hilogistics.auth.models import User
from hilogistics.db import begin_write
from hilogistics.documents import shipments as shipment_documents
from hilogistics.documents.layout import Printing
from hilogistics.errors import DomainError
from hilogistics.registry.services import log_print
from hilogistics.shipments.models import (
    Shipment,
    ShipmentAction,
    ShipmentStatus,
)
from hilogistics.shipments.services._common import visible_shipment


def default_document_kind(shipment: Shipment) -> str:
    """What a shipment prints by default: picking list, waybill, or goods-received note."""
    if shipment.is_inbound:
        return shipment_documents.GOODS_RECEIVED
    if shipment.status is ShipmentStatus.DRAFT:
        return shipment_documents.PICKING_LIST
    return shipment_documents.WAYBILL


def print_shipment(
    *,
    actor: User | SystemActor | None,
    shipment_id: int,
    printing: Printing,
    kind: str | None = None,
    event_id: int | None = None,
    strict: bool = False,
) -> tuple[bytes, str]:
    """Log one print of the shipment's document and render it: (PDF bytes, file name).

    ``kind``: waybill, picking-list or goods-received (default: ``default_document_kind``);
    a goods-received note is of ``event_id`` or the last receiving event. The copy number
    comes from the registry's print log ("COPY n" from the second print on). Technicians
    print only their own place's shipments (NotFoundError elsewhere).
    """
    begin_write()
    shipment = visible_shipment(actor, shipment_id)
    kind = kind or default_document_kind(shipment)
    if kind not in shipment_documents.KINDS:
        raise DomainError(_("Unknown document type."), field="kind")
    event = None
    if kind == shipment_documents.PICKING_LIST and shipment.status is not ShipmentStatus.DRAFT:
        raise DomainError(_("A picking list is printed for a draft."), field="kind")
    if kind == shipment_documents.WAYBILL and (
        shipment.is_inbound or shipment.status is ShipmentStatus.DRAFT
    ):
        raise DomainError(_("A waybill is printed once the shipment is dispatched."), field="kind")
    if kind == shipment_documents.GOODS_RECEIVED:
        received = [e for e in shipment.events if e.action is ShipmentAction.RECEIVED]
        if event_id is not None:
            received = [e for e in received if e.id == event_id]
        if not received:
            raise DomainError(_("Nothing was received yet."), field="event_id")
        event = received[-1]
    copy = log_print(shipment.document, actor)  # type: ignore[arg-type]
    body = shipment_documents.shipment_pdf(
        kind=kind,
        shipment=shipment,
        printing=printing,
        copy=copy,
        event=event,
        strict=strict,
    )
    return body, f"{shipment.number}-{kind}"
