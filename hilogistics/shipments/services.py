"""Shipment operations: drafts and plans, dispatch, receipt, recall, cancel and close.

Every stock effect goes through ``ledger.post`` with the shipment's document: ``dispatch``
(origin → transit), ``arrival`` (transit → destination), ``transit_loss`` (transit → loss),
``recall`` (transit → origin), and for inbound consignments ``receipt`` (supplier → warehouse,
damaged on arrival supplier → loss). Status changes are guarded one-shot transitions taken
first, so that the shipment's row is the first lock every writer of a shipment waits for;
receipts add to each line with a guarded UPDATE that never passes what was sent. Functions
take keyword arguments and an explicit actor, flush, and never commit.
"""

import hashlib
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date

from flask_babel import gettext as _
from sqlalchemy import func, select, update
from sqlalchemy.orm.util import identity_key

from hilogistics.actors import SystemActor
from hilogistics.auth.models import Role, User
from hilogistics.catalogue.models import Item
from hilogistics.dates import business_date_problem, business_today, planning_date_problem
from hilogistics.db import begin_write, db
from hilogistics.documents import shipments as shipment_documents
from hilogistics.documents.layout import Printing
from hilogistics.errors import DomainError, NotFoundError, PermissionDeniedError
from hilogistics.i18n import current_locale
from hilogistics.locations.models import Location, LocationKind
from hilogistics.locations.permissions import require_act_at
from hilogistics.registry.models import DocumentType
from hilogistics.registry.services import log_print, register_document
from hilogistics.registry.transitions import transition
from hilogistics.shipments.models import (
    AWAITING,
    Shipment,
    ShipmentAction,
    ShipmentDirection,
    ShipmentEvent,
    ShipmentLine,
    ShipmentStatus,
)
from hilogistics.stock import ledger
from hilogistics.stock.errors import InsufficientStockError
from hilogistics.stock.models import (
    AdjustmentDirection,
    AdjustmentReason,
    Balance,
    Grant,
    ItemBalance,
    Lot,
    StockTransaction,
    TransactionKind,
)
from hilogistics.stock.services import find_or_create_lot, require_stock_role, virtual_location

MAX_LINES = 500
_TEXT_LIMITS = {"supplier": 200, "reference": 120, "carrier": 120, "vehicle": 60, "driver": 120}


@dataclass(frozen=True)
class DraftLine:
    """One line of a draft or plan as entered: item, quantity, and the lot.

    Outbound drafts name the lot taken (``lot_id``; required at dispatch). Inbound plans name
    the lot code and expiry the packing list announces (the lot may not exist yet).
    """

    item_id: int
    quantity: int
    lot_id: int | None = None
    lot_code: str = ""
    expires_on: date | None = None
    note: str = ""


@dataclass(frozen=True)
class LineReceipt:
    """What a receiving event reports for one line.

    ``received`` arrived in good order; ``damaged`` arrived unusable; ``lost`` never arrived
    (outbound only: what an inbound consignment lacks stays expected until it is closed).
    ``reason_id`` says why ``lost`` was lost (a reason that goes to the loss location).
    Inbound: ``lot_code``/``expires_on`` as found (default: the plan's), ``serials`` one per
    unit received or damaged for serial-tracked items.
    """

    line_id: int
    received: int = 0
    damaged: int = 0
    lost: int = 0
    reason_id: int | None = None
    note: str = ""
    lot_code: str | None = None
    expires_on: date | None = None
    serials: Sequence[str] = field(default_factory=tuple)


@dataclass(frozen=True)
class Header:
    """The header of a draft or plan (every field optional but the places)."""

    reference: str = ""
    carrier: str = ""
    vehicle: str = ""
    driver: str = ""
    supplier: str = ""
    grant_id: int | None = None
    expected_on: date | None = None
    note: str = ""


# ---------------------------------------------------------------------------------------------
# Drafts and plans


def create_dispatch(
    *,
    actor: User | SystemActor | None,
    origin_id: int,
    destination_id: int,
    lines: Sequence[DraftLine],
    header: Header = Header(),
) -> Shipment:
    """Save a new outbound draft from one physical place to another; posts nothing.

    Raises PermissionDeniedError (not logistics) or DomainError naming the field
    (``origin_id``, ``destination_id``, ``lines-2-quantity``…).
    """
    begin_write()
    require_stock_role(actor)
    origin, destination = _outbound_places(origin_id, destination_id)
    return _new_draft(
        actor=actor,
        direction=ShipmentDirection.OUTBOUND,
        origin=origin,
        destination=destination,
        lines=lines,
        header=header,
    )


def plan_consignment(
    *,
    actor: User | SystemActor | None,
    destination_id: int,
    lines: Sequence[DraftLine],
    header: Header = Header(),
) -> Shipment:
    """Plan an inbound consignment to a warehouse (supplier, grant, expected lines).

    Raises PermissionDeniedError or DomainError naming the field.
    """
    begin_write()
    require_stock_role(actor)
    destination = _inbound_warehouse(destination_id)
    return _new_draft(
        actor=actor,
        direction=ShipmentDirection.INBOUND,
        origin=virtual_location("SUPPLIER"),
        destination=destination,
        lines=lines,
        header=header,
    )


