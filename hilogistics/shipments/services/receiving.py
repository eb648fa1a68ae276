"""Receiving events: arrival and write-off of a dispatch, receipt against a consignment's plan."""

from collections.abc import Sequence
from datetime import date

from flask_babel import gettext as _
from sqlalchemy import func, select, update

from hilogistics.actors import SystemActor
from hilogistics.auth.models import User
from hilogistics.catalogue.models import Item
from hilogistics.db import begin_write, db
from hilogistics.errors import DomainError
from hilogistics.locations.permissions import require_act_at
from hilogistics.registry.transitions import transition
from hilogistics.shipments.models import (
    AWAITING,
    Shipment,
    ShipmentAction,
    ShipmentEvent,
    ShipmentLine,
    ShipmentStatus,
)
from hilogistics.shipments.services._common import (
    LineReceipt,
    _check_business_date,
    _derived_key,
    _event_of,
    _once,
    _record,
    visible_shipment,
)
from hilogistics.stock import ledger
from hilogistics.stock.models import (
    AdjustmentDirection,
    AdjustmentReason,
    Lot,
    StockTransaction,
    TransactionKind,
)
from hilogistics.stock.services import find_or_create_lot, virtual_location


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
