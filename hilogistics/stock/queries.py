"""Read-only stock queries: stock on hand from balances, stock cards and transactions.

Stock pages read ``Balance`` (never a sum of the ledger); the stock card reads movements a page at
a time through the (item, location, occurred_on, id) indexes. See DESIGN.md section 2.
"""

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from math import ceil
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Select,
    and_,
    case,
    distinct,
    exists,
    func,
    literal,
    or_,
    select,
    union_all,
)
from sqlalchemy.orm import aliased, contains_eager, joinedload, selectinload

from hilogistics.auth.models import Role, User
from hilogistics.catalogue.models import Category, Item
from hilogistics.db import db
from hilogistics.errors import NotFoundError
from hilogistics.locations.models import PHYSICAL_KINDS, Location, LocationKind, Province
from hilogistics.locations.queries import visible_locations_query
from hilogistics.stock.models import (
    Balance,
    Lot,
    Movement,
    ReorderLevel,
    StockTransaction,
    TransactionKind,
)

MAX_PER_PAGE = 200
SORT_KEYS = ("code", "name", "quantity", "expiry")
# Places shown first to last: stores, then the places they supply, then goods on the road.
KIND_ORDER = {
    LocationKind.WAREHOUSE: 0,
    LocationKind.CENTRE: 1,
    LocationKind.SCHOOL: 2,
    LocationKind.CAMP: 3,
    LocationKind.TRANSIT: 4,
}
STOCK_HOLDING_KINDS = PHYSICAL_KINDS | {LocationKind.TRANSIT}


class RowPage:
    """One page of rows from a select that ``db.paginate`` cannot handle (aggregate rows).

    Offers what ``_macros/pagination.html`` uses: page, pages, total, has_prev/has_next,
    prev_num/next_num and iter_pages(). Two queries: a count, then the page with LIMIT/OFFSET.
    """

    def __init__(
        self,
        stmt: Select[Any],
        *,
        page: int,
        per_page: int,
        convert: Callable[[Any], Any] | None = None,
    ) -> None:
        self.page = max(page, 1)
        self.per_page = min(max(per_page, 1), MAX_PER_PAGE)
        self.total: int = db.session.scalar(
            select(func.count()).select_from(stmt.order_by(None).subquery())
        )
        rows = db.session.execute(stmt.limit(self.per_page).offset(self.offset)).all()
        self.items: list[Any] = [convert(row) for row in rows] if convert else list(rows)

    @property
    def offset(self) -> int:
        """How many rows come before this page."""
        return (self.page - 1) * self.per_page

    @property
    def pages(self) -> int:
        """Number of pages (0 when there is nothing)."""
        return ceil(self.total / self.per_page) if self.total else 0

    @property
    def has_prev(self) -> bool:
        """True when this is not the first page."""
        return self.page > 1

    @property
    def has_next(self) -> bool:
        """True when this is not the last page."""
        return self.page < self.pages

    @property
    def prev_num(self) -> int | None:
        """The previous page number, if any."""
        return self.page - 1 if self.has_prev else None

    @property
    def next_num(self) -> int | None:
        """The next page number, if any."""
        return self.page + 1 if self.has_next else None

    def iter_pages(
        self,
        *,
        left_edge: int = 2,
        left_current: int = 2,
        right_current: int = 4,
        right_edge: int = 2,
    ) -> Iterator[int | None]:
        """Page numbers for the widget, None for a gap (as Flask-SQLAlchemy's Pagination)."""
        pages_end = self.pages + 1
        if pages_end == 1:
            return
        left_end = min(1 + left_edge, pages_end)
        yield from range(1, left_end)
        if left_end == pages_end:
            return
        mid_start = max(left_end, self.page - left_current)
        mid_end = min(self.page + right_current + 1, pages_end)
        if mid_start - left_end > 0:
            yield None
        yield from range(mid_start, mid_end)
        if mid_end == pages_end:
            return
        right_start = max(mid_end, pages_end - right_edge)
        if right_start - mid_end > 0:
            yield None
        yield from range(right_start, pages_end)

    def __iter__(self) -> Iterator[Any]:
        return iter(self.items)


