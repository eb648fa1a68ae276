"""Stock on hand at one place, from balances: filters, rows, statements by shape, pages."""

from collections.abc import Callable, Hashable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from functools import lru_cache
from typing import Any, NamedTuple

from flask import current_app
from sqlalchemy import (
    ColumnElement,
    Date,
    Integer,
    Select,
    String,
    and_,
    bindparam,
    exists,
    func,
    literal,
    null,
    or_,
    select,
    union,
    union_all,
)
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import aliased
from sqlalchemy.sql.expression import FunctionElement

from hilogistics.catalogue.models import Category, Item, Unit
from hilogistics.dates import business_today
from hilogistics.db import contains_pattern, db, localised_name, matches_text, written
from hilogistics.stock.models import Balance, ItemBalance, Lot, ReorderLevel
from hilogistics.stock.queries._common import (
    MAX_PER_PAGE,
    PARAM_LIMIT,
    PARAM_OFFSET,
    RowPage,
    param,
)

SORT_KEYS = ("code", "name", "quantity", "expiry")


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
            until = (today or business_today()) + timedelta(days=filters.expiring_days)
            values[_PARAM_EXPIRING_UNTIL] = until
        if filters.category_id is not None:
            values[_PARAM_CATEGORY] = filters.category_id
        if filters.family:
            values[_PARAM_FAMILY] = filters.family
        if filters.text:
            values[_PARAM_TEXT] = contains_pattern(filters.text)
        if filters.item_ids is not None:
            values[_PARAM_ITEM_IDS] = list(filters.item_ids)
        return values


def _item_conditions(shape: _OnHandShape) -> list[ColumnElement[bool]]:
    """Conditions on ``Item`` for the category (with its children), family, text and ids."""
    conditions: list[ColumnElement[bool]] = []
    if shape.category:
        category = param(_PARAM_CATEGORY)
        conditions.append(
            Item.category_id.in_(
                select(Category.id).where(
                    or_(Category.id == category, Category.parent_id == category)
                )
            )
        )
    if shape.family:
        conditions.append(Item.family == param(_PARAM_FAMILY, String))
    if shape.text:
        conditions.append(
            matches_text(
                (Item.code, Item.name, Item.name_ko, Item.name_fr), param(_PARAM_TEXT, String)
            )
        )
    if shape.item_ids:
        conditions.append(Item.id.in_(bindparam(_PARAM_ITEM_IDS, expanding=True)))
    return conditions


def _earliest_expiry(item_id: Any) -> Any:
    """The earliest expiry of ``item_id``'s lots in stock at the place (a scalar subquery).

    Correlated to whatever gives ``item_id``: the place's item rows, the items, or a page.
    """
    return (
        select(func.min(Lot.expires_on))
        .select_from(Balance)
        .join(Lot, Lot.id == Balance.lot_id)
        .where(
            Balance.location_id == param(_PARAM_LOCATION),
            Balance.item_id == item_id,
            Balance.quantity > 0,
        )
        .correlate_except(Balance, Lot)
        .scalar_subquery()
    )


def _location_totals(*, with_expiry: bool) -> Any:
    """Subquery (item_id, on_hand, reserved[, earliest_expiry]) of one place, from item rows.

    Driven by the place's item balances (one row per item, by the unique index on location and
    item), plus a zero row for each item with a reorder level here but no item row at all. Never
    touches the items table: filters and names are joined after. The earliest expiry (of lots in
    stock) costs a lookup of every lot, so it is only computed here when rows are chosen or
    sorted by it; a page otherwise adds it for its own rows.
    """
    location = param(_PARAM_LOCATION)
    stocked = select(
        ItemBalance.item_id.label("item_id"),
        ItemBalance.on_hand.label("on_hand"),
        ItemBalance.reserved.label("reserved"),
    ).where(ItemBalance.location_id == location)
    never_stocked = select(ReorderLevel.item_id, literal(0, Integer), literal(0, Integer)).where(
        ReorderLevel.location_id == location,
        ~exists().where(
            ItemBalance.location_id == location, ItemBalance.item_id == ReorderLevel.item_id
        ),
    )
    if with_expiry:
        earliest = _earliest_expiry(ItemBalance.item_id)
        stocked = stocked.add_columns(earliest.label("earliest_expiry"))
        never_stocked = never_stocked.add_columns(null().cast(Date))
    return union_all(stocked, never_stocked).subquery("totals")


