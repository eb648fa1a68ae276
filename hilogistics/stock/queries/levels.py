"""Reorder levels at one place: items below their minimum, the levels of given items."""

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Date, Select, func, null, select

from hilogistics.catalogue.models import Item, Unit
from hilogistics.db import db, localised_name
from hilogistics.stock.models import ReorderLevel
from hilogistics.stock.queries._common import item_totals


def below_minimum_query(location_id: int, *, locale: str | None = None) -> Select[Any]:
    """Rows like ``on_hand_query``'s of the items under their minimum at a place, by code.

    No expiry. Items with a level but no item row at all count as zero.
    """
    totals = item_totals(location_id=location_id)
    on_hand = func.coalesce(totals.c.on_hand, 0)
    return (
        select(
            Item.id.label("item_id"),
            Item.code,
            localised_name(Item, locale).label("name"),
            Item.category_id,
            localised_name(Unit, locale).label("unit"),
            on_hand.label("on_hand"),
            func.coalesce(totals.c.reserved, 0).label("reserved"),
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