def _localised_name(locale: str | None) -> ColumnElement[str]:
    """The item name column in the reader's language, as ``Item.display_name`` picks it."""
    if locale and locale.startswith("ko"):
        return func.coalesce(func.nullif(Item.name_ko, ""), Item.name)
    if locale and locale.startswith("fr"):
        return func.coalesce(func.nullif(Item.name_fr, ""), Item.name)
    return Item.name


def _matches_text(text: str) -> ColumnElement[bool]:
    """Code or a name in any language contains ``text`` (case-insensitive, wildcards escaped)."""
    return or_(
        Item.code.icontains(text, autoescape=True),
        Item.name.icontains(text, autoescape=True),
        Item.name_ko.icontains(text, autoescape=True),
        Item.name_fr.icontains(text, autoescape=True),
    )


# --- the stock overview ---------------------------------------------------------------------


@dataclass
class LocationSummary:
    """A place on the stock overview, with how many items it holds and how many are short."""

    location: Location
    items_in_stock: int = 0
    below_minimum: int = 0


@dataclass
class ProvinceGroup:
    """The places of one province (or of none), in display order."""

    province: Province | None
    summaries: list[LocationSummary] = field(default_factory=list)


def _item_totals(*, location_id: int | None = None) -> Any:
    """Subquery: on hand per (location, item), summed over lots, from balances."""
    stmt = select(
        Balance.location_id.label("location_id"),
        Balance.item_id.label("item_id"),
        func.sum(Balance.quantity).label("on_hand"),
    )
    if location_id is not None:
        stmt = stmt.where(Balance.location_id == location_id)
    return stmt.group_by(Balance.location_id, Balance.item_id).subquery("item_totals")


def location_summaries(user: User) -> list[ProvinceGroup]:
    """The physical places ``user`` may see, grouped by province, with stock totals.

    Three queries whatever the number of places: the places, items in stock per place, and items
    below their minimum per place (both grouped queries over balances and reorder levels).
    """
    locations = db.session.scalars(visible_locations_query(user)).all()
    in_stock = dict(
        db.session.execute(
            select(Balance.location_id, func.count(distinct(Balance.item_id)))
            .where(Balance.quantity > 0)
            .group_by(Balance.location_id)
        ).all()
    )
    totals = _item_totals()
    below = dict(
        db.session.execute(
            select(ReorderLevel.location_id, func.count())
            .outerjoin(
                totals,
                and_(
                    totals.c.location_id == ReorderLevel.location_id,
                    totals.c.item_id == ReorderLevel.item_id,
                ),
            )
            .where(func.coalesce(totals.c.on_hand, 0) < ReorderLevel.minimum)
            .group_by(ReorderLevel.location_id)
        ).all()
    )

    def order(location: Location) -> tuple[Any, ...]:
        province = location.province
        return (
            province is None,
            province.sort_order if province else 0,
            province.name if province else "",
            KIND_ORDER.get(location.kind, 9),
            location.name,
        )

    groups: list[ProvinceGroup] = []
    for location in sorted(locations, key=order):
        if not groups or groups[-1].province is not location.province:
            groups.append(ProvinceGroup(location.province))
        groups[-1].summaries.append(
            LocationSummary(location, in_stock.get(location.id, 0), below.get(location.id, 0))
        )
    return groups


def items_matching_query(text: str) -> Select[tuple[Item]]:
    """Items whose code or name (any language) contains ``text``, by code."""
    return select(Item).where(_matches_text(text)).order_by(Item.code)


def item_by_code(code: str) -> Item | None:
    """The item with this code (exact, then ignoring case), or None."""
    code = code.strip()
    item = db.session.scalar(select(Item).where(Item.code == code))
    if item is None and code:
        item = db.session.scalar(select(Item).where(func.upper(Item.code) == code.upper()))
    return item


# --- stock on hand at one place ---------------------------------------------------------------


@dataclass(frozen=True)
class OnHandFilters:
    """What the stock-on-hand page was asked to show."""

    category_id: int | None = None
    family: str | None = None
    text: str | None = None
    only_flagged: bool = False
    expiring_days: int = 90
    sort: str = "code"
    descending: bool = False
    item_ids: Sequence[int] | None = None