def update_draft(
    *,
    actor: User | SystemActor | None,
    shipment_id: int,
    lines: Sequence[DraftLine],
    header: Header = Header(),
    origin_id: int | None = None,
    destination_id: int | None = None,
) -> Shipment:
    """Replace the header and lines of a draft (outbound) or of a plan not yet received.

    Places left None stay as they were. Raises ConflictError when it left draft meanwhile.
    """
    begin_write()
    require_stock_role(actor)
    shipment = _shipment(shipment_id)
    # The guarded no-op transition locks the row: a dispatch waits for this edit, or wins.
    transition(Shipment, shipment.id, frm=ShipmentStatus.DRAFT, to=ShipmentStatus.DRAFT)
    db.session.refresh(shipment)
    if shipment.is_inbound:
        destination = _inbound_warehouse(destination_id or shipment.destination_id)
        origin = shipment.origin
    else:
        origin, destination = _outbound_places(
            origin_id or shipment.origin_id, destination_id or shipment.destination_id
        )
    values = _header_values(header, inbound=shipment.is_inbound)
    new_lines = _draft_lines(lines, inbound=shipment.is_inbound)
    shipment.origin_id, shipment.destination_id = origin.id, destination.id
    for name, value in values.items():
        setattr(shipment, name, value)
    shipment.lines.clear()
    db.session.flush()
    shipment.lines.extend(new_lines)
    _record(shipment, actor, ShipmentAction.EDITED)
    db.session.flush()
    return shipment


def cancel_shipment(
    *, actor: User | SystemActor | None, shipment_id: int, reason: str = ""
) -> Shipment:
    """Cancel a draft or a plan nothing was received against; posts nothing."""
    begin_write()
    require_stock_role(actor)
    shipment = _shipment(shipment_id)
    reason = _reason_text(reason, required=False)
    transition(
        Shipment, shipment.id, frm=ShipmentStatus.DRAFT, to=ShipmentStatus.CANCELLED, reason=reason
    )
    _record(shipment, actor, ShipmentAction.CANCELLED, note=reason)
    db.session.flush()
    return shipment


def close_consignment(
    *, actor: User | SystemActor | None, shipment_id: int, reason: str
) -> Shipment:
    """Close an inbound consignment whose rest will not come (planned or partly received)."""
    begin_write()
    require_stock_role(actor)
    shipment = _shipment(shipment_id)
    if not shipment.is_inbound:
        raise DomainError(
            _("Only a consignment is closed; a dispatch is received or written off."),
            field="reason",
        )
    reason = _reason_text(reason, required=True)
    transition(
        Shipment,
        shipment.id,
        frm=(ShipmentStatus.DRAFT, ShipmentStatus.PARTLY_RECEIVED),
        to=ShipmentStatus.CLOSED,
        reason=reason,
    )
    _record(shipment, actor, ShipmentAction.CLOSED, note=reason)
    db.session.flush()
    return shipment


# ---------------------------------------------------------------------------------------------
# Stock effects


def dispatch_shipment(
    *,
    actor: User | SystemActor | None,
    shipment_id: int,
    dispatched_on: date,
    operation_key: str,
    carrier: str | None = None,
    vehicle: str | None = None,
    driver: str | None = None,
    note: str = "",
) -> ShipmentEvent:
    """Dispatch a draft: freeze its lines and post ``dispatch`` origin → transit.

    Carrier, vehicle and driver replace the draft's when given. Sent twice with one
    operation key, it posts once and answers both with the same event. Raises
    InsufficientStockError naming item, lot and place (field ``lines-N-quantity``),
    ConflictError when it is no longer a draft, DomainError for a bad date or a missing lot.
    """
    begin_write()
    require_stock_role(actor)
    asked = ledger.fingerprint_of(
        TransactionKind.DISPATCH,
        {
            "shipment_id": shipment_id,
            "dispatched_on": dispatched_on,
            "carrier": carrier,
            "vehicle": vehicle,
            "driver": driver,
            "note": (note or "").strip(),
        },
        [],
    )

    def work() -> StockTransaction:
        return _dispatch(
            actor=actor,
            shipment_id=shipment_id,
            dispatched_on=dispatched_on,
            operation_key=operation_key,
            fingerprint=asked,
            transport={"carrier": carrier, "vehicle": vehicle, "driver": driver},
            note=(note or "").strip(),
        )

    posted = _once(
        shipment_id, actor=actor, operation_key=operation_key, fingerprint=asked, work=work
    )
    return _event_of(posted)


