"""Receiving events: arrival and write-off of a dispatch, receipt against a consignment's plan."""

import re
from collections.abc import Sequence
from datetime import date

from flask_babel import gettext as _
from sqlalchemy import func, select, update

from hilogistics.actors import SystemActor
from hilogistics.auth.models import User
from hilogistics.catalogue.models import Item
from hilogistics.db import begin_write, db
from hilogistics.errors import DomainError
from hilogistics.lines.problems import ProblemList, line_field
from hilogistics.locations.permissions import require_act_at
from hilogistics.registry.transitions import transition
from hilogistics.shipments.models import (
    AWAITING,
    DiscrepancyKind,
    Shipment,
    ShipmentAction,
    ShipmentDiscrepancy,
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
    run_after_receipt,
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
from hilogistics.stock.services import (
    ReceiptLine,
    check_receipt_lines,
    find_or_create_lot,
    virtual_location,
)

_LINE_FIELD = re.compile(r"^lines-(\d+)-(\w+)$")


def receive_shipment(
    *,
    actor: User | SystemActor | None,
    shipment_id: int,
    lines: Sequence[LineReceipt],
    received_on: date,
    operation_key: str,
    note: str = "",
    confirmed: bool = False,
) -> ShipmentEvent:
    """Record one receiving event at the destination, in one transaction.

    Outbound: ``arrival`` transit → destination for what was received, ``transit_loss``
    transit → loss for what was damaged or lost (with a reason per line). Inbound: one
    ``receipt`` supplier → warehouse (lots and expiry as found), damaged on arrival supplier
    → loss; what is short (with a reason) moves no stock and is no longer expected, and more
    than planned is a warning that ``confirmed`` lets through (the line's quantity is raised);
    both are kept as ShipmentDiscrepancy. The shipment is *received* when every line is
    received or written off, *partly received* before. Technicians receive at their own place
    only. Every problem of every line is refused at once (LineProblems, fields
    ``lines-N-<field>``, N the line's position from 0), e.g. more than was sent on a dispatch;
    ConflictError when the shipment is no longer awaited. Sent twice with one key, it posts once.
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
            confirmed=confirmed,
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
    confirmed: bool,
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
    reasons, surplus = _check_entries(shipment, reported, by_id, received_on, confirmed)
    damaged_reason = _reason_by_code("damaged")
    # Lines in id order: two receivers lock them in the same order (after the shipment row).
    for entry in sorted(reported, key=lambda e: e.line_id):
        index, line = by_id[entry.line_id]
        if entry.line_id in surplus:
            _raise_quantity(line, surplus[entry.line_id])
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
    event = _record(
        shipment,
        actor,
        ShipmentAction.RECEIVED,
        occurred_on=received_on,
        note=note,
        transaction=posted,
        loss_transaction=loss,
        status=status,
    )
    if inbound:
        _keep_discrepancies(event, reported, reasons, surplus)
    for line in shipment.lines:
        db.session.expire(line)
    run_after_receipt(shipment)
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
        if not entry.received and not entry.damaged:
            continue  # only short: nothing moves
        if not item.is_active:
            raise DomainError(
                _("Choose an active item: inactive items are no longer received."),
                field=f"lines-{index}-received",
            )
        text = (entry.note or "").strip()
        code = _found_code(entry, line)
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


def _check_entries(
    shipment: Shipment,
    reported: Sequence[LineReceipt],
    by_id: dict[int, tuple[int, ShipmentLine]],
    received_on: date,
    confirmed: bool,
) -> tuple[dict[int, AdjustmentReason], dict[int, int]]:
    """Every problem of every reported line at once; (reasons of what is short, surpluses).

    Raises LineProblems. A consignment's surplus (more than still expected) is a warning that
    ``confirmed`` lets through; a dispatch's is an error (it cannot hold more than was sent).
    """
    problems = ProblemList()
    inbound = shipment.is_inbound
    # Read after the shipment's row lock: what another receiver took meanwhile counts.
    left = dict(
        db.session.execute(
            select(
                ShipmentLine.id,
                ShipmentLine.quantity
                - ShipmentLine.received
                - ShipmentLine.damaged
                - ShipmentLine.lost,
            ).where(ShipmentLine.shipment_id == shipment.id)
        ).all()
    )
    reasons = _loss_reasons(problems, reported, by_id)
    surplus: dict[int, int] = {}
    arrived = False
    for entry in reported:
        index, line = by_id[entry.line_id]
        if not _counts_ok(problems, entry, index):
            continue
        total = entry.received + entry.damaged + entry.lost
        arrived = arrived or bool(entry.received or entry.damaged)
        extra = total - left.get(line.id, 0)
        if extra <= 0:
            continue
        message = _(
            "Line %(n)d (%(item)s): %(reported)d reported, but only %(left)d are still expected.",
            n=index + 1,
            item=line.item.code,
            reported=total,
            left=left.get(line.id, 0),
        )
        if not inbound or entry.lost:
            problems.add(line_field(index, "received"), message)
            continue
        surplus[line.id] = extra
        problems.warn(
            line_field(index, "received"),
            message
            + " "
            + _(
                "If %(extra)d more arrived than planned, tick the confirmation below to "
                "receive them too.",
                extra=extra,
            ),
        )
    if inbound and not arrived and not problems.has_errors():
        problems.add(
            "lines",
            _(
                "Nothing arrived on these lines: enter what arrived, or close the consignment "
                "with a reason when the rest will not come."
            ),
        )
    if inbound:
        _check_found_lots(problems, shipment, reported, by_id, received_on)
    problems.raise_if_any(warnings_confirmed=confirmed)
    return reasons, surplus


def _check_found_lots(
    problems: ProblemList,
    shipment: Shipment,
    reported: Sequence[LineReceipt],
    by_id: dict[int, tuple[int, ShipmentLine]],
    received_on: date,
) -> None:
    """The unplanned receipt's checks of lots as found: expiry, serial numbers, lot clashes."""
    checked: list[ReceiptLine] = []
    positions: list[int] = []
    for entry in reported:
        index, line = by_id[entry.line_id]
        count = entry.received + entry.damaged
        if count <= 0 or line_field(index, "received") in problems.fields_with_errors():
            continue
        checked.append(
            ReceiptLine(
                item_id=line.item_id,
                quantity=count,
                lot_code=_found_code(entry, line),
                expires_on=entry.expires_on or line.expires_on,
                serials=tuple(entry.serials),
            )
        )
        positions.append(index)
    if not checked:
        return
    found = check_receipt_lines(lines=checked, occurred_on=received_on, grant_id=shipment.grant_id)
    for problem in found:
        match = _LINE_FIELD.match(problem.field or "")
        if match is None:
            continue
        name = "received" if match[2] in ("quantity", "packs") else match[2]
        field_name = line_field(positions[int(match[1])], name)
        if problem.warning:
            problems.warn(field_name, problem.message)
        else:
            problems.add(field_name, problem.message)


def _found_code(entry: LineReceipt, line: ShipmentLine) -> str:
    return line.lot_code if entry.lot_code is None else entry.lot_code.strip()


def _counts_ok(problems: ProblemList, entry: LineReceipt, index: int) -> bool:
    ok = True
    for name in ("received", "damaged", "lost"):
        value = getattr(entry, name)
        if not isinstance(value, int) or isinstance(value, bool) or value < 0:
            problems.add(line_field(index, name), _("Enter a whole number, 0 or more."))
            ok = False
        elif value > ledger.MAX_QUANTITY:
            problems.add(
                line_field(index, name),
                _("The quantity must be at most %(max)d.", max=ledger.MAX_QUANTITY),
            )
            ok = False
    return ok


def _loss_reasons(
    problems: ProblemList,
    entries: Sequence[LineReceipt],
    by_id: dict[int, tuple[int, ShipmentLine]],
) -> dict[int, AdjustmentReason]:
    """The reason of each line that reports something short; a problem when missing or unfit."""
    wanted = {entry.reason_id for entry in entries if entry.lost and entry.reason_id}
    found = {
        r.id: r
        for r in db.session.scalars(select(AdjustmentReason).where(AdjustmentReason.id.in_(wanted)))
    }
    reasons: dict[int, AdjustmentReason] = {}
    for entry in entries:
        if not entry.lost:
            continue
        reason = found.get(entry.reason_id) if entry.reason_id else None
        if (
            reason is None
            or not reason.is_active
            or reason.counterpart_code != "LOSS"
            or reason.direction is AdjustmentDirection.IN
        ):
            problems.add(
                line_field(by_id[entry.line_id][0], "reason_id"),
                _("Say why it was lost: choose a reason from the list."),
            )
            continue
        reasons[entry.line_id] = reason
    return reasons


def _raise_quantity(line: ShipmentLine, extra: int) -> None:
    """A consignment's confirmed surplus: the line now expects what arrived."""
    db.session.execute(
        update(ShipmentLine)
        .where(ShipmentLine.id == line.id)
        .values(quantity=ShipmentLine.quantity + extra)
        .execution_options(synchronize_session=False)
    )


def _keep_discrepancies(
    event: ShipmentEvent,
    reported: Sequence[LineReceipt],
    reasons: dict[int, AdjustmentReason],
    surplus: dict[int, int],
) -> None:
    """A consignment's shortfalls (with their reasons) and surpluses, for its papers."""
    for entry in reported:
        text = (entry.note or "").strip()
        if entry.lost:
            db.session.add(
                ShipmentDiscrepancy(
                    event_id=event.id,
                    line_id=entry.line_id,
                    kind=DiscrepancyKind.SHORT,
                    quantity=entry.lost,
                    reason_id=reasons[entry.line_id].id,
                    note=text,
                )
            )
        if entry.line_id in surplus:
            db.session.add(
                ShipmentDiscrepancy(
                    event_id=event.id,
                    line_id=entry.line_id,
                    kind=DiscrepancyKind.SURPLUS,
                    quantity=surplus[entry.line_id],
                    note=text,
                )
            )
    db.session.flush()


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