@dataclass(frozen=True)
class OnHandRow:
    """One item at one place: totals over its lots, the earliest expiry, its reorder level."""

    item: Item
    on_hand: int
    reserved: int
    earliest_expiry: date | None
    minimum: int | None
    maximum: int | None
    today: date
    expiring_days: int

    @property
    def available(self) -> int:
        """On hand less what is reserved."""
        return self.on_hand - self.reserved

    @property
    def has_level(self) -> bool:
        """True when a reorder level is set for this item here."""
        return self.minimum is not None

    @property
    def below_minimum(self) -> bool:
        """On hand is under the reorder minimum."""
        return self.minimum is not None and self.on_hand < self.minimum

    @property
    def expired(self) -> bool:
        """A lot in stock is past its expiry date."""
        return self.earliest_expiry is not None and self.earliest_expiry < self.today

    @property
    def expiring(self) -> bool:
        """A lot in stock expires within the chosen number of days (and has not yet)."""
        return (
            self.earliest_expiry is not None
            and not self.expired
            and self.earliest_expiry <= self.today + timedelta(days=self.expiring_days)
        )

    @property
    def flagged(self) -> bool:
        """Needs attention: below minimum, expiring or expired."""
        return self.below_minimum or self.expired or self.expiring

    @property
    def suggested_order(self) -> int:
        """Up to the maximum, or to the minimum when there is no maximum; never negative."""
        target = self.maximum if self.maximum is not None else (self.minimum or 0)
        return max(target - self.on_hand, 0)


def on_hand_query(
    location_id: int,
    filters: OnHandFilters,
    *,
    locale: str | None = None,
    today: date | None = None,
) -> Select[Any]:
    """Rows (Item, on_hand, reserved, earliest_expiry, minimum, maximum) for one place.

    Items with stock there or with a reorder level there. Reads balances, lots, items and reorder
    levels only; one statement whatever the number of rows (category and unit are joined).
    """
    today = today or date.today()
    lot_expiry = case((Balance.quantity > 0, Lot.expires_on))
    totals = (
        select(
            Balance.item_id.label("item_id"),
            func.sum(Balance.quantity).label("on_hand"),
            func.sum(Balance.reserved).label("reserved"),
            func.min(lot_expiry).label("earliest_expiry"),
        )
        .join(Lot, Lot.id == Balance.lot_id)
        .where(Balance.location_id == location_id)
        .group_by(Balance.item_id)
        .subquery("totals")
    )
    level = aliased(ReorderLevel, name="level")
    on_hand = func.coalesce(totals.c.on_hand, 0)
    stmt = (
        select(
            Item,
            on_hand.label("on_hand"),
            func.coalesce(totals.c.reserved, 0).label("reserved"),
            totals.c.earliest_expiry,
            level.minimum,
            level.maximum,
        )
        .outerjoin(totals, totals.c.item_id == Item.id)
        .outerjoin(level, and_(level.item_id == Item.id, level.location_id == location_id))
        .where(or_(totals.c.on_hand > 0, totals.c.reserved > 0, level.id.is_not(None)))
    )
    if filters.category_id is not None:
        stmt = stmt.where(
            Item.category_id.in_(
                select(Category.id).where(
                    or_(
                        Category.id == filters.category_id,
                        Category.parent_id == filters.category_id,
                    )
                )
            )
        )
    if filters.family:
        stmt = stmt.where(Item.family == filters.family)
    if filters.text:
        stmt = stmt.where(_matches_text(filters.text))
    if filters.item_ids is not None:
        stmt = stmt.where(Item.id.in_(list(filters.item_ids)))
    if filters.only_flagged:
        expiry = totals.c.earliest_expiry
        stmt = stmt.where(
            or_(
                and_(level.id.is_not(None), on_hand < level.minimum),
                and_(
                    expiry.is_not(None),
                    expiry <= today + timedelta(days=filters.expiring_days),
                ),
            )
        )
    sort_column: Any = {
        "code": Item.code,
        "name": _localised_name(locale),
        "quantity": on_hand,
        "expiry": totals.c.earliest_expiry,
    }.get(filters.sort, Item.code)
    ordered = sort_column.desc() if filters.descending else sort_column.asc()
    if filters.sort == "expiry":
        ordered = ordered.nulls_last()
    return stmt.order_by(ordered, Item.code, Item.id)