def _dispatch(
    *,
    actor: User | SystemActor,
    shipment_id: int,
    dispatched_on: date,
    operation_key: str,
    fingerprint: str,
    transport: dict[str, str | None],
    note: str,
) -> StockTransaction:
    shipment = _shipment(shipment_id)
    if shipment.is_inbound:
        raise DomainError(_("A consignment is received, not dispatched."), field="shipment_id")
    _check_business_date(dispatched_on, "dispatched_on")
    values = {k: v.strip() for k, v in transport.items() if v is not None}
    for name, value in values.items():
        _check_length(name, value)
    # The row lock first: an edit of the lines either committed before (read below) or waits.
    transition(
        Shipment,
        shipment.id,
        frm=ShipmentStatus.DRAFT,
        to=ShipmentStatus.DISPATCHED,
        dispatched_on=dispatched_on,
        **values,
    )
    # Edits replace lines (new rows), never change one in place: reloading the collection
    # reads the lines as they are now.
    db.session.expire(shipment)
    if not shipment.lines:
        raise DomainError(_("Enter at least one line."), field="lines")
    _check_places_active(shipment)
    for index, line in enumerate(shipment.lines):
        if line.lot_id is None:
            raise DomainError(
                _("Choose the lot of %(item)s to send.", item=line.item.code),
                field=f"lines-{index}-lot",
            )
        expired = line.lot.expires_on is not None and line.lot.expires_on < dispatched_on
        # The ledger refuses these on their way to transit (DESIGN.md 2b: they only leave to
        # loss, a count or by reversal): say so on the line instead of in a ledger message.
        if expired or not line.item.is_active:
            raise DomainError(
                _(
                    "%(item)s is inactive or its lot has expired: it cannot be dispatched; "
                    "write it off instead.",
                    item=line.item.code,
                ),
                field=f"lines-{index}-lot",
            )
    _check_available(shipment)
    transit = virtual_location("TRANSIT")
    posted = ledger.post(
        kind=TransactionKind.DISPATCH,
        lines=[
            ledger.Line(
                line.item_id,
                line.lot_id,
                line.quantity,
                shipment.origin_id,
                transit.id,
                note=line.note,
            )
            for line in shipment.lines
        ],
        actor=actor,
        occurred_on=dispatched_on,
        operation_key=operation_key,
        location_id=shipment.origin_id,
        reference=shipment.number,
        grant_id=shipment.grant_id,
        note=note,
        document_id=shipment.document_id,
        fingerprint=fingerprint,
    )
    _record(
        shipment,
        actor,
        ShipmentAction.DISPATCHED,
        occurred_on=dispatched_on,
        note=note,
        transaction=posted.transaction,
    )
    return posted.transaction


def receive_shipment(
    *,
    actor: User | SystemActor | None,
    shipment_id: int,
    lines: Sequence[LineReceipt],
    received_on: date,
    operation_key: str,
    note: str = "",
) -> ShipmentEvent:
    """Record one receiving event at the destination, in one transaction.

    Outbound: ``arrival`` transit → destination for what was received, ``transit_loss``
    transit → loss for what was damaged or lost (with a reason per line). Inbound: one
    ``receipt`` supplier → warehouse, damaged on arrival supplier → loss. The shipment is
    *received* when every line is received or written off, *partly received* before.
    Technicians receive at their own place only. Refused (DomainError, field
    ``lines-N-received``) when a line would get more than was sent; ConflictError when the
    shipment is no longer awaited. Sent twice with one key, it posts once.
    """
    begin_write()
    asked = ledger.fingerprint_of(
        TransactionKind.ARRIVAL,
        {"shipment_id": shipment_id, "received_on": received_on, "note": (note or "").strip()},
        [
            {
                "line_id": entry.line_id,
                "received": entry.received,
                "damaged": entry.damaged,
                "lost": entry.lost,
                "reason_id": entry.reason_id,
                "note": (entry.note or "").strip(),
                "lot_code": entry.lot_code,
                "expires_on": entry.expires_on,
                "serials": sorted(s.strip() for s in entry.serials if s.strip()),
            }
            for entry in lines
        ],
    )

    def work() -> StockTransaction:
        return _receive(
            actor=actor,
            shipment_id=shipment_id,
            entries=lines,
            received_on=received_on,
            operation_key=operation_key,
            fingerprint=asked,
            note=(note or "").strip(),
        )

    posted = _once(
        shipment_id, actor=actor, operation_key=operation_key, fingerprint=asked, work=work
    )
    return _event_of(posted)


