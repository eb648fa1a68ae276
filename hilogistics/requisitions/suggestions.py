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
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    CTE,
    ColumnElement,
    Numeric,
    Select,
    Subquery,
    and_,
    case,
    cast,
    exists,
    func,
    literal,
    null,
    or_,
    select,
    union,
    union_all,
)
from sqlalchemy.orm import aliased

from hilogistics.catalogue.models import Item
from hilogistics.dates import business_today
from hilogistics.db import db
from hilogistics.locations.models import Location
from hilogistics.requisitions.models import months_shown, rate_shown
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
# One place's id, or a SELECT of place ids.
Places = int | Select[tuple[int]]
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
    def monthly_consumption(self) -> Decimal | None:
        """Average consumed per complete month, to one decimal (None: no complete month)."""
        return rate_shown(self.consumption_total, self.consumption_months)

    @property
    def months_left(self) -> Decimal | None:
        """Months the stock on hand lasts at that rate, to one decimal (None: nothing used)."""
        return months_shown(self.on_hand, self.consumption_total, self.consumption_months)

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
    return month_start(on, -WINDOW_MONTHS), on.replace(day=1)


def months_between(start: date, end: date) -> int:
    """Whole months from the first of ``start``'s month to ``end`` (a first of month)."""
    return (end.year - start.year) * 12 + end.month - start.month


