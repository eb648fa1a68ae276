"""The stock overview: places grouped by province with their stock totals, and item search."""

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import ColumnElement, Select, and_, distinct, func, select

from hilogistics.auth.models import User
from hilogistics.catalogue.models import Item
from hilogistics.db import db, matches_text
from hilogistics.locations.models import Location, Province
from hilogistics.locations.queries import visible_locations_query
from hilogistics.stock.models import Balance, ReorderLevel
from hilogistics.stock.queries._common import KIND_ORDER, item_totals


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
    totals = item_totals()
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


def _matches_text(text: str) -> ColumnElement[bool]:
    """Code or a name in any language contains ``text`` (case-insensitive, wildcards escaped)."""
    return matches_text((Item.code, Item.name, Item.name_ko, Item.name_fr), text)


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
