"""Stock that needs attention across places: items below their minimum, lots expiring or expired.

Both read reorder levels and balances (never the ledger), a page at a time; the home page and the
two list pages share them. Only physical places count: goods in transit are on no shelf.
"""

from datetime import date, timedelta
from typing import Any

from sqlalchemy import Select, and_, func, select

from hilogistics.catalogue.models import Item, Unit
from hilogistics.db import localised_name
from hilogistics.locations.models import PHYSICAL_KINDS, Location
from hilogistics.stock.models import Balance, ItemBalance, Lot, ReorderLevel

# A lot expiring within this many days is flagged (the stock-on-hand pages' default too).
EXPIRING_DAYS = 90


def _places(location_id: int | None) -> Any:
    """A WHERE clause on ``Location``: physical places, or the one asked for."""
    clause = Location.kind.in_(PHYSICAL_KINDS)
    if location_id is not None:
        clause = and_(clause, Location.id == location_id)
    return clause


def _below_minimum_from(statement: Select[Any], location_id: int | None) -> Select[Any]:
    """``statement`` over reorder levels under their minimum, with places and item rows joined."""
    on_hand = func.coalesce(ItemBalance.on_hand, 0)
    return (
        statement.select_from(ReorderLevel)
        .join(Location, Location.id == ReorderLevel.location_id)
        .outerjoin(
            ItemBalance,
            and_(
                ItemBalance.location_id == ReorderLevel.location_id,
                ItemBalance.item_id == ReorderLevel.item_id,
            ),
        )
        .where(_places(location_id), on_hand < ReorderLevel.minimum)
    )


def below_minimum_everywhere_query(
    *, location_id: int | None = None, locale: str | None = None
) -> Select[Any]:
    """Items under their minimum at each physical place (or one), by place then item code.

    Rows: location_id, place, item_id, code, name, unit, on_hand, reserved, minimum, maximum.
    An item with a level but no stock at all counts as zero, as on a place's own list.
    """
    statement = select(
        Location.id.label("location_id"),
        localised_name(Location, locale).label("place"),
        Item.id.label("item_id"),
        Item.code,
        localised_name(Item, locale).label("name"),
        localised_name(Unit, locale).label("unit"),
        func.coalesce(ItemBalance.on_hand, 0).label("on_hand"),
        func.coalesce(ItemBalance.reserved, 0).label("reserved"),
        ReorderLevel.minimum,
        ReorderLevel.maximum,
    )
    return (
        _below_minimum_from(statement, location_id)
        .join(Item, Item.id == ReorderLevel.item_id)
        .join(Unit, Unit.id == Item.unit_id)
        .order_by(Location.name, Location.id, Item.code, Item.id)
    )


def below_minimum_count_query(*, location_id: int | None = None) -> Select[tuple[int]]:
    """How many rows ``below_minimum_everywhere_query`` lists, without the names."""
    return _below_minimum_from(select(func.count()), location_id)


def _expiring_from(
    statement: Select[Any], *, today: date, days: int, location_id: int | None
) -> Select[Any]:
    """``statement`` over lot balances on a shelf whose lot expires within ``days`` or has."""
    return (
        statement.select_from(Lot)
        .join(Balance, Balance.lot_id == Lot.id)
        .join(Location, Location.id == Balance.location_id)
        .where(
            Lot.expires_on <= today + timedelta(days=days),
            Balance.quantity > 0,
            _places(location_id),
        )
    )


def expiring_lots_query(
    *,
    today: date,
    days: int = EXPIRING_DAYS,
    location_id: int | None = None,
    locale: str | None = None,
) -> Select[Any]:
    """Lots on a shelf that have expired or expire within ``days``, soonest first.

    Rows: location_id, place, item_id, code, name, unit, lot_id, lot (its label parts: code and
    serial), expires_on, quantity. Expired lots come first (their date is the earliest).
    """
    statement = select(
        Location.id.label("location_id"),
        localised_name(Location, locale).label("place"),
        Item.id.label("item_id"),
        Item.code,
        localised_name(Item, locale).label("name"),
        localised_name(Unit, locale).label("unit"),
        Lot.id.label("lot_id"),
        Lot.code.label("lot_code"),
        Lot.serial,
        Lot.expires_on,
        Balance.quantity,
    )
    return (
        _expiring_from(statement, today=today, days=days, location_id=location_id)
        .join(Item, Item.id == Lot.item_id)
        .join(Unit, Unit.id == Item.unit_id)
        .order_by(Lot.expires_on, Location.name, Location.id, Item.code, Lot.id)
    )


def expiring_count_query(
    *,
    today: date,
    days: int = EXPIRING_DAYS,
    location_id: int | None = None,
    at_most: int | None = None,
) -> Select[tuple[int]]:
    """How many rows ``expiring_lots_query`` lists, without the names (or ``at_most``).

    With ``at_most`` the count stops there: a busy programme has thousands of lot balances
    near expiry, and a home page that says "999+" need not read them all.
    """
    if at_most is None:
        return _expiring_from(select(func.count()), today=today, days=days, location_id=location_id)
    found = _expiring_from(select(Balance.id), today=today, days=days, location_id=location_id)
    return select(func.count()).select_from(found.limit(at_most).subquery())