def _receive(
    *,
    actor: User | SystemActor | None,
    shipment_id: int,
    entries: Sequence[LineReceipt],
    received_on: date,
    operation_key: str,
    fingerprint: str,
    note: str,
) -> StockTransaction:
    shipment = visible_shipment(actor, shipment_id)
    require_act_at(actor, shipment.destination_id)
    _check_business_date(received_on, "received_on")
    if shipment.dispatched_on is not None and received_on < shipment.dispatched_on:
        raise DomainError(
            _(
                "Goods cannot arrive before they were dispatched (%(date)s).",
                date=shipment.dispatched_on.isoformat(),
            ),
            field="received_on",
        )
    inbound = shipment.is_inbound
    awaited = (ShipmentStatus.DRAFT, ShipmentStatus.PARTLY_RECEIVED) if inbound else AWAITING
    # The row lock first: two receivers of one shipment take turns from here on.
    transition(
        Shipment,
        shipment.id,
        frm=awaited,
        to=ShipmentStatus.PARTLY_RECEIVED,
        received_on=received_on,
    )
    by_id = {line.id: (index, line) for index, line in enumerate(shipment.lines)}
    reported = [entry for entry in entries if entry.received or entry.damaged or entry.lost]
    if not reported:
        raise DomainError(_("Enter what arrived on at least one line."), field="lines")
    seen: set[int] = set()
    for entry in reported:
        if entry.line_id not in by_id or entry.line_id in seen:
            raise DomainError(_("A line is not part of this shipment."), field="lines")
        seen.add(entry.line_id)
    reasons = _loss_reasons(reported, by_id, inbound=inbound)
    damaged_reason = _reason_by_code("damaged")
    # Lines in id order: two receivers lock them in the same order (after the shipment row).
    for entry in sorted(reported, key=lambda e: e.line_id):
        index, line = by_id[entry.line_id]
        _check_counts(entry, index)
        _add_to_line(line, index, entry)
    if inbound:
        posted, loss = _post_inbound(
            shipment,
            actor,
            reported,
            by_id,
            received_on,
            operation_key,
            fingerprint,
            note,
            damaged_reason,
        )
    else:
        posted, loss = _post_outbound(
            shipment,
            actor,
            reported,
            by_id,
            received_on,
            operation_key,
            fingerprint,
            note,
            damaged_reason,
            reasons,
        )
    left = db.session.scalar(
        select(
            func.coalesce(
                func.sum(
                    ShipmentLine.quantity
                    - ShipmentLine.received
                    - ShipmentLine.damaged
                    - ShipmentLine.lost
                ),
                0,
            )
        ).where(ShipmentLine.shipment_id == shipment.id)
    )
    status = ShipmentStatus.PARTLY_RECEIVED
    if left == 0:
        transition(
            Shipment, shipment.id, frm=ShipmentStatus.PARTLY_RECEIVED, to=ShipmentStatus.RECEIVED
        )
        status = ShipmentStatus.RECEIVED
    _record(
        shipment,
        actor,
        ShipmentAction.RECEIVED,
        occurred_on=received_on,
        note=note,
        transaction=posted,
        loss_transaction=loss,
        status=status,
    )
    for line in shipment.lines:
        db.session.expire(line)
    return posted or loss  # type: ignore[return-value]


def _post_outbound(
    shipment: Shipment,
    actor: User | SystemActor | None,
    reported: Sequence[LineReceipt],
    by_id: dict[int, tuple[int, ShipmentLine]],
    received_on: date,
    operation_key: str,
    fingerprint: str,
    note: str,
    damaged_reason: AdjustmentReason,
    reasons: dict[int, AdjustmentReason],
) -> tuple[StockTransaction | None, StockTransaction | None]:
    transit = virtual_location("TRANSIT")
    loss_place = virtual_location("LOSS")
    arrived: list[ledger.Line] = []
    written_off: list[ledger.Line] = []
    for entry in reported:
        _index, line = by_id[entry.line_id]
        text = (entry.note or "").strip()
        if entry.received:
            arrived.append(
                ledger.Line(
                    line.item_id,
                    line.lot_id,
                    entry.received,
                    transit.id,
                    shipment.destination_id,
                    note=text,
                )
            )
        if entry.damaged:
            written_off.append(
                ledger.Line(
                    line.item_id,
                    line.lot_id,
                    entry.damaged,
                    transit.id,
                    loss_place.id,
                    reason_id=damaged_reason.id,
                    note=text,
                )
            )
        if entry.lost:
            written_off.append(
                ledger.Line(
                    line.item_id,
                    line.lot_id,
                    entry.lost,
                    transit.id,
                    loss_place.id,
                    reason_id=reasons[entry.line_id].id,
                    note=text,
                )
            )
    common = {
        "actor": actor,
        "occurred_on": received_on,
        "location_id": shipment.destination_id,
        "reference": shipment.number,
        "grant_id": shipment.grant_id,
        "note": note,
        "document_id": shipment.document_id,
    }
    posted = loss = None
    # The event's key goes to its first transaction (the one a replay finds); the write-off
    # of an event that also received something gets a key derived from it.
    if arrived:
        posted = ledger.post(
            kind=TransactionKind.ARRIVAL,
            lines=arrived,
            operation_key=operation_key,
            fingerprint=fingerprint,
            **common,
        ).transaction
    if written_off:
        loss = ledger.post(
            kind=TransactionKind.TRANSIT_LOSS,
            lines=written_off,
            operation_key=_derived_key(operation_key, "loss") if arrived else operation_key,
            fingerprint=fingerprint,
            **common,
        ).transaction
    return posted, loss


