"""The shipment's papers: waybill and packing list, picking list (FEFO), goods-received note.

Each function says what the document holds; ``layout.render`` draws it. Item names print in
Korean and English. Nothing here writes: the caller logs the print (``log_print``) and passes
the copy number.
"""

from collections import defaultdict
from collections.abc import Sequence

from sqlalchemy import select

from hilogistics.catalogue.models import Item
from hilogistics.db import db
from hilogistics.documents.layout import Column, Document, Printing, both, msg, render
from hilogistics.locations.models import Location
from hilogistics.shipments.models import (
    DiscrepancyKind,
    Shipment,
    ShipmentDiscrepancy,
    ShipmentEvent,
    ShipmentLine,
)
from hilogistics.shipments.queries import fefo_lots
from hilogistics.stock.models import AdjustmentReason, Lot, StockTransaction

WAYBILL = "waybill"
PICKING_LIST = "picking-list"
GOODS_RECEIVED = "goods-received"
KINDS = (WAYBILL, PICKING_LIST, GOODS_RECEIVED)
CHECK_BOX = "[   ]"


def _bilingual(korean: str | None, english: str) -> str:
    return f"{korean} · {english}" if korean and korean != english else english


def _place(location: Location) -> str:
    return _bilingual(location.name_ko, location.name)


def _item(item: Item) -> str:
    return _bilingual(item.name_ko, item.name)


def _lot(lot: Lot | None, code: str = "") -> str:
    if lot is None:
        return code
    return lot.serial or lot.code or ""


def _expiry(lot: Lot | None) -> str:
    return lot.expires_on.isoformat() if lot is not None and lot.expires_on else ""


def _day(value: object) -> str:
    return value.isoformat() if value is not None else ""  # type: ignore[attr-defined]


def _transport_facts(shipment: Shipment) -> list[tuple[str, str]]:
    facts = [
        (both("From"), shipment.supplier or _place(shipment.origin)),
        (both("To"), _place(shipment.destination)),
        (both("Carrier"), shipment.carrier),
        (both("Vehicle"), shipment.vehicle),
        (both("Driver"), shipment.driver),
        (both("Reference"), shipment.reference),
    ]
    if shipment.grant is not None:
        facts.append((both("Grant"), f"{shipment.grant.code} · {shipment.grant.donor}"))
    return facts


def waybill_document(*, shipment: Shipment, printing: Printing, copy: int = 1) -> Document:
    """The waybill and packing list that travels with the goods, with the receiver's columns."""
    rows = [
        [
            str(line.position),
            line.item.code,
            _item(line.item),
            _lot(line.lot, line.lot_code),
            _expiry(line.lot) or _day(line.expires_on),
            str(line.quantity),
            _bilingual(line.item.unit.name_ko, line.item.unit.name),
            "",
            "",
        ]
        for line in shipment.lines
    ]
    total = sum(line.quantity for line in shipment.lines)
    rows.append(["", "", both("Total"), "", "", str(total), "", "", ""])
    facts = [
        (both("Dispatched on"), _day(shipment.dispatched_on)),
        (both("Expected on"), _day(shipment.expected_on)),
        *_transport_facts(shipment),
    ]
    return Document(
        title=msg("Waybill and packing list"),
        number=shipment.number,
        qr_payload=printing.qr_payload(f"/d/{shipment.number}", shipment.number),
        facts=facts,
        columns=[
            Column(both("No."), 7, "R"),
            Column(both("Code"), 19),
            Column(both("Item"), 27),
            Column(both("Lot"), 13),
            Column(both("Expiry"), 13),
            Column(both("Quantity"), 11, "R"),
            Column(both("Unit"), 8),
            Column(both("Received"), 11, "R"),
            Column(both("Remarks"), 12),
        ],
        rows=rows,
        note=both(
            "Receiver: write what arrived, damaged or short on each line before signing; "
            "the driver signs the discrepancies too."
        ),
        signatures=[both("Prepared by"), both("Carried by"), both("Received by")],
        copy=copy,
        **printing.header(),
    )


