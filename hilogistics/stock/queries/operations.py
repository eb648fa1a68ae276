"""Reads of the stock operation forms: items by code, lots at a place, grants, reasons."""

from collections.abc import Iterable
from functools import lru_cache

from sqlalchemy import Integer, Select, and_, bindparam, func, or_, select

from hilogistics.catalogue.models import Item
from hilogistics.db import db
from hilogistics.inputs import has_control_characters
from hilogistics.stock.models import AdjustmentReason, Balance, Grant, Lot, StockTransaction


def active_items_by_code(codes: Iterable[str | None]) -> dict[str, Item]:
    """Active items whose code is among ``codes`` (any letter case), keyed by upper-case code."""
    # Also called to redisplay a refused form: a code with a control character matches no item,
    # and PostgreSQL would refuse the query outright.
    wanted = {code.upper() for code in codes if code and not has_control_characters(code)}
    # Codes are upper-case ASCII (ITEM_CODE_PATTERN): another code matches none. Compared in
    # lower case, which the codes' unique index covers (upper() read every item).
    lowered = {code.lower() for code in wanted if code.isascii()}
    if not lowered:
        return {}
    found = db.session.scalars(
        select(Item).where(func.lower(Item.code).in_(lowered), Item.is_active)
    )
    return {item.code.upper(): item for item in found if item.code.upper() in wanted}


def active_grants() -> list[Grant]:
    """Grants a receipt may name, by code."""
    return list(db.session.scalars(select(Grant).where(Grant.is_active).order_by(Grant.code)))


def active_adjustment_reasons(*, reason_id: int | None = None) -> list[AdjustmentReason]:
    """Reasons an adjustment may give, in their list order; only ``reason_id``'s when given."""
    query = (
        select(AdjustmentReason)
        .where(AdjustmentReason.is_active)
        .order_by(AdjustmentReason.sort_order, AdjustmentReason.id)
    )
    if reason_id is not None:
        query = query.where(AdjustmentReason.id == reason_id)
    return list(db.session.scalars(query))


def lots_with_balance(
    item_id: int, location_id: int, *, lot_id: int | None = None
) -> list[tuple[Lot, int]]:
    """The item's lots with the quantity of each at the place: lots on hand there first.

    Then by earliest expiry (none last) and id. Only ``lot_id`` (if it is the item's) when given.
    """
    params = {"item_id": item_id, "location_id": location_id, "lot_id": lot_id}
    rows = db.session.execute(_lots_with_balance_query(lot_id is not None), params).all()
    return [(lot, int(quantity)) for lot, quantity in rows]


@lru_cache(maxsize=2)
def _lots_with_balance_query(one_lot: bool) -> Select[tuple[Lot, int]]:
    """``lots_with_balance``'s statement, with bound parameters: built once (every adjustment)."""
    on_hand = func.coalesce(Balance.quantity, 0)
    location_id = bindparam("location_id", type_=Integer)
    query = (
        select(Lot, on_hand)
        .outerjoin(Balance, and_(Balance.lot_id == Lot.id, Balance.location_id == location_id))
        .where(Lot.item_id == bindparam("item_id", type_=Integer))
        .order_by((on_hand > 0).desc(), Lot.expires_on.is_(None), Lot.expires_on, Lot.id)
    )
    if one_lot:
        query = query.where(Lot.id == bindparam("lot_id", type_=Integer))
    return query


def reversal_shortfalls(transaction: StockTransaction) -> dict[int, int]:
    """Movement id → quantity on hand, for lines whose stock is no longer all where it went.

    Only guarded places count (a virtual end may go below zero); one query for all lines.
    """
    guarded = [m for m in transaction.movements if m.to_location.kind.is_guarded]
    if not guarded:
        return {}
    balances = {
        (b.location_id, b.item_id, b.lot_id): b.quantity
        for b in db.session.scalars(
            select(Balance).where(
                or_(
                    *(
                        and_(
                            Balance.location_id == m.to_location_id,
                            Balance.item_id == m.item_id,
                            Balance.lot_id == m.lot_id,
                        )
                        for m in guarded
                    )
                )
            )
        )
    }
    short = {}
    for movement in guarded:
        quantity = balances.get((movement.to_location_id, movement.item_id, movement.lot_id), 0)
        if quantity < movement.quantity:
            short[movement.id] = quantity
    return short