def _post_inbound(
    shipment: Shipment,
    actor: User | SystemActor | None,
    reported: Sequence[LineReceipt],
    by_id: dict[int, tuple[int, ShipmentLine]],
    received_on: date,
    operation_key: str,
    fingerprint: str,
    note: str,
    damaged_reason: AdjustmentReason,
) -> tuple[StockTransaction | None, None]:
    supplier = shipment.origin_id
    loss_place = virtual_location("LOSS")
    postings: list[ledger.Line] = []
    for entry in reported:
        index, line = by_id[entry.line_id]
        item = line.item
        if not item.is_active:
            raise DomainError(
                _("Choose an active item: inactive items are no longer received."),
                field=f"lines-{index}-received",
            )
        text = (entry.note or "").strip()
        code = line.lot_code if entry.lot_code is None else entry.lot_code.strip()
        expires_on = entry.expires_on or line.expires_on
        if item.tracks_expiry and expires_on is None:
            raise DomainError(
                _("%(item)s tracks expiry: enter the expiry date.", item=item.code),
                field=f"lines-{index}-expires_on",
            )
        units = [
            (entry.received, shipment.destination_id, None),
            (entry.damaged, loss_place.id, damaged_reason.id),
        ]
        if item.tracks_serial:
            serials = [s.strip() for s in entry.serials if s.strip()]
            if len(serials) != entry.received + entry.damaged or len(set(serials)) != len(serials):
                raise DomainError(
                    _(
                        "%(item)s tracks serial numbers: enter one per unit "
                        "(%(n)d expected, %(got)d given).",
                        item=item.code,
                        n=entry.received + entry.damaged,
                        got=len(serials),
                    ),
                    field=f"lines-{index}-serials",
                )
            remaining = iter(serials)
            for count, target, reason_id in units:
                for _unit in range(count):
                    lot = _found_lot(item, index, code, expires_on, next(remaining), shipment)
                    postings.append(
                        ledger.Line(item.id, lot.id, 1, supplier, target, reason_id, text)
                    )
        else:
            lot = _found_lot(item, index, code, expires_on, None, shipment)
            if line.lot_id is None:
                line.lot_id = lot.id
            for count, target, reason_id in units:
                if count:
                    postings.append(
                        ledger.Line(item.id, lot.id, count, supplier, target, reason_id, text)
                    )
    posted = ledger.post(
        kind=TransactionKind.RECEIPT,
        lines=postings,
        actor=actor,
        occurred_on=received_on,
        operation_key=operation_key,
        location_id=shipment.destination_id,
        reference=shipment.reference or shipment.number,
        supplier=shipment.supplier,
        grant_id=shipment.grant_id,
        note=note,
        document_id=shipment.document_id,
        fingerprint=fingerprint,
    )
    return posted.transaction, None


def recall_shipment(
    *,
    actor: User | SystemActor | None,
    shipment_id: int,
    reason: str,
    operation_key: str,
    recalled_on: date | None = None,
) -> ShipmentEvent:
    """Call back a dispatched shipment nothing of which was received: ``recall`` transit → origin.

    Logistics only; the reason is required. Raises ConflictError once anything was received.
    """
    begin_write()
    require_stock_role(actor)
    recalled_on = recalled_on or business_today()
    asked = ledger.fingerprint_of(
        TransactionKind.RECALL,
        {"shipment_id": shipment_id, "reason": (reason or "").strip(), "on": recalled_on},
        [],
    )

    def work() -> StockTransaction:
        shipment = _shipment(shipment_id)
        text = _reason_text(reason, required=True)
        _check_business_date(recalled_on, "recalled_on")
        if shipment.dispatched_on is not None and recalled_on < shipment.dispatched_on:
            raise DomainError(
                _(
                    "A recall cannot be dated before the dispatch (%(date)s).",
                    date=shipment.dispatched_on.isoformat(),
                ),
                field="recalled_on",
            )
        transition(
            Shipment,
            shipment.id,
            frm=ShipmentStatus.DISPATCHED,
            to=ShipmentStatus.RECALLED,
            reason=text,
        )
        transit = virtual_location("TRANSIT")
        posted = ledger.post(
            kind=TransactionKind.RECALL,
            lines=[
                ledger.Line(
                    line.item_id, line.lot_id, line.quantity, transit.id, shipment.origin_id
                )
                for line in shipment.lines
            ],
            actor=actor,
            occurred_on=recalled_on,
            operation_key=operation_key,
            location_id=shipment.origin_id,
            reference=shipment.number,
            grant_id=shipment.grant_id,
            note=text,
            document_id=shipment.document_id,
            fingerprint=asked,
        )
        _record(
            shipment,
            actor,
            ShipmentAction.RECALLED,
            occurred_on=recalled_on,
            note=text,
            transaction=posted.transaction,
        )
        return posted.transaction

    posted = _once(
        shipment_id, actor=actor, operation_key=operation_key, fingerprint=asked, work=work
    )
    return _event_of(posted)


# ---------------------------------------------------------------------------------------------
# Visibility


def can_see(actor: User | SystemActor | None, shipment: Shipment) -> bool:
    """Whether ``actor`` may see ``shipment``: technicians only from or to their own place."""
    if isinstance(actor, SystemActor):
        return True
    if actor is None or not actor.is_active:
        return False
    if actor.role is Role.TECHNICIAN:
        return actor.location_id in (shipment.origin_id, shipment.destination_id)
    return True


