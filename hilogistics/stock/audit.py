"""Ledger audit: recompute balances from movements and check conservation per item."""

from dataclasses import dataclass

from sqlalchemy import func, literal, select, union_all

from hilogistics.db import db
from hilogistics.stock.models import Balance, Movement


@dataclass(frozen=True)
class Difference:
    """A balance that disagrees with its movements, or an item whose stock does not sum to zero."""

    location_id: int | None
    item_id: int
    lot_id: int | None
    balance: int
    from_movements: int

    def describe(self) -> str:
        """One readable line."""
        if self.location_id is None:
            return f"item {self.item_id}: balances sum to {self.balance}, not 0 (conservation)"
        return (
            f"location {self.location_id} item {self.item_id} lot {self.lot_id}: "
            f"balance {self.balance}, movements give {self.from_movements}"
        )


def ledger_differences() -> list[Difference]:
    """List what disagrees: balances ≠ inflows − outflows, and items not summing to zero.

    Conservation: over all locations, virtual ones included, an item's balances sum to zero.
    """
    signed = union_all(
        select(
            Movement.to_location_id.label("location_id"),
            Movement.item_id,
            Movement.lot_id,
            Movement.quantity.label("delta"),
        ),
        select(
            Movement.from_location_id.label("location_id"),
            Movement.item_id,
            Movement.lot_id,
            (literal(0) - Movement.quantity).label("delta"),
        ),
    ).subquery()
    computed = {
        (row.location_id, row.item_id, row.lot_id): int(row.total)
        for row in db.session.execute(
            select(
                signed.c.location_id,
                signed.c.item_id,
                signed.c.lot_id,
                func.sum(signed.c.delta).label("total"),
            ).group_by(signed.c.location_id, signed.c.item_id, signed.c.lot_id)
        )
    }
    stored = {
        (row.location_id, row.item_id, row.lot_id): row.quantity
        for row in db.session.execute(
            select(Balance.location_id, Balance.item_id, Balance.lot_id, Balance.quantity)
        )
    }
    differences = [
        Difference(key[0], key[1], key[2], stored.get(key, 0), computed.get(key, 0))
        for key in sorted(computed.keys() | stored.keys())
        if stored.get(key, 0) != computed.get(key, 0)
    ]
    for item_id, total in db.session.execute(
        select(Balance.item_id, func.sum(Balance.quantity)).group_by(Balance.item_id)
    ):
        if int(total) != 0:
            differences.append(Difference(None, item_id, None, int(total), 0))
    return differences