def on_hand_row_converter(filters: OnHandFilters, today: date | None = None) -> Callable:
    """Turn a row of ``on_hand_query`` into an OnHandRow."""
    today = today or date.today()

    def convert(row: Any) -> OnHandRow:
        item, on_hand, reserved, expiry, minimum, maximum = row
        return OnHandRow(
            item=item,
            on_hand=int(on_hand or 0),
            reserved=int(reserved or 0),
            earliest_expiry=expiry,
            minimum=minimum,
            maximum=maximum,
            today=today,
            expiring_days=filters.expiring_days,
        )

    return convert


def below_minimum_query(location_id: int) -> Select[Any]:
    """Rows (Item, minimum, maximum, on_hand) of items under their minimum at a place, by code.

    Items with a level but no balance row at all count as zero stock.
    """
    totals = _item_totals(location_id=location_id)
    on_hand = func.coalesce(totals.c.on_hand, 0)
    return (
        select(Item, ReorderLevel.minimum, ReorderLevel.maximum, on_hand.label("on_hand"))
        .join(ReorderLevel, ReorderLevel.item_id == Item.id)
        .outerjoin(totals, totals.c.item_id == Item.id)
        .where(ReorderLevel.location_id == location_id, on_hand < ReorderLevel.minimum)
        .order_by(Item.code, Item.id)
    )


def reorder_levels_for(location_id: int, item_ids: Sequence[int]) -> dict[int, ReorderLevel]:
    """The reorder levels of these items at a place, by item id."""
    if not item_ids:
        return {}
    return {
        level.item_id: level
        for level in db.session.scalars(
            select(ReorderLevel).where(
                ReorderLevel.location_id == location_id, ReorderLevel.item_id.in_(list(item_ids))
            )
        )
    }


def existing_item_ids(item_ids: Sequence[int]) -> set[int]:
    """Those of ``item_ids`` that name an item."""
    if not item_ids:
        return set()
    return set(db.session.scalars(select(Item.id).where(Item.id.in_(list(item_ids)))))


def categories_query() -> Select[tuple[Category]]:
    """Every category, parents before their children."""
    parent = aliased(Category)
    return (
        select(Category)
        .outerjoin(parent, parent.id == Category.parent_id)
        .order_by(
            func.coalesce(parent.sort_order, Category.sort_order),
            func.coalesce(parent.id, Category.id),
            Category.parent_id.is_not(None),
            Category.sort_order,
            Category.name,
        )
    )


def families_query() -> Select[tuple[str]]:
    """The distinct item families, sorted."""
    return (
        select(Item.family)
        .where(Item.family.is_not(None), Item.family != "")
        .distinct()
        .order_by(Item.family)
    )


# --- one item everywhere ----------------------------------------------------------------------


@dataclass
class LocationBalances:
    """The lots of one item at one place, with their totals."""

    location: Location
    balances: list[Balance] = field(default_factory=list)

    @property
    def quantity(self) -> int:
        """On hand over the lots."""
        return sum(b.quantity for b in self.balances)

    @property
    def reserved(self) -> int:
        """Reserved over the lots."""
        return sum(b.reserved for b in self.balances)