def visible_shipment(actor: User | SystemActor | None, shipment_id: int) -> Shipment:
    """The shipment when ``actor`` may see it; NotFoundError otherwise (as a 404 page says)."""
    if actor is None:
        raise PermissionDeniedError(_("No one is signed in to record this."))
    shipment = db.session.get(Shipment, shipment_id)
    if shipment is None or not can_see(actor, shipment):
        raise NotFoundError(_("No such shipment."))
    return shipment


# ---------------------------------------------------------------------------------------------
# Helpers


def _shipment(shipment_id: int) -> Shipment:
    shipment = db.session.get(Shipment, shipment_id)
    if shipment is None:
        raise NotFoundError(_("No such shipment."))
    return shipment


def _once(
    shipment_id: int,
    *,
    actor: User | SystemActor | None,
    operation_key: str,
    fingerprint: str,
    work: Callable[[], StockTransaction],
) -> StockTransaction:
    """``ledger.once``; on a refusal, the loaded shipment forgets what the savepoint undid."""
    try:
        return ledger.once(
            actor=actor, operation_key=operation_key, fingerprint=fingerprint, work=work
        )
    except DomainError:
        loaded = db.session.identity_map.get(identity_key(Shipment, shipment_id))
        if loaded is not None:
            for line in list(loaded.__dict__.get("lines", [])):
                db.session.expire(line)
            db.session.expire(loaded)
        raise


def _event_of(transaction: StockTransaction) -> ShipmentEvent:
    event = db.session.scalar(
        select(ShipmentEvent).where(
            (ShipmentEvent.transaction_id == transaction.id)
            | (ShipmentEvent.loss_transaction_id == transaction.id)
        )
    )
    if event is None:  # pragma: no cover - every shipment transaction is recorded with its event
        raise NotFoundError(_("No such shipment."))
    return event


def _derived_key(operation_key: str, suffix: str) -> str:
    """A second operation key for a second transaction of one submission (at most 64 chars)."""
    return f"{suffix}:" + hashlib.sha256(operation_key.encode()).hexdigest()[:48]


def _record(
    shipment: Shipment,
    actor: User | SystemActor | None,
    action: ShipmentAction,
    *,
    occurred_on: date | None = None,
    note: str = "",
    transaction: StockTransaction | None = None,
    loss_transaction: StockTransaction | None = None,
    status: ShipmentStatus | None = None,
) -> ShipmentEvent:
    if status is None:
        db.session.flush()
        status = db.session.scalar(select(Shipment.status).where(Shipment.id == shipment.id))
    event = ShipmentEvent(
        shipment_id=shipment.id,
        action=action,
        status=status,
        actor_id=actor.id if actor is not None else None,
        occurred_on=occurred_on or business_today(),
        note=note,
        transaction_id=transaction.id if transaction else None,
        loss_transaction_id=loss_transaction.id if loss_transaction else None,
    )
    db.session.add(event)
    db.session.flush()
    return event


def _new_draft(
    *,
    actor: User | SystemActor | None,
    direction: ShipmentDirection,
    origin: Location,
    destination: Location,
    lines: Sequence[DraftLine],
    header: Header,
) -> Shipment:
    inbound = direction is ShipmentDirection.INBOUND
    values = _header_values(header, inbound=inbound)
    new_lines = _draft_lines(lines, inbound=inbound)
    document = register_document(type=DocumentType.SHIPMENT, actor=actor)  # type: ignore[arg-type]
    shipment = Shipment(
        document_id=document.id,
        direction=direction,
        status=ShipmentStatus.DRAFT,
        origin_id=origin.id,
        destination_id=destination.id,
        created_by_id=actor.id if actor is not None else None,
        lines=new_lines,
        **values,
    )
    db.session.add(shipment)
    db.session.flush()
    _record(shipment, actor, ShipmentAction.CREATED, status=ShipmentStatus.DRAFT)
    return shipment


def _header_values(header: Header, *, inbound: bool) -> dict[str, object]:
    values: dict[str, object] = {}
    for name in ("reference", "carrier", "vehicle", "driver", "supplier"):
        text = (getattr(header, name) or "").strip()
        _check_length(name, text)
        values[name] = text
    if inbound and not values["supplier"]:
        raise DomainError(_("Enter the supplier or donor."), field="supplier")
    if header.grant_id is not None and db.session.get(Grant, header.grant_id) is None:
        raise DomainError(_("Choose a grant from the list."), field="grant_id")
    if header.expected_on is not None:
        problem = planning_date_problem(header.expected_on)
        if problem:
            raise DomainError(problem, field="expected_on")
    values["grant_id"] = header.grant_id
    values["expected_on"] = header.expected_on
    values["note"] = (header.note or "").strip()
    return values


def _check_length(name: str, text: str) -> None:
    limit = _TEXT_LIMITS[name]
    if len(text) > limit:
        raise DomainError(_("At most %(n)d characters.", n=limit), field=name)