def picking_list_document(*, shipment: Shipment, printing: Printing, copy: int = 1) -> Document:
    """What to take from the shelves for a draft: lines by item, lots first-expiry-first-out.

    A line that names its lot is picked from it; one that does not gets the FEFO suggestion.
    """
    by_item: dict[int, list[ShipmentLine]] = defaultdict(list)
    for line in shipment.lines:
        by_item[line.item_id].append(line)
    rows: list[list[str]] = []
    number = 0
    for lines in sorted(by_item.values(), key=lambda ls: ls[0].item.code):
        item = lines[0].item
        picks: list[tuple[Lot | None, int, int | None]] = []
        for line in lines:
            if line.lot is not None:
                picks.append((line.lot, line.quantity, None))
                continue
            suggested = fefo_lots(
                location_id=shipment.origin_id, item_id=item.id, quantity=line.quantity
            )
            picks.extend((s.lot, s.quantity, s.on_hand) for s in suggested)
            short = line.quantity - sum(s.quantity for s in suggested)
            if short > 0:
                picks.append((None, short, 0))
        picks.sort(key=lambda p: (p[0] is None, _expiry(p[0]) or "9999", _lot(p[0])))
        for lot, quantity, _on_hand in picks:
            number += 1
            rows.append(
                [
                    CHECK_BOX,
                    str(number),
                    item.code,
                    _item(item),
                    _lot(lot) if lot is not None else both("No stock"),
                    _expiry(lot),
                    str(quantity),
                    "",
                ]
            )
    facts = [
        (both("From"), _place(shipment.origin)),
        (both("To"), _place(shipment.destination)),
        (both("Status"), shipment.status.value),
        (both("Expected on"), _day(shipment.expected_on)),
    ]
    return Document(
        title=msg("Picking list"),
        number=shipment.number,
        qr_payload=printing.qr_payload(f"/d/{shipment.number}", shipment.number),
        facts=facts,
        columns=[
            Column(both("Done"), 7, "C"),
            Column(both("No."), 5, "R"),
            Column(both("Code"), 16),
            Column(both("Item"), 36),
            Column(both("Lot"), 12),
            Column(both("Expiry"), 11),
            Column(both("To pick"), 9, "R"),
            Column(both("Picked"), 9, "R"),
        ],
        rows=rows,
        signatures=[both("Picked by"), both("Checked by")],
        copy=copy,
        **printing.header(),
    )


def _event_quantities(
    shipment: Shipment, transactions: Sequence[StockTransaction]
) -> dict[tuple[int, int], dict[str, object]]:
    """Per (item, lot): received, damaged, lost and the reasons, from the event's movements."""
    outcome: dict[tuple[int, int], dict[str, object]] = defaultdict(
        lambda: {"received": 0, "damaged": 0, "lost": 0, "reasons": set(), "notes": set()}
    )
    reasons = {r.id: r for r in db.session.scalars(select(AdjustmentReason))}
    for transaction in transactions:
        for movement in transaction.movements:
            entry = outcome[(movement.item_id, movement.lot_id)]
            reason = reasons.get(movement.reason_id) if movement.reason_id else None
            if movement.to_location_id == shipment.destination_id:
                entry["received"] += movement.quantity  # type: ignore[operator]
            elif reason is not None:
                key = "damaged" if reason.code == "damaged" else "lost"
                entry[key] += movement.quantity  # type: ignore[operator]
                entry["reasons"].add(_bilingual(reason.name_ko, reason.name))  # type: ignore[attr-defined]
            if movement.note:
                entry["notes"].add(movement.note)  # type: ignore[attr-defined]
    return outcome


def _discrepancies(event: ShipmentEvent) -> list[ShipmentDiscrepancy]:
    return list(
        db.session.scalars(
            select(ShipmentDiscrepancy)
            .where(ShipmentDiscrepancy.event_id == event.id)
            .order_by(ShipmentDiscrepancy.id)
        )
    )


def _planned(shipment: Shipment) -> dict[int, int]:
    """Per line, the quantity planned before any surplus raised it (consignments)."""
    raised: dict[int, int] = defaultdict(int)
    for found in db.session.scalars(
        select(ShipmentDiscrepancy)
        .join(ShipmentLine, ShipmentLine.id == ShipmentDiscrepancy.line_id)
        .where(
            ShipmentLine.shipment_id == shipment.id,
            ShipmentDiscrepancy.kind == DiscrepancyKind.SURPLUS,
        )
    ):
        raised[found.line_id] += found.quantity
    return {line.id: line.quantity - raised[line.id] for line in shipment.lines}


