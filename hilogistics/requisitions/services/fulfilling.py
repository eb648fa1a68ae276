"""Fulfil an approved requisition: shipment drafts from its reservations, backorders, closing."""

from collections.abc import Mapping

from flask_babel import gettext as _

from hilogistics.actors import SystemActor
from hilogistics.auth.models import User
from hilogistics.db import begin_write, db, utcnow
from hilogistics.errors import DomainError
from hilogistics.lines.problems import ProblemList, line_field
from hilogistics.registry.transitions import transition
from hilogistics.requisitions.models import (
    Requisition,
    RequisitionAction,
    RequisitionLine,
    RequisitionStatus,
)
from hilogistics.requisitions.queries import is_done, progress_of, requisitions_of_shipment
from hilogistics.requisitions.services._common import (
    line_of,
    reason_text,
    record,
    reviewer_requisition,
)
from hilogistics.shipments.models import Shipment
from hilogistics.shipments.queries import fefo_lots
from hilogistics.shipments.services import DraftLine, Header, create_dispatch, created_once
from hilogistics.stock import ledger


def create_requisition_shipment(
    *,
    actor: User | SystemActor | None,
    requisition_id: int,
    quantities: Mapping[int, int] | None = None,
    operation_key: str | None = None,
) -> Shipment:
    """Draft the outbound shipment of what an approved requisition still awaits.

    ``quantities`` (per line id; default: each line's whole backorder) says what goes now;
    lots are picked first-expiry-first-out at the supplying warehouse. Each shipment line
    carries its line's reservation, so that the dispatch fulfils it. What stays behind is the
    backorder, still reserved. With ``operation_key`` the same form sent again returns the
    first draft; the key sent with other quantities raises ReplayConflictError naming it.
    Raises LineProblems (``lines-N-quantity``), DomainError when nothing can go,
    ConflictError when the requisition is not approved (or closed meanwhile).
    """
    begin_write()
    requisition = reviewer_requisition(actor, requisition_id)

    def work() -> Shipment:
        return _draft_from(actor, requisition, quantities)

    # What the form asked, not the draft it made: lots picked FEFO and the backorder change
    # once the first draft exists, so a replay is compared by the quantities it asks.
    asked = {"requisition_id": requisition.id, "whole_backorder": quantities is None}
    lines = [
        {"line_id": line_id, "quantity": quantity}
        for line_id, quantity in (quantities or {}).items()
        if quantity != 0
    ]
    return created_once(actor, operation_key, "requisition shipment", asked, lines, work)


def _draft_from(
    actor: User | SystemActor | None,
    requisition: Requisition,
    quantities: Mapping[int, int] | None,
) -> Shipment:
    """Draft the shipment of ``quantities`` (default: every backorder) of an approved request."""
    # Locks the requisition: two drafts made at once never promise the same reserved units.
    transition(
        Requisition, requisition.id, frm=RequisitionStatus.APPROVED, to=RequisitionStatus.APPROVED
    )
    progress = progress_of(requisition.lines)
    problems = ProblemList()
    draft: list[DraftLine] = []
    for index, line in enumerate(requisition.lines):
        waiting = progress[line.id].backorder
        wanted = waiting if quantities is None else quantities.get(line.id, 0)
        if not isinstance(wanted, int) or isinstance(wanted, bool) or not 0 <= wanted <= waiting:
            problems.add(
                line_field(index, "quantity"), _("A whole number from 0 to %(n)d.", n=waiting)
            )
            continue
        if wanted == 0:
            continue
        for lot in fefo_lots(
            location_id=requisition.supplier_id,  # type: ignore[arg-type]
            item_id=line.item_id,
            quantity=wanted,
        ):
            draft.append(
                DraftLine(
                    item_id=line.item_id,
                    quantity=lot.quantity,
                    lot_id=lot.lot.id,
                    reservation_id=line.reservation_id,
                )
            )
    problems.raise_if_any()
    if not draft:
        raise DomainError(
            _("Nothing can go now: no line waits, or the warehouse has no lot to send."),
            field="lines",
        )
    shipment = create_dispatch(
        actor=actor,
        origin_id=requisition.supplier_id,  # type: ignore[arg-type]
        destination_id=requisition.location_id,
        lines=draft,
        header=Header(reference=requisition.number),
    )
    record(requisition, actor, RequisitionAction.SHIPMENT, shipment_id=shipment.id)
    return shipment


def cancel_backorder(
    *,
    actor: User | SystemActor | None,
    requisition_id: int,
    line_id: int,
    reason: str,
    quantity: int | None = None,
) -> RequisitionLine:
    """Give up ``quantity`` (default: all) of a line's backorder, with a reason.

    Releases that much of the line's reservation at the warehouse; the requisition closes
    when nothing else awaits. Raises DomainError (``quantity``, ``reason``), ConflictError.
    """
    begin_write()
    requisition = reviewer_requisition(actor, requisition_id)
    line = line_of(requisition, line_id)
    text = reason_text(reason, field="reason", required=True)
    transition(
        Requisition, requisition.id, frm=RequisitionStatus.APPROVED, to=RequisitionStatus.APPROVED
    )
    waiting = progress_of([line])[line.id].backorder
    wanted = waiting if quantity is None else quantity
    if (
        not isinstance(wanted, int)
        or isinstance(wanted, bool)
        or not 0 < wanted <= waiting
        or line.reservation_id is None
    ):
        raise DomainError(
            _("A whole number from 1 to %(n)d.", n=waiting)
            if waiting
            else _("Nothing of this line waits to be sent."),
            field="quantity",
        )
    ledger.release(actor=actor, holder=line.reservation.holder, quantity=wanted)  # type: ignore[union-attr]
    line.cancelled += wanted
    line.cancel_reason = text
    db.session.flush()
    record(
        requisition,
        actor,
        RequisitionAction.BACKORDER_CANCELLED,
        note=f"{line.item.code} × {wanted}: {text}",
    )
    close_if_done(requisition, actor)
    return line


def close_if_done(requisition: Requisition, actor: User | SystemActor | None) -> bool:
    """Close an approved requisition once all it approved has arrived or was cancelled."""
    db.session.flush()
    db.session.refresh(requisition)
    if requisition.status is not RequisitionStatus.APPROVED:
        return False
    progress = progress_of(requisition.lines)
    if not all(is_done(line, progress[line.id]) for line in requisition.lines):
        return False
    transition(
        Requisition,
        requisition.id,
        frm=RequisitionStatus.APPROVED,
        to=RequisitionStatus.CLOSED,
        closed_at=utcnow(),
    )
    record(requisition, actor, RequisitionAction.CLOSED)
    return True


def close_after_receipt(shipment: Shipment) -> None:
    """After a receiving event: close the requisitions the shipment completes."""
    for requisition in requisitions_of_shipment(shipment.id):
        close_if_done(requisition, None)