def month_start(first: date, months: int) -> date:
    """The first day of the month ``months`` after ``first``'s month."""
    month_index = first.year * 12 + first.month - 1 + months
    return date(month_index // 12, month_index % 12 + 1, 1)


def _at(column: ColumnElement[int], places: Places) -> ColumnElement[bool]:
    # One place by equality (an index probe), several by a sub-select of their ids.
    return column == places if isinstance(places, int) else column.in_(places)


def place_figures(places: Places, *, on: date | None = None) -> CTE:
    """Per (place, item): the figures a suggestion is worked from, for one place or several.

    ``places`` is a place's id or a SELECT of place ids. Columns: ``location_id``, ``item_id``,
    ``on_hand``, ``on_the_way``, ``used`` (net consumption over the window, never negative),
    ``months`` (complete months it covers; NULL for an item that came this month),
    ``minimum``, ``maximum``. Rows: every item a place holds, expects, consumed or has a
    reorder level for.
    """
    start, end = window(on or business_today())
    stock = (
        select(
            ItemBalance.location_id.label("location_id"),
            ItemBalance.item_id.label("item_id"),
            ItemBalance.on_hand.label("on_hand"),
        )
        .where(_at(ItemBalance.location_id, places))
        .subquery("stock")
    )
    way = (
        select(
            Shipment.destination_id.label("location_id"),
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
            _at(Shipment.destination_id, places),
            Shipment.direction == ShipmentDirection.OUTBOUND,
            Shipment.status.in_(AWAITING),
        )
        .group_by(Shipment.destination_id, ShipmentLine.item_id)
        .subquery("way")
    )
    used = (
        select(
            Movement.from_location_id.label("location_id"),
            Movement.item_id.label("item_id"),
            func.sum(Movement.quantity).label("total"),
        )
        .join(StockTransaction, StockTransaction.id == Movement.transaction_id)
        .where(
            _at(Movement.from_location_id, places),
            Movement.occurred_on >= start,
            Movement.occurred_on < end,
            StockTransaction.kind.in_(CONSUMING_KINDS),
        )
        .group_by(Movement.from_location_id, Movement.item_id)
        .subquery("used")
    )
    # A corrected slip reverses what it handed out: counted back in the month it was handed out.
    undone = aliased(Movement)
    undone_tx = aliased(StockTransaction)
    back = (
        select(
            Movement.to_location_id.label("location_id"),
            Movement.item_id.label("item_id"),
            func.sum(Movement.quantity).label("total"),
        )
        .join(undone, undone.id == Movement.reverses_movement_id)
        .join(undone_tx, undone_tx.id == undone.transaction_id)
        .where(
            _at(Movement.to_location_id, places),
            Movement.occurred_on >= start,
            undone.from_location_id == Movement.to_location_id,
            undone.occurred_on >= start,
            undone.occurred_on < end,
            undone_tx.kind.in_(CONSUMING_KINDS),
        )
        .group_by(Movement.to_location_id, Movement.item_id)
        .subquery("back")
    )
    # First arrival inside the window only (what an old history holds is not read); whether
    # the item came before the window is one index probe per such item (EXISTS below).
    first = (
        select(
            Movement.to_location_id.label("location_id"),
            Movement.item_id.label("item_id"),
            func.min(Movement.occurred_on).label("first_on"),
        )
        .where(_at(Movement.to_location_id, places), Movement.occurred_on >= start)
        .group_by(Movement.to_location_id, Movement.item_id)
        .subquery("first")
    )
    levels = (
        select(
            ReorderLevel.location_id.label("location_id"),
            ReorderLevel.item_id.label("item_id"),
            ReorderLevel.minimum.label("minimum"),
            ReorderLevel.maximum.label("maximum"),
        )
        .where(_at(ReorderLevel.location_id, places))
        .subquery("levels")
    )
    # Every (place, item) that ever moved has its item row (the ledger writes it and never
    # deletes it), so what was consumed is among the stock rows; a union over every row would
    # sort them all to remove duplicates, hence the few others are added when not among them.
    others = union(
        select(way.c.location_id, way.c.item_id), select(levels.c.location_id, levels.c.item_id)
    ).subquery("others")
    ids: Any = union_all(
        select(stock.c.location_id, stock.c.item_id),
        select(others.c.location_id, others.c.item_id).where(
            ~exists().where(
                ItemBalance.location_id == others.c.location_id,
                ItemBalance.item_id == others.c.item_id,
            )
        ),
    )
    # Materialised too: joined to a UNION ALL, the planner would work every part for each arm.
    ids = ids.cte("ids").prefix_with("MATERIALIZED")

    def joined(part: Subquery) -> ColumnElement[bool]:
        return and_(part.c.location_id == ids.c.location_id, part.c.item_id == ids.c.item_id)

    earlier = (
        exists()
        .where(
            Movement.to_location_id == ids.c.location_id,
            Movement.item_id == ids.c.item_id,
            Movement.occurred_on < start,
        )
        .correlate(ids)
    )
    # Complete months since the first arrival: the whole window when the item was there before
    # it (or never arrived inside it), fewer when it first came inside it, none this month.
    months = case(
        (first.c.first_on.is_(None), WINDOW_MONTHS),
        (earlier, WINDOW_MONTHS),
        *(
            (first.c.first_on < month_start(start, k + 1), WINDOW_MONTHS - k)
            for k in range(WINDOW_MONTHS)
        ),
        else_=null(),
    )
    net = func.coalesce(used.c.total, 0) - func.coalesce(back.c.total, 0)
    return (
        select(
            ids.c.location_id.label("location_id"),
            ids.c.item_id.label("item_id"),
            func.coalesce(stock.c.on_hand, 0).label("on_hand"),
            func.coalesce(way.c.on_the_way, 0).label("on_the_way"),
            case((net > 0, net), else_=0).label("used"),
            months.label("months"),
            levels.c.minimum.label("minimum"),
            levels.c.maximum.label("maximum"),
        )
        .select_from(ids)
        .outerjoin(stock, joined(stock))
        .outerjoin(way, joined(way))
        .outerjoin(used, joined(used))
        .outerjoin(back, joined(back))
        .outerjoin(first, joined(first))
        .outerjoin(levels, joined(levels))
        # Materialised: the figures are read by several expressions each, and a flattened
        # subquery would work the months' EXISTS again for each of them.
        .cte("figures")
        .prefix_with("MATERIALIZED")
    )


def suggested_quantity(figures: CTE, target_months: int | ColumnElement[int]) -> ColumnElement[int]:
    """The suggested quantity: target months × monthly use − on hand − on its way, rounded up.

    The one place the formula is written: requisitions and the months-of-stock report both
    read it. Never negative; whole numbers only: ⌈target × used ÷ months⌉ by integer division.
    """
    f = figures.c
    needed = (target_months * f.used + f.months - 1) // f.months - f.on_hand - f.on_the_way
    return case((f.months.is_(None), 0), (needed > 0, needed), else_=0)


def one_decimal_sql(
    numerator: ColumnElement[int], denominator: ColumnElement[int]
) -> ColumnElement:
    # numerator ÷ denominator to one decimal, rounded half up, worked in integers on both
    # databases as models.one_decimal does in Python, read back as a Decimal.
    tenths = (numerator * 20 + denominator) // (denominator * 2)
    return cast(tenths / literal(10.0), Numeric(14, 1))


def monthly_use(figures: CTE) -> ColumnElement:
    """Average used per complete month, to one decimal (NULL when no complete month)."""
    f = figures.c
    return case((f.months.is_(None), null()), else_=one_decimal_sql(f.used, f.months))


def months_of_stock(figures: CTE) -> ColumnElement:
    """Months the stock on hand lasts at that rate, to one decimal (NULL when nothing is used)."""
    f = figures.c
    return case(
        (or_(f.months.is_(None), f.used == 0), null()),
        else_=one_decimal_sql(f.on_hand * f.months, f.used),
    )


def needs_replenishment(figures: CTE, suggested: ColumnElement[int]) -> ColumnElement[bool]:
    """What the fill button would add: something suggested, or on hand below the minimum."""
    f = figures.c
    return or_(suggested > 0, and_(f.minimum.is_not(None), f.on_hand < f.minimum))


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
    figures = place_figures(location_id, on=on)
    f = figures.c
    rows = db.session.execute(
        select(
            f.item_id,
            f.on_hand,
            f.on_the_way,
            f.used,
            f.months,
            suggested_quantity(figures, literal(target_months)),
            f.minimum,
            f.maximum,
        )
    ).all()
    found = {
        item_id: Suggestion(
            item_id=item_id,
            on_hand=int(on_hand),
            on_the_way=int(on_the_way),
            consumption_total=int(used),
            consumption_months=None if months is None else int(months),
            suggested=int(suggested),
            minimum=minimum,
            maximum=maximum,
        )
        for item_id, on_hand, on_the_way, used, months, suggested, minimum, maximum in rows
    }
    for item_id in item_ids or ():
        found.setdefault(item_id, Suggestion(item_id=item_id))
    return found