def goods_received_document(
    *, shipment: Shipment, event: ShipmentEvent, printing: Printing, copy: int = 1
) -> Document:
    """The goods-received note of one receiving event: sent, arrived, and each discrepancy.

    Lots and expiry dates are those found (the event's movements); a consignment's shortfalls
    with their reasons and its surpluses come from its ShipmentDiscrepancy rows.
    """
    transactions = [t for t in (event.transaction, event.loss_transaction) if t is not None]
    outcome = _event_quantities(shipment, transactions)
    lots = {m.lot_id: m.lot for t in transactions for m in t.movements}
    keyed: dict[tuple[int, int | None], ShipmentLine] = {}
    for item_id, lot_id in outcome:
        keyed[(item_id, lot_id)] = next(
            (ln for ln in shipment.lines if ln.item_id == item_id and ln.lot_id == lot_id),
            None,
        ) or next(ln for ln in shipment.lines if ln.item_id == item_id)
    for found in _discrepancies(event):
        line = found.line
        key = next((k for k, ln in keyed.items() if ln.id == line.id), (line.item_id, None))
        keyed.setdefault(key, line)
        entry = outcome[key]  # type: ignore[index]
        if found.kind is DiscrepancyKind.SHORT:
            entry["lost"] += found.quantity  # type: ignore[operator]
            if found.reason is not None:
                entry["reasons"].add(_bilingual(found.reason.name_ko, found.reason.name))  # type: ignore[attr-defined]
        else:
            entry["reasons"].add(both("%(n)d more than planned", n=found.quantity))  # type: ignore[attr-defined]
        if found.note:
            entry["notes"].add(found.note)  # type: ignore[attr-defined]
    planned = _planned(shipment) if shipment.is_inbound else {}
    rows: list[list[str]] = []
    for key, entry in outcome.items():
        line = keyed[key]
        lot = lots.get(key[1])
        rows.append(
            [
                line.item.code,
                _item(line.item),
                _lot(lot, line.lot_code),
                _expiry(lot) or _day(line.expires_on),
                str(planned.get(line.id, line.quantity)),
                str(entry["received"]),
                str(entry["damaged"] or ""),
                str(entry["lost"] or ""),
                "; ".join(sorted(entry["reasons"] | entry["notes"])),  # type: ignore[operator]
            ]
        )
    facts = [
        (both("Received on"), _day(event.occurred_on)),
        (both("Dispatched on"), _day(shipment.dispatched_on)),
        *_transport_facts(shipment),
        (both("Recorded by"), event.actor.display_name if event.actor else "—"),
    ]
    if event.note:
        facts.append((both("Note"), event.note))
    return Document(
        title=msg("Goods-received note"),
        number=shipment.number,
        qr_payload=printing.qr_payload(f"/d/{shipment.number}", shipment.number),
        facts=facts,
        columns=[
            Column(both("Code"), 13),
            Column(both("Item"), 24),
            Column(both("Lot"), 10),
            Column(both("Expiry"), 11),
            Column(both("Planned") if shipment.is_inbound else both("Sent"), 10, "R"),
            Column(both("Received"), 11, "R"),
            Column(both("Damaged"), 11, "R"),
            Column(both("Short"), 9, "R"),
            Column(both("Remarks"), 18),
        ],
        rows=rows,
        signatures=[both("Delivered by"), both("Received by"), both("Checked by")],
        copy=copy,
        **printing.header(),
    )


def shipment_pdf(
    *,
    kind: str,
    shipment: Shipment,
    printing: Printing,
    copy: int = 1,
    event: ShipmentEvent | None = None,
    strict: bool = False,
) -> bytes:
    """One of the shipment's documents (``kind`` in KINDS) as PDF bytes."""
    if kind == WAYBILL:
        document = waybill_document(shipment=shipment, printing=printing, copy=copy)
    elif kind == PICKING_LIST:
        document = picking_list_document(shipment=shipment, printing=printing, copy=copy)
    elif kind == GOODS_RECEIVED:
        if event is None:
            raise ValueError("a goods-received note is of one receiving event")
        document = goods_received_document(
            shipment=shipment, event=event, printing=printing, copy=copy
        )
    else:
        raise ValueError(f"unknown shipment document {kind!r}")
    return render(document, strict=strict)
