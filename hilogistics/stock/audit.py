"""Ledger audit: balances against movements, conservation, item rows, serial numbers, summaries.

Item rows are checked against their lots and reservations and for guarded availability; the
stock summaries (per place, item and grant) against the lot balances they sum.
"""

from dataclasses import dataclass

from sqlalchemy import func, literal, select, union_all

from hilogistics.db import db
from hilogistics.reports import distribution_months, stockout_spans
from hilogistics.stock import summaries
from hilogistics.stock.models import (
    Balance,
    ItemBalance,
    Lot,
    Movement,
    Reservation,
    StockSummary,
)


@dataclass(frozen=True)
class Difference:
    """A balance that disagrees with its movements, or an item whose stock does not sum to zero."""

    location_id: int | None
    item_id: int
    lot_id: int | None
    balance: int
    from_movements: int
    # Set for the checks that are not "balance versus movements": says what is wrong.
    problem: str = ""

    def describe(self) -> str:
        """One readable line."""
        if self.problem:
            return self.problem
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
    differences += item_row_differences()
    differences += serial_differences()
    differences += summary_differences()
    differences += [Difference(None, 0, None, 0, 0, p) for p in stockout_spans.span_differences()]
    differences += [
        Difference(None, 0, None, 0, 0, p) for p in distribution_months.month_differences()
    ]
    return differences


def summary_differences() -> list[Difference]:
    """Stock summary rows that differ from their lot balances summed (a missing row is 0)."""
    rows = summaries.recomputed().subquery()
    computed = {
        (row.location_id, row.item_id, row.grant_key): int(row.quantity)
        for row in db.session.execute(select(rows))
    }
    stored = {
        (row.location_id, row.item_id, row.grant_key): row.quantity
        for row in db.session.execute(
            select(
                StockSummary.location_id,
                StockSummary.item_id,
                StockSummary.grant_key,
                StockSummary.quantity,
            ).where(StockSummary.quantity != 0)
        )
    }
    differences = []
    for key in sorted(computed.keys() | stored.keys()):
        if stored.get(key, 0) != computed.get(key, 0):
            location_id, item_id, grant_key = key
            differences.append(
                Difference(
                    location_id,
                    item_id,
                    None,
                    stored.get(key, 0),
                    computed.get(key, 0),
                    f"location {location_id} item {item_id} grant {grant_key or 'none'}: "
                    f"stock summary {stored.get(key, 0)}, its lot balances sum to "
                    f"{computed.get(key, 0)}",
                )
            )
    return differences


def item_row_differences() -> list[Difference]:
    """Item rows disagreeing with their lots or reservations, or guarded available below 0.

    On hand must be the sum of the lot balances, reserved the sum of the reservations.
    """
    lots = {
        (row.location_id, row.item_id): int(row.total)
        for row in db.session.execute(
            select(
                Balance.location_id, Balance.item_id, func.sum(Balance.quantity).label("total")
            ).group_by(Balance.location_id, Balance.item_id)
        )
    }
    held = {
        (row.location_id, row.item_id): int(row.total)
        for row in db.session.execute(
            select(
                Reservation.location_id,
                Reservation.item_id,
                func.sum(Reservation.quantity).label("total"),
            ).group_by(Reservation.location_id, Reservation.item_id)
        )
    }
    rows = {
        (row.location_id, row.item_id): row
        for row in db.session.execute(
            select(
                ItemBalance.location_id,
                ItemBalance.item_id,
                ItemBalance.on_hand,
                ItemBalance.reserved,
                ItemBalance.is_guarded,
            )
        )
    }
    differences = []
    for key in sorted(lots.keys() | held.keys() | rows.keys()):
        location_id, item_id = key
        row = rows.get(key)
        on_hand, reserved = (row.on_hand, row.reserved) if row else (0, 0)
        where = f"location {location_id} item {item_id}"
        if on_hand != lots.get(key, 0):
            differences.append(
                Difference(
                    location_id,
                    item_id,
                    None,
                    on_hand,
                    lots.get(key, 0),
                    f"{where}: item row on hand {on_hand}, its lots sum to {lots.get(key, 0)}",
                )
            )
        if reserved != held.get(key, 0):
            differences.append(
                Difference(
                    location_id,
                    item_id,
                    None,
                    reserved,
                    held.get(key, 0),
                    f"{where}: item row reserved {reserved}, "
                    f"its reservations sum to {held.get(key, 0)}",
                )
            )
        if row is not None and row.is_guarded and on_hand - reserved < 0:
            differences.append(
                Difference(
                    location_id,
                    item_id,
                    None,
                    on_hand,
                    reserved,
                    f"{where}: available {on_hand - reserved} below zero "
                    f"({on_hand} on hand, {reserved} reserved)",
                )
            )
    return differences


def serial_differences() -> list[Difference]:
    """Serial lots held at two guarded places, more than once, or not where their row says."""
    held: dict[int, list[tuple[int, int]]] = {}
    for lot_id, location_id, quantity in db.session.execute(
        select(Balance.lot_id, Balance.location_id, Balance.quantity)
        .join(Lot, Lot.id == Balance.lot_id)
        .where(Lot.serial.is_not(None), Balance.is_guarded, Balance.quantity != 0)
    ):
        held.setdefault(lot_id, []).append((location_id, quantity))
    differences = []
    for lot_id, item_id, serial, at_location_id in db.session.execute(
        select(Lot.id, Lot.item_id, Lot.serial, Lot.at_location_id).where(Lot.serial.is_not(None))
    ):
        places = held.get(lot_id, [])
        expected = [(at_location_id, 1)] if at_location_id is not None else []
        if sorted(places) != expected:
            where = ", ".join(f"location {loc} × {qty}" for loc, qty in sorted(places)) or "none"
            differences.append(
                Difference(
                    at_location_id,
                    item_id,
                    lot_id,
                    len(places),
                    len(expected),
                    f"serial {serial} (lot {lot_id}): recorded at location {at_location_id}, "
                    f"held at {where}",
                )
            )
    return differences
