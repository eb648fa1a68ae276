"""Read-only shipment queries: lists with filters, awaiting receipt, the pipeline, FEFO lots.

List functions return ``select()`` statements (pages paginate them); technicians' lists are
narrowed to shipments from or to their own place, as their pages must be.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from sqlalchemy import Select, case, false, func, or_, select
from sqlalchemy.orm import selectinload

from hilogistics.actors import SystemActor
from hilogistics.auth.models import Role, User
from hilogistics.dates import business_today
from hilogistics.db import db, matches_text
from hilogistics.inputs import has_control_characters
from hilogistics.registry.models import Document
from hilogistics.shipments.models import (
    AWAITING,
    Shipment,
    ShipmentDirection,
    ShipmentEvent,
    ShipmentLine,
    ShipmentStatus,
)
from hilogistics.stock.models import (
    AdjustmentDirection,
    AdjustmentReason,
    Balance,
    Grant,
    ItemBalance,
    Lot,
    StockTransaction,
)


@dataclass(frozen=True)
class ShipmentFilters:
    """What a shipments list is narrowed to; None (or "") means any."""

    direction: ShipmentDirection | None = None
    status: ShipmentStatus | None = None
    origin_id: int | None = None
    destination_id: int | None = None
    date_from: date | None = None
    date_to: date | None = None
    grant_id: int | None = None
    text: str = ""
    # Dispatched or partly received (still on its way); with ``status`` both apply.
    awaiting: bool = False


def _visible_to(actor: User | SystemActor | None) -> object:
    """A WHERE clause: every shipment, or a technician's own place's, or none."""
    if isinstance(actor, SystemActor):
        return True
    if actor is None or not actor.is_active:
        return False
    if actor.role is Role.TECHNICIAN:
        return or_(
            Shipment.origin_id == actor.location_id, Shipment.destination_id == actor.location_id
        )
    return True


def shipments_query(
    actor: User | SystemActor | None, filters: ShipmentFilters = ShipmentFilters()
) -> Select[tuple[Shipment]]:
    """Shipments ``actor`` may see, newest first, narrowed by ``filters``.

    The date range applies to the dispatch date, or to the expected date of what was not
    dispatched (drafts, plans).
    """
    statement = (
        select(Shipment)
        .join(Document, Document.id == Shipment.document_id)
        .options(selectinload(Shipment.origin), selectinload(Shipment.destination))
        .order_by(Shipment.id.desc())
    )
    return _filtered(statement, actor, filters)


def shipments_count_query(
    actor: User | SystemActor | None, filters: ShipmentFilters = ShipmentFilters()
) -> Select[tuple[int]]:
    """How many shipments ``shipments_query`` lists: counted on the shipments alone.

    The generic count wraps the listing (its joins to documents included) in a subquery; this
    one joins the documents only to search their numbers, so it reads one index of shipments.
    """
    statement = select(func.count(Shipment.id))
    if (filters.text or "").strip():
        statement = statement.join(Document, Document.id == Shipment.document_id)
    return _filtered(statement, actor, filters)


def _filtered(
    statement: Select, actor: User | SystemActor | None, filters: ShipmentFilters
) -> Select:
    """``statement`` narrowed to what ``actor`` may see and to ``filters``."""
    statement = statement.where(_visible_to(actor))  # type: ignore[arg-type]
    if filters.direction is not None:
        statement = statement.where(Shipment.direction == filters.direction)
    if filters.status is not None:
        statement = statement.where(Shipment.status == filters.status)
    if filters.awaiting:
        statement = statement.where(Shipment.status.in_(AWAITING))
    if filters.origin_id is not None:
        statement = statement.where(Shipment.origin_id == filters.origin_id)
    if filters.destination_id is not None:
        statement = statement.where(Shipment.destination_id == filters.destination_id)
    if filters.grant_id is not None:
        statement = statement.where(Shipment.grant_id == filters.grant_id)
    day = func.coalesce(Shipment.dispatched_on, Shipment.expected_on)
    if filters.date_from is not None:
        statement = statement.where(day >= filters.date_from)
    if filters.date_to is not None:
        statement = statement.where(day <= filters.date_to)
    text = (filters.text or "").strip()
    if text:
        statement = statement.where(
            matches_text(
                (
                    Document.number,
                    Shipment.reference,
                    Shipment.supplier,
                    Shipment.carrier,
                    Shipment.driver,
                    Shipment.vehicle,
                ),
                text,
            )
        )
    return statement


def awaiting_receipt_query(location_id: int) -> Select[tuple[Shipment]]:
    """Shipments dispatched to ``location_id`` and not yet wholly received, oldest first."""
    return (
        select(Shipment)
        .where(Shipment.destination_id == location_id, Shipment.status.in_(AWAITING))
        .options(selectinload(Shipment.origin))
        .order_by(Shipment.dispatched_on, Shipment.id)
    )


def expected_consignments_query(today: date | None = None) -> Select[tuple[Shipment]]:
    """The pipeline: consignments planned or partly received, overdue first, then by date."""
    today = today or business_today()
    overdue = case((Shipment.expected_on < today, 0), else_=1)
    return (
        select(Shipment)
        .where(
            Shipment.direction == ShipmentDirection.INBOUND,
            Shipment.status.in_((ShipmentStatus.DRAFT, ShipmentStatus.PARTLY_RECEIVED)),
        )
        .options(selectinload(Shipment.destination))
        .order_by(overdue, Shipment.expected_on.is_(None), Shipment.expected_on, Shipment.id)
    )


def shipment_with_lines(shipment_id: int) -> Shipment | None:
    """One shipment with its lines, their items and lots, and its history, loaded at once."""
    return db.session.scalar(
        select(Shipment)
        .where(Shipment.id == shipment_id)
        .options(
            selectinload(Shipment.lines).selectinload(ShipmentLine.item),
            selectinload(Shipment.lines).selectinload(ShipmentLine.lot),
            selectinload(Shipment.events).selectinload(ShipmentEvent.actor),
            selectinload(Shipment.events).selectinload(ShipmentEvent.discrepancies),
            selectinload(Shipment.origin),
            selectinload(Shipment.destination),
        )
    )


def shipment_transactions(shipment: Shipment) -> list[StockTransaction]:
    """The ledger transactions the shipment posted, in order, with their movements."""
    return list(
        db.session.scalars(
            select(StockTransaction)
            .where(StockTransaction.document_id == shipment.document_id)
            .options(selectinload(StockTransaction.movements))
            .order_by(StockTransaction.id)
        )
    )


def available_at(location_id: int, item_ids: Sequence[int]) -> dict[int, int]:
    """What of each item is available (on hand less reserved) at a place."""
    if not item_ids:
        return {}
    rows = db.session.execute(
        select(ItemBalance.item_id, ItemBalance.on_hand - ItemBalance.reserved).where(
            ItemBalance.location_id == location_id, ItemBalance.item_id.in_(item_ids)
        )
    ).all()
    return {item_id: int(available) for item_id, available in rows}


def origin_stock(shipment: Shipment) -> tuple[dict[int, int], dict[int, int]]:
    """What the shipment's origin holds of its lines' lots, and has available of their items.

    (lot → balance, item → on hand less reserved), two statements whatever the lines.
    """
    items = available_at(shipment.origin_id, [line.item_id for line in shipment.lines])
    lot_ids = [line.lot_id for line in shipment.lines if line.lot_id is not None]
    if not lot_ids:
        return {}, items
    rows = db.session.execute(
        select(Balance.lot_id, Balance.quantity).where(
            Balance.location_id == shipment.origin_id, Balance.lot_id.in_(lot_ids)
        )
    ).all()
    return {lot_id: int(quantity) for lot_id, quantity in rows}, items


def line_availability(shipment: Shipment) -> list[int]:
    """Per line, what its origin can give of the line's lot.

    The lot's balance, and no more than the item's available (on hand less reserved) unless
    the line carries its own reservation.
    """
    lots, items = origin_stock(shipment)
    found = []
    for line in shipment.lines:
        item = items.get(line.item_id, 0)
        if line.lot_id is None:
            found.append(item)
        elif line.reservation_id is not None:
            found.append(int(lots.get(line.lot_id, 0)))
        else:
            found.append(min(int(lots.get(line.lot_id, 0)), item))
    return found


@dataclass(frozen=True)
class LotSuggestion:
    """Take ``quantity`` of ``lot`` (which has ``on_hand`` at the origin)."""

    lot: Lot
    quantity: int
    on_hand: int


def fefo_lots(
    *, location_id: int, item_id: int, quantity: int, on: date | None = None
) -> list[LotSuggestion]:
    """Lots to send, first expiry first out: unexpired lots by expiry, then lots without one.

    Covers ``quantity`` when the place has it; otherwise suggests everything there is (the
    caller sees the total fall short). Expired lots are never suggested: they may not be sent.
    """
    on = on or business_today()
    rows = db.session.execute(
        select(Lot, Balance.quantity)
        .join(Balance, Balance.lot_id == Lot.id)
        .where(
            Balance.location_id == location_id,
            Balance.item_id == item_id,
            Balance.quantity > 0,
            or_(Lot.expires_on.is_(None), Lot.expires_on >= on),
        )
        .order_by(Lot.expires_on.is_(None), Lot.expires_on, Lot.id)
    ).all()
    suggestions: list[LotSuggestion] = []
    left = quantity
    for lot, on_hand in rows:
        if left <= 0:
            break
        take = min(left, on_hand)
        suggestions.append(LotSuggestion(lot=lot, quantity=take, on_hand=on_hand))
        left -= take
    return suggestions


def shipment_of_document(document_id: int) -> Shipment | None:
    """The shipment a registry document numbers, if any."""
    return db.session.scalar(select(Shipment).where(Shipment.document_id == document_id))


def loss_reasons() -> list[AdjustmentReason]:
    """Reasons a shortage in transit may give: active ones that write stock off to the loss."""
    return list(
        db.session.scalars(
            select(AdjustmentReason)
            .where(
                AdjustmentReason.is_active,
                AdjustmentReason.counterpart_code == "LOSS",
                AdjustmentReason.direction != AdjustmentDirection.IN,
            )
            .order_by(AdjustmentReason.sort_order, AdjustmentReason.id)
        )
    )


def lots_by_text(wanted: set[tuple[int, str]], origin_id: int | None) -> dict[tuple[int, str], Lot]:
    """Lots of (item id, code or serial typed), preferring one held at the origin."""
    texts = {text for _item, text in wanted if not has_control_characters(text)}
    if not wanted or not texts:
        return {}
    held = (
        select(Balance.quantity)
        .where(
            Balance.lot_id == Lot.id,
            Balance.location_id == (origin_id or 0),
            Balance.quantity > 0,
        )
        .exists()
    )
    rows = db.session.execute(
        select(Lot, held)
        .where(
            Lot.item_id.in_({item for item, _text in wanted}),
            or_(func.upper(Lot.code).in_(texts), func.upper(Lot.serial).in_(texts)),
        )
        .order_by(Lot.id)
    ).all()
    found: dict[tuple[int, str], Lot] = {}
    preferred: set[tuple[int, str]] = set()
    for lot, is_held in rows:
        for text in {(lot.code or "").upper(), (lot.serial or "").upper()} & texts:
            key = (lot.item_id, text)
            if key in preferred:
                continue
            found[key] = lot
            if is_held:
                preferred.add(key)
    return found


def uncoded_lot_choices(
    item_ids: set[int], origin_id: int | None
) -> dict[int, list[LotSuggestion]]:
    """Per item, its lots without a code or serial held at the origin, most on hand first.

    Items kept without lot codes have one code-less lot per grant (and expiry): a clerk tells
    them apart by grant (see ``uncoded_lots_by_grant``).
    """
    if not item_ids or origin_id is None:
        return {}
    rows = db.session.execute(
        select(Lot, Balance.quantity)
        .join(Balance, Balance.lot_id == Lot.id)
        .where(
            Lot.item_id.in_(item_ids),
            Lot.code == "",
            Lot.serial.is_(None),
            Balance.location_id == origin_id,
            Balance.quantity > 0,
        )
        .order_by(Lot.item_id, Balance.quantity.desc(), Lot.id)
    ).all()
    found: dict[int, list[LotSuggestion]] = {}
    for lot, quantity in rows:
        found.setdefault(lot.item_id, []).append(
            LotSuggestion(lot=lot, quantity=quantity, on_hand=quantity)
        )
    return found


def uncoded_lots_at(item_ids: set[int], origin_id: int | None) -> dict[int, Lot]:
    """Per item, its lot without a code or serial that the origin holds most of.

    A line whose lot is left blank means that lot: items kept without lot codes have one
    code-less lot per grant, and a clerk has no code to type for it.
    """
    return {
        item_id: choices[0].lot
        for item_id, choices in uncoded_lot_choices(item_ids, origin_id).items()
    }


# What a clerk types in a line's lot for the lot without a code and without a grant.
NO_GRANT = "-"


def uncoded_lots_by_grant(
    wanted: set[tuple[int, str]], origin_id: int | None
) -> dict[tuple[int, str], Lot]:
    """Lots without a code of (item id, grant code typed, upper case; ``-``: no grant).

    Prefers the one the origin holds most of; a lot held nowhere there is still found (the
    dispatch then says what is missing), as for lots typed by their code.
    """
    texts = {text for _item, text in wanted if not has_control_characters(text)}
    if not wanted or not texts:
        return {}
    held = (
        select(func.coalesce(func.max(Balance.quantity), 0))
        .where(Balance.lot_id == Lot.id, Balance.location_id == (origin_id or 0))
        .scalar_subquery()
    )
    grant_code = func.upper(Grant.code)
    rows = db.session.execute(
        select(Lot, grant_code)
        .outerjoin(Grant, Grant.id == Lot.grant_id)
        .where(
            Lot.item_id.in_({item for item, _text in wanted}),
            Lot.code == "",
            Lot.serial.is_(None),
            or_(
                grant_code.in_(texts),
                Lot.grant_id.is_(None) if NO_GRANT in texts else false(),
            ),
        )
        .order_by(held.desc(), Lot.id)
    ).all()
    found: dict[tuple[int, str], Lot] = {}
    for lot, code in rows:
        found.setdefault((lot.item_id, code or NO_GRANT), lot)
    return {key: lot for key, lot in found.items() if key in wanted}
