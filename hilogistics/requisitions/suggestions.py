"""What a place should ask for: on hand, on its way, monthly consumption, suggested quantity.

For every item of a place, in one statement (no query per item):

- *on hand*: the place's item balance;
- *on its way*: what dispatched shipments bound for the place still carry (not yet received
  nor written off);
- *consumption*: what left the place as ``distribution`` or ``consumption`` over the last
  three **complete** months before the business date, less what reversals of those brought
  back (a corrected slip), averaged over those months. An item that first came to the place
  inside that window is averaged over the complete months since its arrival month; one that
  arrived this month has no complete month yet (no rate, no suggestion);
- *suggested*: target months × monthly consumption − on hand − on its way, rounded up, never
  negative.
"""

from dataclasses import dataclass
from datetime import date

from sqlalchemy import exists, func, select, union
from sqlalchemy.orm import aliased

from hilogistics.catalogue.models import Item
from hilogistics.dates import business_today
from hilogistics.db import db
from hilogistics.locations.models import Location
from hilogistics.shipments.models import (
    AWAITING,
    Shipment,
    ShipmentDirection,
    ShipmentLine,
)
from hilogistics.stock.models import (
    ItemBalance,
    Movement,
    ReorderLevel,
    StockTransaction,
    TransactionKind,
)

WINDOW_MONTHS = 3
CONSUMING_KINDS = (TransactionKind.DISTRIBUTION, TransactionKind.CONSUMPTION)


@dataclass(frozen=True)
class Suggestion:
    """The figures beside one item of a requisition, for one place."""

    item_id: int
    on_hand: int = 0
    on_the_way: int = 0
    consumption_total: int = 0
    # Complete months the total covers; None when the item came to the place this month.
    consumption_months: int | None = WINDOW_MONTHS
    suggested: int = 0
    minimum: int | None = None
    maximum: int | None = None

    @property
    def monthly_consumption(self) -> float | None:
        """Average consumed per complete month (None when no complete month is known)."""
        if not self.consumption_months:
            return None
        return self.consumption_total / self.consumption_months

    @property
    def months_left(self) -> float | None:
        """Months the stock on hand lasts at that rate (None when nothing is consumed)."""
        rate = self.monthly_consumption
        return self.on_hand / rate if rate else None

    @property
    def below_minimum(self) -> bool:
        """True when the stock on hand is below the place's reorder minimum for the item."""
        return self.minimum is not None and self.on_hand < self.minimum

    @property
    def wanted(self) -> bool:
        """Whether the fill button adds this item: something suggested, or below minimum."""
        return self.suggested > 0 or self.below_minimum

    @property
    def fill_quantity(self) -> int:
        """What the fill button asks for: the suggestion, or up to the reorder level."""
        if self.suggested > 0:
            return self.suggested
        level = self.maximum if self.maximum is not None else (self.minimum or 0)
        return max(1, level - self.on_hand - self.on_the_way)


def fill_suggestions(location: Location) -> list[tuple[Item, Suggestion]]:
    """What the fill button adds for a place: each active item it should ask for, by code."""
    figures = suggestions_for(location.id, target_months=location.target_months)
    wanted = {s.item_id: s for s in figures.values() if s.wanted}
    if not wanted:
        return []
    items = db.session.scalars(
        select(Item).where(Item.id.in_(wanted), Item.is_active).order_by(Item.code)
    )
    return [(item, wanted[item.id]) for item in items]