@lru_cache(maxsize=256)
def _on_hand_select(shape: _OnHandShape) -> Select[Any]:
    """The stock-on-hand statement of this shape (see ``on_hand_query``), with parameters."""
    totals = _location_totals(with_expiry=shape.with_expiry)
    level = aliased(ReorderLevel, name="level")
    name = localised_name(Item, shape.language)
    columns: list[Any] = [
        totals.c.item_id,
        Item.code,
        name.label("name"),
        Item.category_id,
        localised_name(Unit, shape.language).label("unit"),
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
            and_(level.item_id == totals.c.item_id, level.location_id == param(_PARAM_LOCATION)),
        )
        .where(or_(totals.c.on_hand > 0, totals.c.reserved > 0, level.id.is_not(None)))
        .where(*_item_conditions(shape))
    )
    if shape.only_flagged:
        expiry = totals.c.earliest_expiry
        stmt = stmt.where(
            or_(
                and_(level.id.is_not(None), totals.c.on_hand < level.minimum),
                and_(expiry.is_not(None), expiry <= param(_PARAM_EXPIRING_UNTIL, Date)),
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


def _item_value(column: Any, item_id: Any) -> Any:
    """``column`` of the item ``item_id``, as a correlated scalar subquery (a key lookup)."""
    return select(column).where(Item.id == item_id).scalar_subquery()


@lru_cache(maxsize=256)
def _on_hand_page_keyed(shape: _OnHandShape) -> Select[Any]:
    """One page of the place's rows read from its balances, the items looked up by key.

    For a page without item filters: the place's item rows (and reorder levels) are sorted on
    their item's code (or name) looked up by primary key, one probe per row of the place, then
    the page's rows alone are joined to their items, units and lots. A plain join would let
    PostgreSQL hash the whole catalogue for a place holding a tenth of it; scalar subqueries
    are never flattened into a join, so the plan reads the place's rows and nothing else.
    """
    totals = _location_totals(with_expiry=False)
    level = aliased(ReorderLevel, name="level")
    code_key = _item_value(Item.code, totals.c.item_id).label("code_key")
    name_key = _item_value(localised_name(Item, shape.language), totals.c.item_id).label("name_key")
    keys = [code_key, name_key] if shape.sort == "name" else [code_key]

    def ordering(name: Any, code: Any, on_hand: Any, item_id: Any) -> list[Any]:
        """The page's order: the sort's key, then code and id (as ``_on_hand_select``)."""
        first = {"name": name, "quantity": on_hand}.get(shape.sort, code)
        return [first.desc() if shape.descending else first.asc(), code, item_id]

    page = (
        select(
            totals.c.item_id,
            totals.c.on_hand,
            totals.c.reserved,
            level.minimum,
            level.maximum,
            *keys,
        )
        .select_from(totals)
        .outerjoin(
            level,
            and_(level.item_id == totals.c.item_id, level.location_id == param(_PARAM_LOCATION)),
        )
        .where(or_(totals.c.on_hand > 0, totals.c.reserved > 0, level.id.is_not(None)))
        .order_by(*ordering(name_key, code_key, totals.c.on_hand, totals.c.item_id))
        .limit(param(PARAM_LIMIT))
        .offset(param(PARAM_OFFSET))
        .subquery("page")
    )
    expiry = _earliest_expiry(page.c.item_id)
    return _in_row_order(
        select(
            page.c.item_id,
            Item.code,
            localised_name(Item, shape.language).label("name"),
            Item.category_id,
            localised_name(Unit, shape.language).label("unit"),
            page.c.on_hand,
            page.c.reserved,
            expiry.label("earliest_expiry"),
            page.c.minimum,
            page.c.maximum,
        )
        .select_from(page)
        .join(Item, Item.id == page.c.item_id)
        .join(Unit, Unit.id == Item.unit_id)
        .order_by(
            *ordering(page.c.get("name_key"), page.c.code_key, page.c.on_hand, page.c.item_id)
        )
    )


@lru_cache(maxsize=256)
def _on_hand_page_select(shape: _OnHandShape) -> Select[Any]:
    """One page (``page_limit``, ``page_offset``) of ``_on_hand_select(shape)``.

    Without expiry in the shape, the earliest expiry is looked up for the page's rows only, in
    an outer query around the limited one (ordered again: a subquery's order is not kept).
    """
    if not shape.with_expiry and not shape.narrows_items:
        return _on_hand_page_keyed(shape)
    limited = _on_hand_select(shape).limit(param(PARAM_LIMIT)).offset(param(PARAM_OFFSET))
    if shape.with_expiry:
        return _in_row_order(limited)
    rows = limited.subquery("page")
    sort_column = {"name": rows.c.name, "quantity": rows.c.on_hand}.get(shape.sort, rows.c.code)
    ordered = sort_column.desc() if shape.descending else sort_column.asc()
    expiry = _earliest_expiry(rows.c.item_id)
    columns = [c for c in rows.c if c.key not in ("minimum", "maximum")]
    page = select(*columns, expiry.label("earliest_expiry"), rows.c.minimum, rows.c.maximum)
    return _in_row_order(page.order_by(ordered, rows.c.code, rows.c.item_id))


# The size of the catalogue, read from the primary key: it stands in the plan choice of
# ``on_hand_page`` (how many items a walk in code order probes per row of the place).
_CATALOGUE_SIZE = select(func.max(Item.id)).scalar_subquery()


class _DataSnapshot(FunctionElement):
    """The snapshot a statement reads (PostgreSQL: ``pg_current_snapshot()`` as text; else NULL).

    Two statements that report the same snapshot saw the same committed transactions, so the
    same data: ``on_hand_page`` keeps a place's count until the snapshot changes.
    """

    type = String()
    inherit_cache = True


@compiles(_DataSnapshot, "postgresql")
def _data_snapshot_postgresql(_element: Any, _compiler: Any, **_kw: Any) -> str:
    return "pg_current_snapshot()::text"


@compiles(_DataSnapshot)
def _data_snapshot_other(_element: Any, _compiler: Any, **_kw: Any) -> str:
    return "NULL"


@lru_cache(maxsize=256)
def _on_hand_count_of(shape: _OnHandShape) -> Select[tuple[int]]:
    """The number of rows of ``_on_hand_select(shape)``, counted cheaply.

    Without the "needs attention" filter: the distinct items with a lot holding or reserving
    stock here, or with a reorder level here. These are the same rows, since balances at places
    that hold stock are never negative (CHECK constraints), and no item, unit or lot is read
    unless an item filter applies. With that filter, the full query is counted.
    """
    if shape.only_flagged:
        return select(func.count()).select_from(_on_hand_select(shape).order_by(None).subquery())
    location = param(_PARAM_LOCATION)
    listed = union(
        select(ItemBalance.item_id).where(
            ItemBalance.location_id == location,
            or_(ItemBalance.on_hand > 0, ItemBalance.reserved > 0),
        ),
        select(ReorderLevel.item_id).where(ReorderLevel.location_id == location),
    )
    if shape.narrows_items:
        return select(func.count()).where(Item.id.in_(listed), *_item_conditions(shape))
    # The same number as two counts that cannot overlap (items held here, then items with a
    # level here and not held): no UNION, so no temporary table to remove duplicates.
    held = and_(
        ItemBalance.location_id == location,
        or_(ItemBalance.on_hand > 0, ItemBalance.reserved > 0),
    )
    held_here = select(func.count()).where(held).scalar_subquery()
    level_only = (
        select(func.count())
        .select_from(ReorderLevel)
        .where(
            ReorderLevel.location_id == location,
            ~exists().where(held, ItemBalance.item_id == ReorderLevel.item_id),
        )
        .scalar_subquery()
    )
    return select((held_here + level_only).label("count"))


@lru_cache(maxsize=256)
def _on_hand_count_select(shape: _OnHandShape) -> Select[tuple[int, int, str | None]]:
    """``_on_hand_count_of(shape)``, the catalogue size (the highest item id), the snapshot."""
    return _on_hand_count_of(shape).add_columns(_CATALOGUE_SIZE, _DataSnapshot())


@lru_cache(maxsize=256)
def _on_hand_page_by_code(shape: _OnHandShape) -> Select[Any]:
    """One page of the rows of ``_on_hand_select(shape)`` sorted by code, driven by the items.

    Walks the items in code order (their unique index; codes are unique, so no tie-break) and
    joins each one's row at this place from item_balances and reorder_levels (one probe of
    their unique (location, item) index each, no subquery per row), keeping those held or with
    a level here until the page is full. The earliest expiry is a subquery in the select list,
    which the databases evaluate after the limit: for the page's rows only. Its cost grows with
    the page's position over the share of the catalogue held here, not with what the place
    holds: see ``on_hand_page`` for the choice.
    """
    location = param(_PARAM_LOCATION)
    level = aliased(ReorderLevel, name="level")
    expiry = _earliest_expiry(Item.id)
    return _in_row_order(
        select(
            Item.id.label("item_id"),
            Item.code,
            localised_name(Item, shape.language).label("name"),
            Item.category_id,
            localised_name(Unit, shape.language).label("unit"),
            func.coalesce(ItemBalance.on_hand, 0).label("on_hand"),
            func.coalesce(ItemBalance.reserved, 0).label("reserved"),
            expiry.label("earliest_expiry"),
            level.minimum,
            level.maximum,
        )
        .select_from(Item)
        .outerjoin(
            ItemBalance, and_(ItemBalance.location_id == location, ItemBalance.item_id == Item.id)
        )
        .outerjoin(level, and_(level.location_id == location, level.item_id == Item.id))
        .join(Unit, Unit.id == Item.unit_id)
        .where(
            or_(ItemBalance.on_hand > 0, ItemBalance.reserved > 0, level.id.is_not(None)),
            *_item_conditions(shape),
        )
        .order_by(Item.code.desc() if shape.descending else Item.code.asc())
        .limit(param(PARAM_LIMIT))
        .offset(param(PARAM_OFFSET))
    )


def _on_hand_page(shape: _OnHandShape, by_items: bool) -> Select[Any]:
    """The page statement read from the items in code order, or from the place's balances."""
    return _on_hand_page_by_code(shape) if by_items else _on_hand_page_select(shape)


@lru_cache(maxsize=256)
def _on_hand_page_counted(shape: _OnHandShape, by_items: bool) -> Select[Any]:
    """The page statement ``on_hand_page`` chose, then its count, catalogue size and snapshot.

    One statement and one round trip instead of two.
    Count and size are uncorrelated scalar subqueries, which SQLite and PostgreSQL (an
    InitPlan) each evaluate once per statement, not once per row.
    """
    return _on_hand_page(shape, by_items).add_columns(
        _on_hand_count_of(shape).scalar_subquery().label("total"),
        _CATALOGUE_SIZE.label("catalogue"),
        _DataSnapshot().label("snapshot"),
    )


@lru_cache(maxsize=256)
def _on_hand_page_at(shape: _OnHandShape, by_items: bool) -> Select[Any]:
    """The page statement ``on_hand_page`` chose, then its catalogue size and snapshot: no count.

    For a place whose count was taken at the snapshot this statement reports (PostgreSQL).
    """
    return _on_hand_page(shape, by_items).add_columns(
        _CATALOGUE_SIZE.label("catalogue"), _DataSnapshot().label("snapshot")
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


# The columns of the page statements, in OnHandRow's order (checked when each is built), so
# that a page's rows are unpacked by position: a Row's attribute lookup by name cost more than
# building the OnHandRow (0.23 ms of a 50-row page).
_ROW_COLUMNS = (
    "item_id",
    "code",
    "name",
    "category_id",
    "unit",
    "on_hand",
    "reserved",
    "earliest_expiry",
    "minimum",
    "maximum",
)


def _in_row_order(stmt: Select[Any]) -> Select[Any]:
    """``stmt``, after checking that its columns are ``_ROW_COLUMNS`` in that order."""
    keys = tuple(stmt.selected_columns.keys())
    if keys != _ROW_COLUMNS:
        raise ValueError(f"stock-on-hand page columns out of order: {keys}")
    return stmt


def _page_row_converter(filters: OnHandFilters, today: date) -> Callable:
    """``on_hand_row_converter`` for the page statements' rows (``_in_row_order``), by position.

    Their first ten columns: a page read with its count, size or snapshot has more after them.
    """
    days = filters.expiring_days

    def convert(row: Any) -> OnHandRow:
        ten = row[:10]
        item_id, code, name, category_id, unit, on_hand, reserved, expiry, minimum, maximum = ten
        return OnHandRow(
            item_id,
            code,
            name,
            category_id,
            unit,
            int(on_hand or 0),
            int(reserved or 0),
            expiry,
            minimum,
            maximum,
            today,
            days,
        )

    return convert


def on_hand_row_converter(filters: OnHandFilters, today: date | None = None) -> Callable:
    """Turn a row of the stock-on-hand statements into an OnHandRow."""
    today = today or business_today()
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


# The last count, catalogue size and snapshot seen per place and filters, per app in this
# process. The next request for them reads its page and count in one statement, choosing the
# side to read from these: both sides give the same rows, so a stale size can only cost time,
# never change the page. On PostgreSQL, while the snapshot is the same (nothing was committed
# since), the count itself still holds, and the page is read without it. Bounded: emptied when
# it holds more than this many.
_SEEN_SIZES = "hilogistics.on_hand_sizes"
_SEEN_SIZES_LIMIT = 4096


class _Seen(NamedTuple):
    total: int
    catalogue: int
    snapshot: str | None = None


def _seen_sizes() -> dict[Hashable, _Seen]:
    return current_app.extensions.setdefault(_SEEN_SIZES, {})


# How much a row of the place read from its balances costs against an item walked in code
# order, per engine, measured with bench/ (places of 6 to 3 000 rows, pages 1 and 3): the
# balances side wins below this many rows squared per (page end x catalogue). SQLite walks the
# items index cheaply (crossover about 0.3); PostgreSQL pays more per probe (about 2).
_WALK_CROSSOVER = {"sqlite": 0.3, "postgresql": 2.0}


def _reads_items(
    shape: _OnHandShape, total: int, catalogue: int, *, end: int, dialect: str
) -> bool:
    """True when the items in code order are the cheaper side for a page ending at ``end``.

    Probes of the items walk: about ``end`` x catalogue / rows; of the balances: every row of
    the place, each with its item's code looked up, then sorted.
    """
    crossover = _WALK_CROSSOVER.get(dialect, 1.0)
    return (
        shape.sort == "code"
        and not shape.with_expiry
        and total * total > crossover * end * catalogue
    )


def _size_key(location_id: int, shape: _OnHandShape, values: dict[str, Any]) -> Hashable:
    return (
        location_id,
        shape,
        tuple(
            (name, tuple(value) if isinstance(value, list) else value)
            for name, value in sorted(values.items())
        ),
    )


def on_hand_page(
    location_id: int,
    filters: OnHandFilters,
    *,
    locale: str | None,
    page: int,
    per_page: int,
    today: date | None = None,
) -> "RowPage":
    """One page of the rows of ``on_hand_query`` as OnHandRow, with their count.

    Sorted by code, the page is read from whichever side is cheaper: the place's balances
    (every item held there is summed and sorted, then the page cut), or the items in code
    order (probed one by one until the page is full, about (offset + page size) x catalogue /
    rows probes). A large place (many rows) on an early page reads the items; a small place
    reads its balances. Either way no more than one page of expiry dates is looked up.

    The first request for a place and filters in this process counts first (two statements)
    to choose; later ones choose from the size seen last and read the page and its count in
    one statement (``_on_hand_page_counted``). On PostgreSQL a count taken at the snapshot the
    page is read at is not taken again (``_on_hand_page_at``): a busy page read between writes
    costs its rows only. Where the snapshot moved, the count is taken again (and when a commit
    lands between the page and that count, the page is read again with its count).
    """
    shape = _OnHandShape.of(filters, locale, with_expiry=False)
    values = _OnHandShape.values(location_id, filters, today)
    today = today or business_today()
    page = max(page, 1)
    per_page = min(max(per_page, 1), MAX_PER_PAGE)
    end = page * per_page
    # Plain selects of columns: run on the session's connection, without the ORM's work.
    connection = db.session.connection()
    dialect = connection.dialect.name
    sizes = _seen_sizes()
    size_key = _size_key(location_id, shape, values)
    seen = sizes.get(size_key)
    limits = {**values, PARAM_LIMIT: per_page, PARAM_OFFSET: end - per_page}

    def page_of(total: int, **reading: Any) -> RowPage:
        """The page of ``total`` rows: ``rows`` read with their count, or a ``limited`` read."""
        return RowPage(
            None,
            page=page,
            per_page=per_page,
            convert=_page_row_converter(filters, today),
            total=total,
            **reading,
        )

    if seen is not None:
        by_items = _reads_items(shape, seen.total, seen.catalogue, end=end, dialect=dialect)
        # Own uncommitted writes are not in the snapshot's text: such a transaction counts.
        if seen.snapshot is not None and not written(connection):
            rows = connection.execute(_on_hand_page_at(shape, by_items), limits).all()
            if rows and rows[0][-1] == seen.snapshot:
                return page_of(seen.total, rows=rows)
            if rows:
                counted = connection.execute(_on_hand_count_select(shape), values).one()
                now = _remember_size(sizes, size_key, *counted)
                if now.snapshot == rows[0][-1]:
                    return page_of(now.total, rows=rows)
        rows = connection.execute(_on_hand_page_counted(shape, by_items), limits).all()
        if rows:  # else past the end, or nothing here: count on its own below
            return page_of(_remember_size(sizes, size_key, *rows[0][-3:]).total, rows=rows)
    counted = connection.execute(_on_hand_count_select(shape), values).one()
    now = _remember_size(sizes, size_key, *counted)
    by_items = _reads_items(shape, now.total, now.catalogue, end=end, dialect=dialect)
    return page_of(
        now.total,
        limited=_on_hand_page(shape, by_items),
        params=values,
        execute=connection.execute,
    )


def _remember_size(
    sizes: dict[Hashable, _Seen],
    key: Hashable,
    total: int | None,
    catalogue: int | None,
    snapshot: str | None,
) -> _Seen:
    """Keep what a count statement returned (NULLs as 0) for ``key``, and return it."""
    if len(sizes) >= _SEEN_SIZES_LIMIT:
        sizes.clear()
    seen = sizes[key] = _Seen(int(total or 0), int(catalogue or 0), snapshot)
    return seen
