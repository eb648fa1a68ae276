"""Read-only stock queries: stock on hand from balances, stock cards and transactions.

Stock pages read ``Balance`` (never a sum of the ledger); the stock card reads movements a page at
a time through the (item, location, occurred_on, id) indexes. See DESIGN.md section 2.
"""

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from functools import lru_cache
from math import ceil
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Date,
    Integer,
    Select,
    String,
    and_,
    bindparam,
    case,
    distinct,
    exists,
    func,
    literal,
    null,
    or_,
    select,
    union,
    union_all,
)
from sqlalchemy.orm import aliased, joinedload, selectinload

from hilogistics.auth.models import Role, User
from hilogistics.catalogue.models import Category, Item, Unit, localised
from hilogistics.db import db
from hilogistics.errors import NotFoundError
from hilogistics.locations.models import PHYSICAL_KINDS, Location, LocationKind, Province
from hilogistics.locations.queries import visible_locations_query
from hilogistics.stock.models import (
    Balance,
    Grant,
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

    ``count`` replaces the generic ``count(*)`` over the whole statement by a cheaper statement
    giving the same number; ``total`` gives the number outright (known from another query).
    ``limited`` is a statement that already ends with LIMIT :page_limit OFFSET :page_offset
    (``stmt`` is then not needed); ``params`` are bound into every statement. The page query
    is skipped when the page is past the end.
    """

    def __init__(
        self,
        stmt: Select[Any] | None,
        *,
        page: int,
        per_page: int,
        convert: Callable[[Any], Any] | None = None,
        count: Select[Any] | None = None,
        total: int | None = None,
        limited: Select[Any] | None = None,
        params: dict[str, Any] | None = None,
    ) -> None:
        if stmt is None and (limited is None or (total is None and count is None)):
            raise ValueError("RowPage needs a statement, or a limited one and a count or total")
        self.page = max(page, 1)
        self.per_page = min(max(per_page, 1), MAX_PER_PAGE)
        params = params or {}
        if total is None:
            if count is None:
                count = select(func.count()).select_from(
                    stmt.order_by(None).subquery()  # type: ignore[union-attr]
                )
            total = int(db.session.scalar(count, params) or 0)
        self.total: int = total
        self.items: list[Any] = []
        if self.offset < self.total:
            if limited is not None:
                params = {**params, "page_limit": self.per_page, "page_offset": self.offset}
            else:
                limited = stmt.limit(self.per_page).offset(self.offset)  # type: ignore[union-attr]
            rows = db.session.execute(limited, params).all()
            self.items = [convert(row) for row in rows] if convert else list(rows)

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


def _localised(english: Any, korean: Any, french: Any, locale: str | None) -> ColumnElement[str]:
    """A name column in the reader's language, falling back to English as ``localised`` does."""
    if locale and locale.startswith("ko"):
        return func.coalesce(func.nullif(korean, ""), english)
    if locale and locale.startswith("fr"):
        return func.coalesce(func.nullif(french, ""), english)
    return english


def _localised_name(locale: str | None) -> ColumnElement[str]:
    """The item name column in the reader's language, as ``Item.display_name`` picks it."""
    return _localised(Item.name, Item.name_ko, Item.name_fr, locale)


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

    @property
    def needs_expiry(self) -> bool:
        """True when every row's earliest expiry is needed to choose the rows (sort or flags)."""
        return self.only_flagged or self.sort == "expiry"


@dataclass(frozen=True, slots=True)
class OnHandRow:
    """One item at one place: totals over its lots, the earliest expiry, its reorder level.

    Plain values (no ORM objects): name and unit already in the reader's language.
    """

    item_id: int
    code: str
    name: str
    category_id: int
    unit: str
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


# The stock-on-hand statements are built once per shape (language, sort, which filters are
# set) with bound parameters for the values, and kept: building and caching-keying a fresh
# statement tree cost more than running it. Each call then executes a kept statement with its
# values (see ``_OnHandShape.values``).
_PARAM_LOCATION = "location_id"
_PARAM_EXPIRING_UNTIL = "expiring_until"
_PARAM_CATEGORY = "category_id"
_PARAM_FAMILY = "family"
_PARAM_TEXT = "text_pattern"
_PARAM_ITEM_IDS = "item_ids"
_PARAM_LIMIT = "page_limit"
_PARAM_OFFSET = "page_offset"
_LIKE_ESCAPE = "/"


def _param(name: str, type_: Any = Integer) -> Any:
    return bindparam(name, type_=type_)


def _like_pattern(text: str) -> str:
    """``text`` as a LIKE pattern matching it anywhere, its wildcards taken literally."""
    for char in (_LIKE_ESCAPE, "%", "_"):
        text = text.replace(char, _LIKE_ESCAPE + char)
    return f"%{text}%"


@dataclass(frozen=True)
class _OnHandShape:
    """What decides the form of a stock-on-hand statement (not the values bound into it)."""

    language: str
    sort: str
    descending: bool
    with_expiry: bool
    only_flagged: bool
    category: bool
    family: bool
    text: bool
    item_ids: bool

    @classmethod
    def of(cls, filters: OnHandFilters, locale: str | None, *, with_expiry: bool) -> "_OnHandShape":
        language = (locale or "en")[:2]
        return cls(
            language=language if language in ("ko", "fr") else "en",
            sort=filters.sort if filters.sort in SORT_KEYS else "code",
            descending=filters.descending,
            with_expiry=with_expiry or filters.needs_expiry,
            only_flagged=filters.only_flagged,
            category=filters.category_id is not None,
            family=bool(filters.family),
            text=bool(filters.text),
            item_ids=filters.item_ids is not None,
        )

    @property
    def narrows_items(self) -> bool:
        """True when a filter on the items themselves applies."""
        return self.category or self.family or self.text or self.item_ids

    @staticmethod
    def values(
        location_id: int, filters: OnHandFilters, today: date | None = None
    ) -> dict[str, Any]:
        """The parameter values of the statements of this place and these filters."""
        values: dict[str, Any] = {_PARAM_LOCATION: location_id}
        if filters.only_flagged:
            until = (today or date.today()) + timedelta(days=filters.expiring_days)
            values[_PARAM_EXPIRING_UNTIL] = until
        if filters.category_id is not None:
            values[_PARAM_CATEGORY] = filters.category_id
        if filters.family:
            values[_PARAM_FAMILY] = filters.family
        if filters.text:
            values[_PARAM_TEXT] = _like_pattern(filters.text)
        if filters.item_ids is not None:
            values[_PARAM_ITEM_IDS] = list(filters.item_ids)
        return values


def _item_conditions(shape: _OnHandShape) -> list[ColumnElement[bool]]:
    """Conditions on ``Item`` for the category (with its children), family, text and ids."""
    conditions: list[ColumnElement[bool]] = []
    if shape.category:
        category = _param(_PARAM_CATEGORY)
        conditions.append(
            Item.category_id.in_(
                select(Category.id).where(
                    or_(Category.id == category, Category.parent_id == category)
                )
            )
        )
    if shape.family:
        conditions.append(Item.family == _param(_PARAM_FAMILY, String))
    if shape.text:
        pattern = _param(_PARAM_TEXT, String)
        conditions.append(
            or_(
                *(
                    column.ilike(pattern, escape=_LIKE_ESCAPE)
                    for column in (Item.code, Item.name, Item.name_ko, Item.name_fr)
                )
            )
        )
    if shape.item_ids:
        conditions.append(Item.id.in_(bindparam(_PARAM_ITEM_IDS, expanding=True)))
    return conditions


def _location_totals(*, with_expiry: bool) -> Any:
    """Subquery (item_id, on_hand, reserved[, earliest_expiry]) of one place, from balances.

    Driven by the place's balances (the unique index on location, item, lot gives them grouped
    by item without sorting), plus a zero row for each item with a reorder level here but no
    balance row at all. Never touches the items table: filters and names are joined after.
    The earliest expiry (of lots in stock) costs a lookup of every lot, so it is only computed
    here when rows are chosen or sorted by it; a page otherwise adds it for its own rows.
    """
    location = _param(_PARAM_LOCATION)
    stocked = (
        select(
            Balance.item_id.label("item_id"),
            func.sum(Balance.quantity).label("on_hand"),
            func.sum(Balance.reserved).label("reserved"),
        )
        .where(Balance.location_id == location)
        .group_by(Balance.item_id)
    )
    never_stocked = select(ReorderLevel.item_id, literal(0, Integer), literal(0, Integer)).where(
        ReorderLevel.location_id == location,
        ~exists().where(Balance.location_id == location, Balance.item_id == ReorderLevel.item_id),
    )
    if with_expiry:
        stocked = stocked.add_columns(
            func.min(case((Balance.quantity > 0, Lot.expires_on))).label("earliest_expiry")
        ).join(Lot, Lot.id == Balance.lot_id)
        never_stocked = never_stocked.add_columns(null().cast(Date))
    return union_all(stocked, never_stocked).subquery("totals")


@lru_cache(maxsize=256)
def _on_hand_select(shape: _OnHandShape) -> Select[Any]:
    """The stock-on-hand statement of this shape (see ``on_hand_query``), with parameters."""
    totals = _location_totals(with_expiry=shape.with_expiry)
    level = aliased(ReorderLevel, name="level")
    name = _localised_name(shape.language)
    columns: list[Any] = [
        totals.c.item_id,
        Item.code,
        name.label("name"),
        Item.category_id,
        _localised(Unit.name, Unit.name_ko, Unit.name_fr, shape.language).label("unit"),
        totals.c.on_hand,
        totals.c.reserved,
    ]
    if shape.with_expiry:
        columns.append(totals.c.earliest_expiry)
    stmt = (
        select(*columns, level.minimum, level.maximum)
        .select_from(totals)
        .join(Item, Item.id == totals.c.item_id)
        .join(Unit, Unit.id == Item.unit_id)
        .outerjoin(
            level,
            and_(level.item_id == totals.c.item_id, level.location_id == _param(_PARAM_LOCATION)),
        )
        .where(or_(totals.c.on_hand > 0, totals.c.reserved > 0, level.id.is_not(None)))
        .where(*_item_conditions(shape))
    )
    if shape.only_flagged:
        expiry = totals.c.earliest_expiry
        stmt = stmt.where(
            or_(
                and_(level.id.is_not(None), totals.c.on_hand < level.minimum),
                and_(expiry.is_not(None), expiry <= _param(_PARAM_EXPIRING_UNTIL, Date)),
            )
        )
    sort_column: Any = {
        "code": Item.code,
        "name": name,
        "quantity": totals.c.on_hand,
        "expiry": totals.c.earliest_expiry if shape.with_expiry else Item.code,
    }[shape.sort]
    ordered = sort_column.desc() if shape.descending else sort_column.asc()
    if shape.sort == "expiry":
        ordered = ordered.nulls_last()
    return stmt.order_by(ordered, Item.code, totals.c.item_id)


@lru_cache(maxsize=256)
def _on_hand_page_select(shape: _OnHandShape) -> Select[Any]:
    """One page (``page_limit``, ``page_offset``) of ``_on_hand_select(shape)``.

    Without expiry in the shape, the earliest expiry is looked up for the page's rows only, in
    an outer query around the limited one (ordered again: a subquery's order is not kept).
    """
    limited = _on_hand_select(shape).limit(_param(_PARAM_LIMIT)).offset(_param(_PARAM_OFFSET))
    if shape.with_expiry:
        return limited
    rows = limited.subquery("page")
    sort_column = {"name": rows.c.name, "quantity": rows.c.on_hand}.get(shape.sort, rows.c.code)
    ordered = sort_column.desc() if shape.descending else sort_column.asc()
    expiry = (
        select(func.min(Lot.expires_on))
        .select_from(Balance)
        .join(Lot, Lot.id == Balance.lot_id)
        .where(
            Balance.location_id == _param(_PARAM_LOCATION),
            Balance.item_id == rows.c.item_id,
            Balance.quantity > 0,
        )
        .scalar_subquery()
    )
    return select(rows, expiry.label("earliest_expiry")).order_by(
        ordered, rows.c.code, rows.c.item_id
    )


@lru_cache(maxsize=256)
def _on_hand_count_select(shape: _OnHandShape) -> Select[tuple[int, int]]:
    """The number of rows of ``_on_hand_select(shape)``, counted cheaply, and the catalogue size.

    The highest item id stands for the size of the catalogue (read from the primary key).

    Without the "needs attention" filter: the distinct items with a lot holding or reserving
    stock here, or with a reorder level here. These are the same rows, since balances at places
    that hold stock are never negative (CHECK constraints), and no item, unit or lot is read
    unless an item filter applies. With that filter, the full query is counted.
    """
    catalogue = select(func.max(Item.id)).scalar_subquery()
    if shape.only_flagged:
        return select(func.count(), catalogue).select_from(
            _on_hand_select(shape).order_by(None).subquery()
        )
    location = _param(_PARAM_LOCATION)
    listed = union(
        select(Balance.item_id).where(
            Balance.location_id == location,
            or_(Balance.quantity > 0, Balance.reserved > 0),
        ),
        select(ReorderLevel.item_id).where(ReorderLevel.location_id == location),
    )
    if shape.narrows_items:
        return select(func.count(), catalogue).where(Item.id.in_(listed), *_item_conditions(shape))
    return select(func.count(), catalogue).select_from(listed.subquery())


@lru_cache(maxsize=256)
def _on_hand_page_by_code(shape: _OnHandShape) -> Select[Any]:
    """One page of the rows of ``_on_hand_select(shape)`` sorted by code, driven by the items.

    Walks the items in code order (their unique index) and keeps those held or with a level
    here, until the page is full; then adds totals, expiry and level for those rows only. Its
    cost grows with the page's position over the share of the catalogue held here, not with
    what the place holds: see ``on_hand_page`` for the choice.
    """
    location = _param(_PARAM_LOCATION)
    held = (
        exists()
        .where(
            Balance.location_id == location,
            Balance.item_id == Item.id,
            or_(Balance.quantity > 0, Balance.reserved > 0),
        )
        .correlate(Item)
    )
    levelled = (
        exists()
        .where(ReorderLevel.location_id == location, ReorderLevel.item_id == Item.id)
        .correlate(Item)
    )
    code = Item.code.desc() if shape.descending else Item.code.asc()
    rows = (
        select(Item.id.label("item_id"), Item.code.label("code"))
        .where(or_(held, levelled), *_item_conditions(shape))
        .order_by(code, Item.id)
        .limit(_param(_PARAM_LIMIT))
        .offset(_param(_PARAM_OFFSET))
        .subquery("page")
    )

    def at_place(column: Any, *conditions: ColumnElement[bool]) -> Any:
        return (
            select(column)
            .select_from(Balance)
            .where(Balance.location_id == location, Balance.item_id == rows.c.item_id, *conditions)
            .scalar_subquery()
        )

    level = aliased(ReorderLevel, name="level")
    expiry = (
        select(func.min(Lot.expires_on))
        .select_from(Balance)
        .join(Lot, Lot.id == Balance.lot_id)
        .where(
            Balance.location_id == location,
            Balance.item_id == rows.c.item_id,
            Balance.quantity > 0,
        )
        .scalar_subquery()
    )
    return (
        select(
            rows.c.item_id,
            Item.code,
            _localised_name(shape.language).label("name"),
            Item.category_id,
            _localised(Unit.name, Unit.name_ko, Unit.name_fr, shape.language).label("unit"),
            func.coalesce(at_place(func.sum(Balance.quantity)), 0).label("on_hand"),
            func.coalesce(at_place(func.sum(Balance.reserved)), 0).label("reserved"),
            expiry.label("earliest_expiry"),
            level.minimum,
            level.maximum,
        )
        .select_from(rows)
        .join(Item, Item.id == rows.c.item_id)
        .join(Unit, Unit.id == Item.unit_id)
        .outerjoin(level, and_(level.item_id == rows.c.item_id, level.location_id == location))
        .order_by(rows.c.code.desc() if shape.descending else rows.c.code, rows.c.item_id)
    )


def on_hand_query(
    location_id: int,
    filters: OnHandFilters,
    *,
    locale: str | None = None,
    today: date | None = None,
) -> Select[Any]:
    """Every row of one place, ordered as ``filters`` asks (values bound in).

    Columns: item_id, code, name, category_id, unit, on_hand, reserved, earliest_expiry,
    minimum, maximum.

    Items with stock there (on hand or reserved) or with a reorder level there. Reads balances,
    lots, items, units and reorder levels only; plain columns (no ORM objects), names and unit
    in the reader's language. Pages use ``on_hand_page``.
    """
    shape = _OnHandShape.of(filters, locale, with_expiry=True)
    return _on_hand_select(shape).params(_OnHandShape.values(location_id, filters, today))


def on_hand_row_converter(filters: OnHandFilters, today: date | None = None) -> Callable:
    """Turn a row of the stock-on-hand statements into an OnHandRow."""
    today = today or date.today()
    days = filters.expiring_days

    def convert(row: Any) -> OnHandRow:
        return OnHandRow(
            row.item_id,
            row.code,
            row.name,
            row.category_id,
            row.unit,
            int(row.on_hand or 0),
            int(row.reserved or 0),
            row.earliest_expiry,
            row.minimum,
            row.maximum,
            today,
            days,
        )

    return convert


def on_hand_page(
    location_id: int,
    filters: OnHandFilters,
    *,
    locale: str | None,
    page: int,
    per_page: int,
    today: date | None = None,
) -> "RowPage":
    """One page of the rows of ``on_hand_query`` as OnHandRow: a cheap count, then the page.

    Sorted by code, the page is read from whichever side is cheaper: the place's balances
    (every item held there is summed and sorted, then the page cut), or the items in code
    order (probed one by one until the page is full, about (offset + page size) x catalogue /
    rows probes). A large place (many rows) on an early page reads the items; a small place
    reads its balances. Either way no more than one page of expiry dates is looked up.
    """
    shape = _OnHandShape.of(filters, locale, with_expiry=False)
    values = _OnHandShape.values(location_id, filters, today)
    total, catalogue = db.session.execute(_on_hand_count_select(shape), values).one()
    total = int(total or 0)
    page = max(page, 1)
    per_page = min(max(per_page, 1), MAX_PER_PAGE)
    probes = ((page - 1) * per_page + per_page) * int(catalogue or 0)
    by_items = shape.sort == "code" and not shape.with_expiry and total * total > probes
    return RowPage(
        None,
        page=page,
        per_page=per_page,
        convert=on_hand_row_converter(filters, today),
        total=total,
        limited=_on_hand_page_by_code(shape) if by_items else _on_hand_page_select(shape),
        params=values,
    )


def below_minimum_query(location_id: int, *, locale: str | None = None) -> Select[Any]:
    """Rows like ``on_hand_query``'s of the items under their minimum at a place, by code.

    Nothing reserved, no expiry. Items with a level but no balance row at all count as zero.
    """
    totals = _item_totals(location_id=location_id)
    on_hand = func.coalesce(totals.c.on_hand, 0)
    return (
        select(
            Item.id.label("item_id"),
            Item.code,
            _localised_name(locale).label("name"),
            Item.category_id,
            _localised(Unit.name, Unit.name_ko, Unit.name_fr, locale).label("unit"),
            on_hand.label("on_hand"),
            literal(0, Integer).label("reserved"),
            null().cast(Date).label("earliest_expiry"),
            ReorderLevel.minimum,
            ReorderLevel.maximum,
        )
        .select_from(ReorderLevel)
        .join(Item, Item.id == ReorderLevel.item_id)
        .join(Unit, Unit.id == Item.unit_id)
        .outerjoin(totals, totals.c.item_id == ReorderLevel.item_id)
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


def _category_order(parent: Any) -> tuple[Any, ...]:
    """Parents before their children, each in its sort order."""
    return (
        func.coalesce(parent.sort_order, Category.sort_order),
        func.coalesce(parent.id, Category.id),
        Category.parent_id.is_not(None),
        Category.sort_order,
        Category.name,
    )


@lru_cache(maxsize=1)
def _category_names_select() -> Select[Any]:
    parent = aliased(Category)
    return (
        select(
            Category.id,
            Category.name,
            Category.name_ko,
            Category.name_fr,
            parent.name,
            parent.name_ko,
            parent.name_fr,
        )
        .outerjoin(parent, parent.id == Category.parent_id)
        .order_by(*_category_order(parent))
    )


def category_names(locale: str | None) -> list[tuple[int, str]]:
    """Every category as (id, name in the reader's language), parents before their children.

    A sub-category's name shows its parent first, as ``Category.display_name`` does; one query
    of plain columns (no ORM objects).
    """
    names = []
    for row in db.session.execute(_category_names_select()):
        category_id, name, name_ko, name_fr, p_name, p_name_ko, p_name_fr = row
        own = localised(name, name_ko, name_fr, locale)
        if p_name is not None:
            own = f"{localised(p_name, p_name_ko, p_name_fr, locale)} › {own}"
        names.append((category_id, own))
    return names


@lru_cache(maxsize=1)
def families_query() -> Select[tuple[str]]:
    """The distinct item families, sorted (one statement, built once)."""
    return (
        select(Item.family)
        .where(Item.family.is_not(None), Item.family != "")
        .distinct()
        .order_by(Item.family)
    )


# --- one item everywhere ----------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class PlaceTotal:
    """An item at one place: on hand and reserved over its lots, and how many lots hold some."""

    location_id: int
    kind: LocationKind
    name: str
    quantity: int
    reserved: int
    lots: int


@dataclass(frozen=True, slots=True)
class LotBalance:
    """One lot of an item at one place (plain values)."""

    location_id: int
    lot_id: int
    label: str
    expires_on: date | None
    grant: str | None
    quantity: int
    reserved: int


@dataclass
class PlaceLots:
    """The lots of one place on a page of the item page, with the place's totals (all lots)."""

    place: PlaceTotal
    balances: list[LotBalance] = field(default_factory=list)


@dataclass
class ItemBalances:
    """An item everywhere: a page of its lots at places holding stock, and totals.

    Totals per place (whole places, not just the page) and over them, and the ledger's
    bookkeeping ends (one row each).
    """

    page: "RowPage"
    groups: list[PlaceLots]
    quantity: int
    reserved: int
    bookkeeping: list[PlaceTotal]


def _kind_order() -> ColumnElement[int]:
    return case(*((Location.kind == kind, rank) for kind, rank in KIND_ORDER.items()), else_=9)


def item_balances(
    user: User,
    item_id: int,
    *,
    locale: str | None,
    page: int,
    per_page: int,
    bookkeeping: bool = False,
) -> ItemBalances:
    """Balances of an item at every place ``user`` may see, by place and lot, a page at a time.

    Zero balances (nothing on hand, nothing reserved) are left out. Two queries whatever the
    number of places and lots: the totals per place (which also give the number of lots, hence
    the pages, and the ledger ends: supplier, recipients, loss and count, one row each, shown
    to staff when ``bookkeeping``), then one page of lots at places holding stock (physical
    and transit), ordered by place (stores first, then by name) then lot (earliest expiry
    first). A technician sees only their own place.
    """
    nonzero = or_(Balance.quantity != 0, Balance.reserved != 0)
    own = Balance.location_id == user.location_id if user.role is Role.TECHNICIAN else None
    place_name: Any = Location.name
    if locale and locale.startswith("ko"):  # as Location.display_name
        place_name = func.coalesce(func.nullif(Location.name_ko, ""), Location.name)
    totals_stmt = (
        select(
            Balance.location_id,
            Location.kind,
            place_name,
            func.sum(Balance.quantity),
            func.sum(Balance.reserved),
            func.count(),
        )
        .join(Location, Location.id == Balance.location_id)
        .where(Balance.item_id == item_id, nonzero)
        .group_by(Balance.location_id, Location.kind, Location.name, Location.name_ko)
        .order_by(_kind_order(), Location.name, Balance.location_id)
    )
    if own is not None:
        totals_stmt = totals_stmt.where(own)
    places: dict[int, PlaceTotal] = {}
    ends: list[PlaceTotal] = []
    for location_id, kind, name, quantity, reserved, lots in db.session.execute(totals_stmt):
        total = PlaceTotal(location_id, kind, name, int(quantity), int(reserved), int(lots))
        if kind in STOCK_HOLDING_KINDS:
            places[location_id] = total
        elif bookkeeping:
            ends.append(total)

    lots_stmt = (
        select(
            Location.kind,
            place_name,
            Balance.location_id,
            Balance.lot_id,
            func.coalesce(func.nullif(Lot.serial, ""), func.nullif(Lot.code, ""), "—"),
            Lot.expires_on,
            Grant.code,
            Balance.quantity,
            Balance.reserved,
        )
        .join(Location, Location.id == Balance.location_id)
        .join(Lot, Lot.id == Balance.lot_id)
        .outerjoin(Grant, Grant.id == Lot.grant_id)
        .where(Balance.item_id == item_id, Location.kind.in_(STOCK_HOLDING_KINDS), nonzero)
        .order_by(
            _kind_order(),
            Location.name,
            Balance.location_id,
            Lot.expires_on.nulls_last(),
            Lot.code,
            Lot.id,
        )
    )
    if own is not None:
        lots_stmt = lots_stmt.where(own)
    rows_page = RowPage(
        lots_stmt,
        page=page,
        per_page=per_page,
        total=sum(place.lots for place in places.values()),
    )
    groups: list[PlaceLots] = []
    for kind, name, *values in rows_page.items:
        balance = LotBalance(*values)
        if not groups or groups[-1].place.location_id != balance.location_id:
            # No totals for a balance written between the two queries (PostgreSQL reads each
            # statement afresh): its lots show without a subtotal.
            place = places.get(balance.location_id) or PlaceTotal(
                balance.location_id, kind, name, 0, 0, 0
            )
            groups.append(PlaceLots(place))
        groups[-1].balances.append(balance)
    return ItemBalances(
        page=rows_page,
        groups=groups,
        quantity=sum(place.quantity for place in places.values()),
        reserved=sum(place.reserved for place in places.values()),
        bookkeeping=ends,
    )


# --- stock card -------------------------------------------------------------------------------

# Cards with at most this many movements are summed whole on every page, so that the balance
# they end on is checked against the recorded balance. Longer cards read the movements on the
# cheaper side of the page only (see ``stock_card``); ``flask hilo check-ledger`` checks them.
CARD_CHECK_LIMIT = 500


@dataclass(frozen=True, slots=True)
class CardLine:
    """One movement on a stock card, with the balance after it (plain values)."""

    movement_id: int
    occurred_on: date
    transaction_id: int
    kind: TransactionKind
    reference: str | None
    lot_label: str
    lot_expires_on: date | None
    other: str
    quantity_in: int
    quantity_out: int
    balance: int


@dataclass
class StockCard:
    """A page of a stock card: opening balance, lines with running balances, closing balance.

    ``closing`` is the balance the card ends on (as of its date, or now). ``checked`` is true
    when that was summed from the movements, and ``recorded`` (without a date) is the balance
    kept now: the page shows whether they match. On long cards without a date, the closing
    balance is the recorded one and the page's opening balance is worked back from it.
    """

    page: RowPage
    opening: int
    closing: int
    lines: list[CardLine]
    recorded: int | None = None
    checked: bool = True


def _card_halves(item_id: int, location_id: int, as_of: date | None) -> tuple[Any, Any]:
    """Conditions of the "in" and "out" halves of a card, each served by its own index."""
    incoming = and_(Movement.item_id == item_id, Movement.to_location_id == location_id)
    outgoing = and_(Movement.item_id == item_id, Movement.from_location_id == location_id)
    if as_of is not None:
        incoming = and_(incoming, Movement.occurred_on <= as_of)
        outgoing = and_(outgoing, Movement.occurred_on <= as_of)
    return incoming, outgoing


def _card_keys(
    incoming: Any, outgoing: Any, *, descending: bool = False, with_delta: bool = False
) -> Any:
    """Both halves of a card (occurred_on, id, sign[, delta]) in (date, id) order.

    One compound select, to cut with LIMIT/OFFSET: each half comes in that order from its
    index, so the database merges them (SQLite: only when the compound itself is ordered and
    cut, not a query around it).
    """

    def half(condition: Any, sign: int) -> Select[Any]:
        columns = [Movement.occurred_on, Movement.id, literal(sign, Integer).label("sign")]
        if with_delta:
            columns.append((Movement.quantity * sign).label("delta"))
        return select(*columns).where(condition)

    keys = union_all(half(incoming, 1), half(outgoing, -1))
    occurred_on, movement_id = keys.selected_columns.occurred_on, keys.selected_columns.id
    if descending:
        return keys.order_by(occurred_on.desc(), movement_id.desc())
    return keys.order_by(occurred_on, movement_id)


def _card_side_sum(incoming: Any, outgoing: Any, count: int, *, last: bool) -> Any:
    """Scalar: the sum of the first (or last) ``count`` movements of a card, reading only them."""
    keys = _card_keys(incoming, outgoing, descending=last, with_delta=True)
    side = keys.limit(count).subquery("side")
    return select(func.coalesce(func.sum(side.c.delta), 0)).scalar_subquery()


def stock_card(
    item_id: int,
    location_id: int,
    *,
    as_of: date | None,
    page: int,
    per_page: int,
    locale: str | None = None,
) -> StockCard:
    """One page of the stock card of an item at a place, oldest first, up to ``as_of``.

    Two statements whatever the card's length, both through the (item, place, date, id)
    indexes: the number of movements (index only) with the recorded balance (``Balance``),
    then the page's keys (both halves merged in date order, index only, cut to the page)
    joined to their movements, transactions, lots and other places, with the sums it needs
    for the balance brought forward:

    - with a date, or on a card of at most ``CARD_CHECK_LIMIT`` movements: the movements
      before the page and after it, so the whole card is summed and, without a date, the
      balance it ends on is checked against the recorded one;
    - otherwise the recorded balance is the closing one, and the opening balance is the sum
      of the movements before the page, or the closing balance less the movements from the
      page on, whichever reads fewer movements (none on the first and last pages).
    """
    incoming, outgoing = _card_halves(item_id, location_id, as_of)
    counted = select(func.count()).where(incoming).scalar_subquery() + (
        select(func.count()).where(outgoing).scalar_subquery()
    )
    if as_of is None:
        kept = select(func.coalesce(func.sum(Balance.quantity), 0)).where(
            Balance.item_id == item_id, Balance.location_id == location_id
        )
        total, recorded = db.session.execute(select(counted, kept.scalar_subquery())).one()
        recorded = int(recorded)
    else:
        total, recorded = db.session.scalar(select(counted)), None
    total = int(total or 0)
    checked = as_of is not None or total <= CARD_CHECK_LIMIT
    page = max(page, 1)
    per_page = min(max(per_page, 1), MAX_PER_PAGE)
    offset = (page - 1) * per_page
    shown = max(min(per_page, total - offset), 0)
    before_count, later_count = offset, total - offset - shown
    if not checked:  # read the cheaper side only; none on the first and last pages
        if before_count <= later_count:
            later_count = 0
        else:
            before_count = 0
    sums = []
    if shown and before_count:
        sums.append(_card_side_sum(incoming, outgoing, before_count, last=False).label("before"))
    if shown and later_count:
        sums.append(_card_side_sum(incoming, outgoing, later_count, last=True).label("later"))
    rows_page = RowPage(
        None,
        page=page,
        per_page=per_page,
        total=total,
        limited=_card_page_select(incoming, outgoing, locale).add_columns(*sums),
    )
    rows = rows_page.items
    page_sum = sum(row.sign * row.quantity for row in rows)
    before = int(rows[0].before) if rows and before_count else 0
    later = int(rows[0].later) if rows and later_count else 0
    if checked:
        if rows or total == 0:
            opening, closing = before, before + page_sum + later
        else:  # past the last page: the whole card is before it
            whole = _card_side_sum(incoming, outgoing, total, last=False)
            opening = closing = int(db.session.scalar(select(whole)) or 0)
    else:
        closing = int(recorded or 0)
        if not rows:  # past the last page
            opening = closing
        elif before_count or offset == 0:
            opening = before
        else:  # worked back from the recorded balance (on the last page: later == 0)
            opening = closing - later - page_sum
    balance = opening
    lines = []
    for row in rows:
        delta = row.sign * row.quantity
        balance += delta
        lines.append(
            CardLine(
                movement_id=row.id,
                occurred_on=row.occurred_on,
                transaction_id=row.transaction_id,
                kind=row.kind,
                reference=row.reference,
                lot_label=row.lot_label,
                lot_expires_on=row.expires_on,
                other=row.other,
                quantity_in=max(delta, 0),
                quantity_out=max(-delta, 0),
                balance=balance,
            )
        )
    return StockCard(
        page=rows_page,
        opening=opening,
        closing=closing,
        lines=lines,
        recorded=recorded,
        checked=checked,
    )


def _card_page_select(incoming: Any, outgoing: Any, locale: str | None) -> Select[Any]:
    """One page (``page_limit``, ``page_offset``) of a card's lines in (date, id) order.

    The keys of both halves are ordered and cut first (index only); only the page's rows are
    joined to their movement, transaction, lot and other place (where it came from for "in",
    where it went for "out"). Plain columns, names in the reader's language.
    """
    rows = (
        _card_keys(incoming, outgoing)
        .limit(_param(_PARAM_LIMIT))
        .offset(_param(_PARAM_OFFSET))
        .subquery("page")
    )
    other = aliased(Location, name="other")
    other_name: Any = other.name
    if locale and locale.startswith("ko"):  # as Location.display_name
        other_name = func.coalesce(func.nullif(other.name_ko, ""), other.name)
    return (
        select(
            rows.c.id,
            rows.c.occurred_on,
            rows.c.sign,
            Movement.quantity,
            Movement.transaction_id,
            StockTransaction.kind,
            StockTransaction.reference,
            func.coalesce(func.nullif(Lot.serial, ""), func.nullif(Lot.code, ""), "—").label(
                "lot_label"
            ),
            Lot.expires_on,
            other_name.label("other"),
        )
        .select_from(rows)
        .join(Movement, Movement.id == rows.c.id)
        .join(StockTransaction, StockTransaction.id == Movement.transaction_id)
        .join(Lot, Lot.id == Movement.lot_id)
        .join(
            other,
            other.id
            == case((rows.c.sign == 1, Movement.from_location_id), else_=Movement.to_location_id),
        )
        .order_by(rows.c.occurred_on, rows.c.id)
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