def item_balances(user: User, item_id: int, *, virtual: bool = False) -> list[LocationBalances]:
    """Balances of an item by place and lot, in one query, only where there is something.

    Physical places and transit (``virtual=False``), or the ledger's bookkeeping ends (supplier,
    recipients, loss, count). A technician sees only their own place.
    """
    kinds = STOCK_HOLDING_KINDS if not virtual else frozenset(LocationKind) - STOCK_HOLDING_KINDS
    kind_order = case(
        *((Location.kind == kind, rank) for kind, rank in KIND_ORDER.items()), else_=9
    )
    stmt = (
        select(Balance)
        .join(Balance.location)
        .join(Balance.lot)
        .options(contains_eager(Balance.location), contains_eager(Balance.lot))
        .where(
            Balance.item_id == item_id,
            Location.kind.in_(kinds),
            or_(Balance.quantity != 0, Balance.reserved != 0),
        )
        .order_by(
            kind_order, Location.name, Location.id, Lot.expires_on.nulls_last(), Lot.code, Lot.id
        )
    )
    if user.role is Role.TECHNICIAN:
        stmt = stmt.where(Balance.location_id == user.location_id)
    groups: list[LocationBalances] = []
    for balance in db.session.scalars(stmt):
        if not groups or groups[-1].location.id != balance.location_id:
            groups.append(LocationBalances(balance.location))
        groups[-1].balances.append(balance)
    return groups


# --- stock card -------------------------------------------------------------------------------


@dataclass(frozen=True)
class CardLine:
    """One movement on a stock card, with the balance after it."""

    movement_id: int
    occurred_on: date
    transaction: StockTransaction
    lot: Lot
    other: Location
    quantity_in: int
    quantity_out: int
    balance: int


@dataclass
class StockCard:
    """A page of a stock card: opening balance, lines with running balances, closing balance."""

    page: RowPage
    opening: int
    closing: int
    lines: list[CardLine]


def _card_selects(item_id: int, location_id: int, as_of: date | None) -> tuple[Select, Select]:
    """The "in" and "out" halves of a card, each served by its own index."""
    incoming = select(
        Movement.id.label("id"),
        Movement.occurred_on.label("occurred_on"),
        Movement.transaction_id.label("transaction_id"),
        Movement.lot_id.label("lot_id"),
        Movement.from_location_id.label("other_id"),
        Movement.quantity.label("delta"),
    ).where(Movement.item_id == item_id, Movement.to_location_id == location_id)
    outgoing = select(
        Movement.id.label("id"),
        Movement.occurred_on.label("occurred_on"),
        Movement.transaction_id.label("transaction_id"),
        Movement.lot_id.label("lot_id"),
        Movement.to_location_id.label("other_id"),
        (literal(0) - Movement.quantity).label("delta"),
    ).where(Movement.item_id == item_id, Movement.from_location_id == location_id)
    if as_of is not None:
        incoming = incoming.where(Movement.occurred_on <= as_of)
        outgoing = outgoing.where(Movement.occurred_on <= as_of)
    return incoming, outgoing


def stock_card(
    item_id: int, location_id: int, *, as_of: date | None, page: int, per_page: int
) -> StockCard:
    """One page of the stock card of an item at a place, oldest first, up to ``as_of``.

    Three queries: a count, the page (UNION ALL of the in and out halves, ordered by
    (occurred_on, id), with transaction, lot and the other place joined), and one aggregate over
    this item and place giving the balance brought forward to the page and the closing balance.
    """
    incoming, outgoing = _card_selects(item_id, location_id, as_of)
    moves = union_all(incoming, outgoing).subquery("moves")
    other = aliased(Location, name="other")
    stmt = (
        select(moves.c.id, moves.c.occurred_on, moves.c.delta, StockTransaction, Lot, other)
        .join(StockTransaction, StockTransaction.id == moves.c.transaction_id)
        .join(Lot, Lot.id == moves.c.lot_id)
        .join(other, other.id == moves.c.other_id)
        .order_by(moves.c.occurred_on, moves.c.id)
    )
    rows_page = RowPage(stmt, page=page, per_page=per_page)
    first = rows_page.items[0] if rows_page.items else None
    if first is not None:
        before: ColumnElement[bool] = or_(
            moves.c.occurred_on < first.occurred_on,
            and_(moves.c.occurred_on == first.occurred_on, moves.c.id < first.id),
        )
    else:
        before = literal(False)
    opening, closing = db.session.execute(
        select(
            func.coalesce(func.sum(case((before, moves.c.delta), else_=0)), 0),
            func.coalesce(func.sum(moves.c.delta), 0),
        )
    ).one()
    balance = int(opening)
    lines = []
    for row in rows_page.items:
        balance += int(row.delta)
        lines.append(
            CardLine(
                movement_id=row.id,
                occurred_on=row.occurred_on,
                transaction=row.StockTransaction,
                lot=row.Lot,
                other=row.other,
                quantity_in=max(int(row.delta), 0),
                quantity_out=max(-int(row.delta), 0),
                balance=balance,
            )
        )
    return StockCard(page=rows_page, opening=int(opening), closing=int(closing), lines=lines)


