"""Reads of requisitions: lists, the review queue, backorders, and where each line stands."""

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Select, case, func, select
from sqlalchemy.orm import selectinload

from hilogistics.auth.models import User
from hilogistics.db import db
from hilogistics.locations.models import Location
from hilogistics.requisitions.models import (
    Requisition,
    RequisitionLine,
    RequisitionStatus,
)
from hilogistics.shipments.models import (
    AWAITING,
    Shipment,
    ShipmentAction,
    ShipmentLine,
    ShipmentStatus,
)
from hilogistics.stock.models import Reservation

# Shipments that carried stock of a reservation away from the warehouse.
CARRIED = (*AWAITING, ShipmentStatus.RECEIVED)
OPEN = (RequisitionStatus.DRAFT, RequisitionStatus.SUBMITTED, RequisitionStatus.APPROVED)


@dataclass(frozen=True)
class LineProgress:
    """Where one approved line stands: in a draft, dispatched, settled, reserved, backordered.

    ``settled`` is what arrived or was written off on the way (received, damaged, lost).
    """

    in_draft: int = 0
    shipped: int = 0
    settled: int = 0
    reserved: int = 0

    @property
    def backorder(self) -> int:
        """Reserved and in no shipment yet: what waits to be sent (or cancelled)."""
        return max(0, self.reserved - self.in_draft)


def progress_of(lines: list[RequisitionLine]) -> dict[int, LineProgress]:
    """Per requisition line id, its progress (one query for all the lines)."""
    by_reservation = {ln.reservation_id: ln.id for ln in lines if ln.reservation_id is not None}
    found = {line.id: LineProgress() for line in lines}
    if not by_reservation:
        return found
    carried = Shipment.status.in_(CARRIED)
    rows = db.session.execute(
        select(
            Reservation.id,
            Reservation.quantity,
            func.coalesce(
                func.sum(case((Shipment.status == ShipmentStatus.DRAFT, ShipmentLine.quantity))),
                0,
            ),
            func.coalesce(func.sum(case((carried, ShipmentLine.quantity))), 0),
            func.coalesce(
                func.sum(
                    case(
                        (
                            carried,
                            ShipmentLine.received + ShipmentLine.damaged + ShipmentLine.lost,
                        )
                    )
                ),
                0,
            ),
        )
        .select_from(Reservation)
        .outerjoin(ShipmentLine, ShipmentLine.reservation_id == Reservation.id)
        .outerjoin(Shipment, Shipment.id == ShipmentLine.shipment_id)
        .where(Reservation.id.in_(by_reservation))
        .group_by(Reservation.id, Reservation.quantity)
    ).all()
    for reservation_id, reserved, in_draft, shipped, settled in rows:
        found[by_reservation[reservation_id]] = LineProgress(
            in_draft=int(in_draft), shipped=int(shipped), settled=int(settled), reserved=reserved
        )
    return found


def is_done(line: RequisitionLine, progress: LineProgress) -> bool:
    """True when all that was approved has arrived (or was written off) or was cancelled."""
    return progress.settled + line.cancelled >= line.approved


def _listed(statement: Select) -> Select:
    return statement.options(
        selectinload(Requisition.lines),
        selectinload(Requisition.location).selectinload(Location.province),
    )


def requisitions_query(
    *, location_id: int | None = None, status: RequisitionStatus | None = None
) -> Select:
    """Requisitions, newest first, of one place and/or in one status."""
    statement = select(Requisition)
    if location_id is not None:
        statement = statement.where(Requisition.location_id == location_id)
    if status is not None:
        statement = statement.where(Requisition.status == status)
    return _listed(statement.order_by(Requisition.id.desc()))


def for_place_query(location_id: int) -> Select:
    """A place's requisitions still open (draft, submitted, approved), newest first."""
    return _listed(
        select(Requisition)
        .where(Requisition.location_id == location_id, Requisition.status.in_(OPEN))
        .order_by(Requisition.id.desc())
    )