def window(on: date) -> tuple[date, date]:
    """The first day of the window and the first day after it: three months before ``on``'s."""
    month_index = on.year * 12 + on.month - 1 - WINDOW_MONTHS
    return date(month_index // 12, month_index % 12 + 1, 1), on.replace(day=1)


def months_between(start: date, end: date) -> int:
    """Whole months from the first of ``start``'s month to ``end`` (a first of month)."""
    return (end.year - start.year) * 12 + end.month - start.month


def suggestions_for(
    location_id: int,
    *,
    target_months: int,
    on: date | None = None,
    item_ids: set[int] | None = None,
) -> dict[int, Suggestion]:
    """The figures of every item the place holds, expects, consumed or has a reorder level for.

    ``item_ids`` adds items the place has never seen (zeros). One SELECT answers for all.
    """
    start, end = window(on or business_today())
    stock = (
        select(ItemBalance.item_id.label("item_id"), ItemBalance.on_hand.label("on_hand"))
        .where(ItemBalance.location_id == location_id)
        .subquery("stock")
    )
    way = (
        select(
            ShipmentLine.item_id.label("item_id"),
            func.sum(
                ShipmentLine.quantity
                - ShipmentLine.received
                - ShipmentLine.damaged
                - ShipmentLine.lost
            ).label("on_the_way"),
        )
        .join(Shipment, Shipment.id == ShipmentLine.shipment_id)
        .where(
            Shipment.destination_id == location_id,
            Shipment.direction == ShipmentDirection.OUTBOUND,
            Shipment.status.in_(AWAITING),
        )
        .group_by(ShipmentLine.item_id)
        .subquery("way")
    )
    used = (
        select(Movement.item_id.label("item_id"), func.sum(Movement.quantity).label("total"))
        .join(StockTransaction, StockTransaction.id == Movement.transaction_id)
        .where(
            Movement.from_location_id == location_id,
            Movement.occurred_on >= start,
            Movement.occurred_on < end,
            StockTransaction.kind.in_(CONSUMING_KINDS),
        )
        .group_by(Movement.item_id)
        .subquery("used")
    )
    # A corrected slip reverses what it handed out: counted back in the month it was handed out.
    undone = aliased(Movement)
    undone_tx = aliased(StockTransaction)
    back = (
        select(Movement.item_id.label("item_id"), func.sum(Movement.quantity).label("total"))
        .join(undone, undone.id == Movement.reverses_movement_id)
        .join(undone_tx, undone_tx.id == undone.transaction_id)
        .where(
            Movement.to_location_id == location_id,
            Movement.occurred_on >= start,
            undone.from_location_id == location_id,
            undone.occurred_on >= start,
            undone.occurred_on < end,
            undone_tx.kind.in_(CONSUMING_KINDS),
        )
        .group_by(Movement.item_id)
        .subquery("back")
    )
    # First arrival inside the window only (what an old history holds is not read); whether
    # the item came before the window is one index probe per item (EXISTS below).
    first = (
        select(Movement.item_id.label("item_id"), func.min(Movement.occurred_on).label("first_on"))
        .where(Movement.to_location_id == location_id, Movement.occurred_on >= start)
        .group_by(Movement.item_id)
        .subquery("first")
    )
    levels = (
        select(
            ReorderLevel.item_id.label("item_id"),
            ReorderLevel.minimum.label("minimum"),
            ReorderLevel.maximum.label("maximum"),
        )
        .where(ReorderLevel.location_id == location_id)
        .subquery("levels")
    )
    parts = [
        select(stock.c.item_id),
        select(way.c.item_id),
        select(used.c.item_id),
        select(levels.c.item_id),
    ]
    ids = union(*parts).subquery("ids")
    rows = db.session.execute(
        select(
            ids.c.item_id,
            func.coalesce(stock.c.on_hand, 0),
            func.coalesce(way.c.on_the_way, 0),
            func.coalesce(used.c.total, 0),
            func.coalesce(back.c.total, 0),
            first.c.first_on,
            exists()
            .where(
                Movement.to_location_id == location_id,
                Movement.item_id == ids.c.item_id,
                Movement.occurred_on < start,
            )
            .correlate(ids),
            levels.c.minimum,
            levels.c.maximum,
        )
        .select_from(ids)
        .outerjoin(stock, stock.c.item_id == ids.c.item_id)
        .outerjoin(way, way.c.item_id == ids.c.item_id)
        .outerjoin(used, used.c.item_id == ids.c.item_id)
        .outerjoin(back, back.c.item_id == ids.c.item_id)
        .outerjoin(first, first.c.item_id == ids.c.item_id)
        .outerjoin(levels, levels.c.item_id == ids.c.item_id)
    ).all()
    found: dict[int, Suggestion] = {}
    for item_id, on_hand, on_the_way, total, returned, first_on, earlier, minimum, maximum in rows:
        found[item_id] = _suggestion(
            item_id=item_id,
            on_hand=int(on_hand),
            on_the_way=int(on_the_way),
            total=int(total) - int(returned),
            first_on=None if earlier else _as_date(first_on),
            start=start,
            end=end,
            target_months=target_months,
            minimum=minimum,
            maximum=maximum,
        )
    for item_id in item_ids or ():
        found.setdefault(item_id, Suggestion(item_id=item_id))
    return found


def _as_date(value: object) -> date | None:
    # SQLite returns MIN() of a date column as text.
    if value is None or isinstance(value, date):
        return value
    return date.fromisoformat(str(value))


def _suggestion(
    *,
    item_id: int,
    on_hand: int,
    on_the_way: int,
    total: int,
    first_on: date | None,
    start: date,
    end: date,
    target_months: int,
    minimum: int | None,
    maximum: int | None,
) -> Suggestion:
    months: int | None = WINDOW_MONTHS
    if first_on is not None and first_on >= start:
        months = months_between(first_on, end) or None
    suggested = 0
    if months:
        # Rounded up in whole units: target × total / months, in integers.
        needed = -(-target_months * max(total, 0) // months)
        suggested = max(0, needed - on_hand - on_the_way)
    return Suggestion(
        item_id=item_id,
        on_hand=on_hand,
        on_the_way=on_the_way,
        consumption_total=max(total, 0),
        consumption_months=months,
        suggested=suggested,
        minimum=minimum,
        maximum=maximum,
    )