def current_balance(item_id: int, location_id: int) -> int:
    """On hand now of an item at a place, summed over its lots, from balances."""
    return int(
        db.session.scalar(
            select(func.coalesce(func.sum(Balance.quantity), 0)).where(
                Balance.item_id == item_id, Balance.location_id == location_id
            )
        )
    )


# --- transactions -----------------------------------------------------------------------------


@dataclass(frozen=True)
class TransactionFilters:
    """What the transaction list was asked to show."""

    kind: TransactionKind | None = None
    location_id: int | None = None
    date_from: date | None = None
    date_to: date | None = None


@dataclass(frozen=True)
class TransactionRow:
    """A transaction in the list, with its line count and the id of its reversal."""

    transaction: StockTransaction
    lines: int
    reversed_by_id: int | None


def _touches(location_id: int | None) -> ColumnElement[bool]:
    return exists().where(
        Movement.transaction_id == StockTransaction.id,
        or_(Movement.from_location_id == location_id, Movement.to_location_id == location_id),
    )


def transactions_query(user: User, filters: TransactionFilters) -> Select[Any]:
    """Rows (StockTransaction, lines, reversed_by_id), newest business date first.

    A technician sees only transactions with a movement from or to their place.
    """
    reversal = aliased(StockTransaction, name="reversal")
    lines = (
        select(func.count(Movement.id))
        .where(Movement.transaction_id == StockTransaction.id)
        .correlate(StockTransaction)
        .scalar_subquery()
    )
    stmt = select(StockTransaction, lines.label("lines"), reversal.id.label("reversed_by_id"))
    stmt = stmt.outerjoin(reversal, reversal.reverses_id == StockTransaction.id)
    if user.role is Role.TECHNICIAN:
        stmt = stmt.where(_touches(user.location_id))
    if filters.location_id is not None:
        stmt = stmt.where(_touches(filters.location_id))
    if filters.kind is not None:
        stmt = stmt.where(StockTransaction.kind == filters.kind)
    if filters.date_from is not None:
        stmt = stmt.where(StockTransaction.occurred_on >= filters.date_from)
    if filters.date_to is not None:
        stmt = stmt.where(StockTransaction.occurred_on <= filters.date_to)
    return stmt.order_by(StockTransaction.occurred_on.desc(), StockTransaction.id.desc())


def transaction_row(row: Any) -> TransactionRow:
    """Turn a row of ``transactions_query`` into a TransactionRow."""
    return TransactionRow(row[0], int(row.lines), row.reversed_by_id)


def visible_transaction(user: User, transaction_id: int) -> StockTransaction:
    """A transaction with its lines, or NotFoundError when missing or not visible to ``user``.

    A technician may open only transactions that move stock from or to their own place.
    """
    stmt = (
        select(StockTransaction)
        .where(StockTransaction.id == transaction_id)
        .options(
            selectinload(StockTransaction.movements).options(
                joinedload(Movement.item),
                joinedload(Movement.lot),
                joinedload(Movement.from_location),
                joinedload(Movement.to_location),
            ),
            joinedload(StockTransaction.reverses),
            joinedload(StockTransaction.reversed_by),
            joinedload(StockTransaction.grant),
            joinedload(StockTransaction.reason),
        )
    )
    transaction = db.session.scalar(stmt)
    if transaction is None:
        raise NotFoundError("no such transaction")
    if user.role is Role.TECHNICIAN and not any(
        user.location_id in (m.from_location_id, m.to_location_id) for m in transaction.movements
    ):
        raise NotFoundError("no such transaction")
    return transaction