def awaiting_review_query() -> Select:
    """Submitted requisitions, oldest first, with their place and province loaded."""
    return _listed(
        select(Requisition)
        .where(Requisition.status == RequisitionStatus.SUBMITTED)
        .order_by(Requisition.submitted_at, Requisition.id)
    )


def backorders_query(location_id: int | None = None) -> Select:
    """Lines of approved requisitions whose reservation still holds stock, oldest first.

    Rows are (RequisitionLine, reserved, in_draft); a line's backorder is reserved − in_draft.
    """
    in_draft = (
        select(func.coalesce(func.sum(ShipmentLine.quantity), 0))
        .join(Shipment, Shipment.id == ShipmentLine.shipment_id)
        .where(
            ShipmentLine.reservation_id == RequisitionLine.reservation_id,
            Shipment.status == ShipmentStatus.DRAFT,
        )
        .correlate(RequisitionLine)
        .scalar_subquery()
    )
    statement = (
        select(RequisitionLine, Reservation.quantity.label("reserved"), in_draft.label("in_draft"))
        .join(Requisition, Requisition.id == RequisitionLine.requisition_id)
        .join(Reservation, Reservation.id == RequisitionLine.reservation_id)
        .where(
            Requisition.status == RequisitionStatus.APPROVED,
            Reservation.quantity > in_draft,
        )
        .options(
            selectinload(RequisitionLine.requisition)
            .selectinload(Requisition.location)
            .selectinload(Location.province)
        )
        .order_by(Requisition.reviewed_at, Requisition.id, RequisitionLine.position)
    )
    if location_id is not None:
        statement = statement.where(Requisition.location_id == location_id)
    return statement


def shipments_of(requisition: Requisition) -> list[Shipment]:
    """The shipments made from a requisition (any status), oldest first."""
    reservation_ids = [ln.reservation_id for ln in requisition.lines if ln.reservation_id]
    if not reservation_ids:
        return []
    return list(
        db.session.scalars(
            select(Shipment)
            .where(
                Shipment.id.in_(
                    select(ShipmentLine.shipment_id).where(
                        ShipmentLine.reservation_id.in_(reservation_ids)
                    )
                )
            )
            .options(selectinload(Shipment.lines), selectinload(Shipment.events))
            .order_by(Shipment.id)
        )
    )


def requisition_of_document(document_id: int) -> Requisition | None:
    """The requisition a registry document numbers, if any."""
    return db.session.scalar(select(Requisition).where(Requisition.document_id == document_id))


def requisitions_of_shipment(shipment_id: int) -> list[Requisition]:
    """The requisitions whose reservations a shipment's lines fulfil."""
    return list(
        db.session.scalars(
            select(Requisition)
            .join(RequisitionLine, RequisitionLine.requisition_id == Requisition.id)
            .join(ShipmentLine, ShipmentLine.reservation_id == RequisitionLine.reservation_id)
            .where(ShipmentLine.shipment_id == shipment_id)
            .distinct()
        )
    )


@dataclass(frozen=True)
class Step:
    """One step of where a request stands: the requisition's own, or a shipment's for it."""

    at: datetime
    action: str
    actor: User | None
    note: str = ""
    shipment: Shipment | None = None


def timeline_of(requisition: Requisition, shipments: list[Shipment]) -> list[Step]:
    """The requisition's history and its shipments' (dispatched, received…), in time order.

    ``action`` is the value of a RequisitionAction, or ``shipment:<ShipmentAction value>``.
    """
    steps = [Step(e.recorded_at, e.action.value, e.actor, e.note, None) for e in requisition.events]
    for shipment in shipments:
        for event in shipment.events:
            if event.action is ShipmentAction.CREATED:
                continue  # the requisition's own "shipment drafted" step says it
            steps.append(
                Step(
                    event.recorded_at,
                    f"shipment:{event.action.value}",
                    event.actor,
                    event.note,
                    shipment,
                )
            )
    return sorted(steps, key=lambda step: step.at)
