"""Stock at one place lot by lot, and item names in Korean: for exports and printed lists."""

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Select, select

from hilogistics.catalogue.models import Item, Unit
from hilogistics.db import db, localised_name
from hilogistics.stock.models import Balance, Grant, Lot


def lots_at_query(location_id: int, *, locale: str | None = None) -> Select[Any]:
    """Every lot with stock at the place: code, name, unit, lot, serial, expiry, grant, quantity.

    Ordered by item code, then expiry (soonest first), then lot. Reads balances only.
    """
    return (
        select(
            Item.code,
            localised_name(Item, locale).label("name"),
            localised_name(Unit, locale).label("unit"),
            Lot.code.label("lot"),
            Lot.serial,
            Lot.expires_on,
            Grant.code.label("grant"),
            Grant.donor,
            Balance.quantity,
        )
        .join(Item, Item.id == Balance.item_id)
        .join(Unit, Unit.id == Item.unit_id)
        .join(Lot, Lot.id == Balance.lot_id)
        .outerjoin(Grant, Grant.id == Lot.grant_id)
        .where(Balance.location_id == location_id, Balance.quantity != 0)
        .order_by(Item.code, Lot.expires_on.is_(None), Lot.expires_on, Lot.code, Lot.id)
    )


def korean_item_names(item_ids: Sequence[int]) -> dict[int, str]:
    """Item id → Korean name, for documents that print Korean beside the reader's language."""
    if not item_ids:
        return {}
    return dict(
        db.session.execute(select(Item.id, Item.name_ko).where(Item.id.in_(item_ids))).all()
    )