def _draft_lines(lines: Sequence[DraftLine], *, inbound: bool) -> list[ShipmentLine]:
    if not lines:
        raise DomainError(_("Enter at least one line."), field="lines")
    if len(lines) > MAX_LINES:
        raise DomainError(_("At most %(n)d lines.", n=MAX_LINES), field="lines")
    items = {
        i.id: i
        for i in db.session.scalars(select(Item).where(Item.id.in_({ln.item_id for ln in lines})))
    }
    lot_ids = {ln.lot_id for ln in lines if ln.lot_id is not None}
    lots = {lot.id: lot for lot in db.session.scalars(select(Lot).where(Lot.id.in_(lot_ids)))}
    made: list[ShipmentLine] = []
    for index, line in enumerate(lines):
        prefix = f"lines-{index}-"
        item = items.get(line.item_id)
        if item is None or not item.is_active:
            raise DomainError(_("Choose an active item."), field=prefix + "item")
        quantity = line.quantity
        if not isinstance(quantity, int) or isinstance(quantity, bool) or quantity <= 0:
            raise DomainError(_("The quantity must be at least 1."), field=prefix + "quantity")
        if quantity > ledger.MAX_QUANTITY:
            raise DomainError(
                _("The quantity must be at most %(max)d.", max=ledger.MAX_QUANTITY),
                field=prefix + "quantity",
            )
        lot_id = None
        if not inbound and line.lot_id is not None:
            lot = lots.get(line.lot_id)
            if lot is None or lot.item_id != item.id:
                raise DomainError(_("Choose a lot of this item."), field=prefix + "lot")
            if item.tracks_serial and quantity != 1:
                raise DomainError(
                    _("A serial number is one unit: one line per serial number."),
                    field=prefix + "quantity",
                )
            lot_id = lot.id
        lot_code = (line.lot_code or "").strip() if inbound else ""
        if len(lot_code) > 64:
            raise DomainError(_("At most %(n)d characters.", n=64), field=prefix + "lot_code")
        expires_on = line.expires_on if inbound else None
        if expires_on is not None:
            problem = planning_date_problem(expires_on)
            if problem:
                raise DomainError(problem, field=prefix + "expires_on")
        made.append(
            ShipmentLine(
                position=index + 1,
                item_id=item.id,
                lot_id=lot_id,
                lot_code=lot_code,
                expires_on=expires_on,
                quantity=quantity,
                note=(line.note or "").strip(),
            )
        )
    return made


def _outbound_places(origin_id: int, destination_id: int) -> tuple[Location, Location]:
    origin = db.session.get(Location, origin_id)
    if origin is None or not origin.kind.is_physical or not origin.is_active:
        raise DomainError(
            _("Choose an active warehouse, centre, school or camp."), field="origin_id"
        )
    destination = db.session.get(Location, destination_id)
    if destination is None or not destination.kind.is_physical or not destination.is_active:
        raise DomainError(
            _("Choose an active warehouse, centre, school or camp."), field="destination_id"
        )
    if origin.id == destination.id:
        raise DomainError(_("The destination must differ from the origin."), field="destination_id")
    return origin, destination


def _inbound_warehouse(destination_id: int) -> Location:
    warehouse = db.session.get(Location, destination_id)
    if warehouse is None or warehouse.kind is not LocationKind.WAREHOUSE or not warehouse.is_active:
        raise DomainError(_("Choose an active warehouse."), field="destination_id")
    return warehouse


def _check_places_active(shipment: Shipment) -> None:
    for name, place in (("origin_id", shipment.origin), ("destination_id", shipment.destination)):
        if not place.is_active:
            raise DomainError(_("Choose an active warehouse, centre, school or camp."), field=name)


def _check_business_date(value: date, name: str) -> None:
    if not isinstance(value, date):
        raise DomainError(_("Enter a date."), field=name)
    problem = business_date_problem(value)
    if problem is not None:
        raise DomainError(problem, field=name)


def _reason_text(reason: str, *, required: bool) -> str:
    text = (reason or "").strip()
    if required and not text:
        raise DomainError(_("Say why."), field="reason")
    if len(text) > 2000:
        raise DomainError(_("At most %(n)d characters.", n=2000), field="reason")
    return text


def _check_available(shipment: Shipment) -> None:
    """Refuse, naming item, lot, place and line, what the origin does not have available.

    A courtesy for the clerk (the field to correct); the ledger's guarded updates still decide.
    """
    wanted_lot: dict[int, int] = defaultdict(int)
    wanted_item: dict[int, int] = defaultdict(int)
    for line in shipment.lines:
        wanted_lot[line.lot_id] += line.quantity  # type: ignore[index]
        wanted_item[line.item_id] += line.quantity
    on_lot = dict(
        db.session.execute(
            select(Balance.lot_id, Balance.quantity).where(
                Balance.location_id == shipment.origin_id, Balance.lot_id.in_(wanted_lot)
            )
        ).all()
    )
    available = dict(
        db.session.execute(
            select(ItemBalance.item_id, ItemBalance.on_hand - ItemBalance.reserved).where(
                ItemBalance.location_id == shipment.origin_id,
                ItemBalance.item_id.in_(wanted_item),
            )
        ).all()
    )
    place = shipment.origin.display_name(current_locale())
    for index, line in enumerate(shipment.lines):
        has_lot = on_lot.get(line.lot_id, 0)
        has_item = available.get(line.item_id, 0)
        if wanted_lot[line.lot_id] > has_lot or wanted_item[line.item_id] > has_item:  # type: ignore[index]
            raise InsufficientStockError(
                _(
                    "Not enough of %(item)s (%(lot)s) at %(place)s: %(wanted)d to send, "
                    "%(available)d available.",
                    item=line.item.code,
                    lot=_lot_words(line.lot),
                    place=place,
                    wanted=wanted_lot[line.lot_id],  # type: ignore[index]
                    available=min(has_lot, has_item),
                ),
                field=f"lines-{index}-quantity",
            )


