"""The stock summary: on hand per (location, item, grant), kept by the ledger as it posts.

``post()`` calls :func:`apply_lines` after it has changed the balances, in the same savepoint:
the summary rows are upserted (``quantity = quantity + delta``) in one sorted order, after
every balance row, so two posts take their locks in the same order and never wait on each
other in a cycle. Nothing here refuses: the balances have already guarded the takes. The
summary's rows are never deleted (a row at zero is skipped by its readers), so a post never
races a delete. ``seed-scale`` and the migration fill it from the balances with
:func:`recomputed`; ``check-ledger`` compares the two (``audit.summary_differences``).
"""

from collections import defaultdict
from collections.abc import Mapping, Sequence
from functools import lru_cache
from typing import Any, Protocol

from sqlalchemy import Integer, Select, bindparam, func, insert, literal_column, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from hilogistics.db import db
from hilogistics.stock.models import Balance, Lot, StockSummary


class _Line(Protocol):
    item_id: int
    lot_id: int
    quantity: int
    from_location_id: int
    to_location_id: int


def grant_key(grant_id: int | None) -> int:
    """The summary's key for a lot's grant: its id, or 0 for no grant."""
    return grant_id or 0


def deltas(lines: Sequence[_Line], lots: Mapping[int, Lot]) -> dict[tuple[int, int, int], int]:
    """(location, item, grant key) → change of the lines, without the keys they leave unchanged."""
    changes: dict[tuple[int, int, int], int] = defaultdict(int)
    for line in lines:
        key = grant_key(lots[line.lot_id].grant_id)
        changes[(line.from_location_id, line.item_id, key)] -= line.quantity
        changes[(line.to_location_id, line.item_id, key)] += line.quantity
    return {key: delta for key, delta in sorted(changes.items()) if delta}


def apply_lines(lines: Sequence[_Line], lots: Mapping[int, Lot]) -> None:
    """Add the lines' changes to the summary rows, creating the missing ones, in key order."""
    changes = deltas(lines, lots)
    if not changes:
        return
    db.session.connection().execute(
        _upsert(db.session.get_bind().dialect.name),
        [{"l": loc, "i": item, "g": grant, "d": d} for (loc, item, grant), d in changes.items()],
    )


@lru_cache(maxsize=2)
def _upsert(dialect: str) -> Any:
    """INSERT … ON CONFLICT DO UPDATE quantity = quantity + delta, with bound parameters."""
    make = {"postgresql": pg_insert, "sqlite": sqlite_insert}.get(dialect)
    if make is None:
        raise NotImplementedError(f"no upsert for {dialect}")
    stmt = make(StockSummary.__table__).values(
        location_id=bindparam("l", type_=Integer),
        item_id=bindparam("i", type_=Integer),
        grant_key=bindparam("g", type_=Integer),
        quantity=bindparam("d", type_=Integer),
    )
    return stmt.on_conflict_do_update(
        index_elements=["location_id", "item_id", "grant_key"],
        set_={"quantity": StockSummary.__table__.c.quantity + stmt.excluded.quantity},
    )


def recomputed() -> Select[Any]:
    """(location_id, item_id, grant_key, quantity) summed from the lot balances, non-zero only."""
    # A literal, not a bound 0: PostgreSQL must see the grouped expression as the selected one.
    key = func.coalesce(Lot.grant_id, literal_column("0"))
    return (
        select(
            Balance.location_id,
            Balance.item_id,
            key.label("grant_key"),
            func.sum(Balance.quantity).label("quantity"),
        )
        .join(Lot, Lot.id == Balance.lot_id)
        .group_by(Balance.location_id, Balance.item_id, key)
        .having(func.sum(Balance.quantity) != 0)
    )


def fill() -> None:
    """Write the summary from the balances (a table that is empty: seed-scale, the migration)."""
    db.session.execute(
        insert(StockSummary).from_select(
            ["location_id", "item_id", "grant_key", "quantity"], recomputed()
        )
    )