def _lot_words(lot: Lot | None) -> str:
    if lot is not None and (lot.serial or lot.code):
        return _("lot %(lot)s", lot=lot.serial or lot.code)
    return _("no lot code")


def _reason_by_code(code: str) -> AdjustmentReason:
    reason = db.session.scalar(select(AdjustmentReason).where(AdjustmentReason.code == code))
    if reason is None:  # pragma: no cover - the ledger migration creates it
        raise LookupError(f"adjustment reason {code} is missing: run flask db upgrade")
    return reason


def _loss_reasons(
    entries: Sequence[LineReceipt],
    by_id: dict[int, tuple[int, ShipmentLine]],
    *,
    inbound: bool,
) -> dict[int, AdjustmentReason]:
    """The reason of each line that reports something lost; refused when missing or unfit."""
    wanted = {entry.reason_id for entry in entries if entry.lost and entry.reason_id}
    found = {
        r.id: r
        for r in db.session.scalars(select(AdjustmentReason).where(AdjustmentReason.id.in_(wanted)))
    }
    reasons: dict[int, AdjustmentReason] = {}
    for entry in entries:
        if not entry.lost:
            continue
        index = by_id[entry.line_id][0]
        if inbound:
            raise DomainError(
                _(
                    "What a consignment lacks stays expected: record what arrived, and close "
                    "the consignment when the rest will not come."
                ),
                field=f"lines-{index}-lost",
            )
        reason = found.get(entry.reason_id) if entry.reason_id else None
        if (
            reason is None
            or not reason.is_active
            or reason.counterpart_code != "LOSS"
            or reason.direction is AdjustmentDirection.IN
        ):
            raise DomainError(
                _("Say why it was lost: choose a reason from the list."),
                field=f"lines-{index}-reason_id",
            )
        reasons[entry.line_id] = reason
    return reasons


def _check_counts(entry: LineReceipt, index: int) -> None:
    for name in ("received", "damaged", "lost"):
        value = getattr(entry, name)
        if not isinstance(value, int) or isinstance(value, bool) or value < 0:
            raise DomainError(_("Enter a whole number, 0 or more."), field=f"lines-{index}-{name}")
        if value > ledger.MAX_QUANTITY:
            raise DomainError(
                _("The quantity must be at most %(max)d.", max=ledger.MAX_QUANTITY),
                field=f"lines-{index}-{name}",
            )


def _add_to_line(line: ShipmentLine, index: int, entry: LineReceipt) -> None:
    """Add the entry to the line, refused in the database beyond what was sent."""
    reported = entry.received + entry.damaged + entry.lost
    changed = db.session.execute(
        update(ShipmentLine)
        .where(
            ShipmentLine.id == line.id,
            ShipmentLine.received + ShipmentLine.damaged + ShipmentLine.lost + reported
            <= ShipmentLine.quantity,
        )
        .values(
            received=ShipmentLine.received + entry.received,
            damaged=ShipmentLine.damaged + entry.damaged,
            lost=ShipmentLine.lost + entry.lost,
        )
        .execution_options(synchronize_session=False)
    ).rowcount
    if changed != 1:
        left = db.session.scalar(
            select(
                ShipmentLine.quantity
                - ShipmentLine.received
                - ShipmentLine.damaged
                - ShipmentLine.lost
            ).where(ShipmentLine.id == line.id)
        )
        raise DomainError(
            _(
                "Line %(n)d (%(item)s): %(reported)d reported, but only %(left)d are still "
                "expected.",
                n=index + 1,
                item=line.item.code,
                reported=reported,
                left=left or 0,
            ),
            field=f"lines-{index}-received",
        )


def _found_lot(
    item: Item,
    index: int,
    code: str,
    expires_on: date | None,
    serial: str | None,
    shipment: Shipment,
) -> Lot:
    try:
        return find_or_create_lot(
            item=item,
            code=code,
            expires_on=expires_on if item.tracks_expiry else None,
            serial=serial,
            grant_id=shipment.grant_id,
        )
    except DomainError as error:
        error.field = f"lines-{index}-" + (error.field or "lot_code")
        raise


# ---------------------------------------------------------------------------------------------
# Printing


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
