"""The stock summary: on hand per (location, item, grant), kept by the ledger as it posts.

``post()`` adds its changes (:func:`apply`) after it has changed the balances, in the same
savepoint (on PostgreSQL within the chained balance statement, :func:`chained_upsert`): the
summary rows are upserted (``quantity = quantity + delta``) in one sorted order, after every
balance row, so two posts take their locks in the same order and never wait on each other in
a cycle. Nothing here refuses: the balances have already guarded the takes. The
summary's rows are never deleted (a row at zero is skipped by its readers), so a post never
races a delete. ``seed-scale`` and the migration fill it from the balances with
:func:`recomputed`; ``check-ledger`` compares the two (``audit.summary_differences``).
"""

from collections import defaultdict
from collections.abc import Mapping, Sequence
from functools import lru_cache
from typing import Any, Protocol

from sqlalchemy import ARRAY, Integer, Select, bindparam, func, insert, literal_column, select
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
    apply(deltas(lines, lots))


def apply(changes: Mapping[tuple[int, int, int], int]) -> None:
    """Add ``changes`` (as :func:`deltas` gives them) to the summary rows, in key order."""
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


@lru_cache(maxsize=1)
def _chained_rows() -> Any:
    """The changes as rows: unnest of one array per column (``s_l``, ``s_i``, ``s_g``, ``s_d``)."""
    return (
        func.unnest(
            *(bindparam(f"s_{name}", type_=ARRAY(Integer)) for name in ("l", "i", "g", "d"))
        )
        .table_valued("l", "i", "g", "d")
        .render_derived()
    )


def chained_upsert(gate: list[Any]) -> Any:
    """The PostgreSQL upsert of every change at once, run only when ``gate`` holds.

    For the ledger's chained statement (a CTE after its last balance step, which the gate
    names): the rows go in key order, as :func:`apply` sends them, so the locks are taken in
    the same order. Its parameters: :func:`chained_params`.
    """
    rows = _chained_rows()
    table = StockSummary.__table__
    stmt = pg_insert(table).from_select(
        ["location_id", "item_id", "grant_key", "quantity"],
        select(rows.c.l, rows.c.i, rows.c.g, rows.c.d).where(*gate),
    )
    return stmt.on_conflict_do_update(
        index_elements=["location_id", "item_id", "grant_key"],
        set_={"quantity": table.c.quantity + stmt.excluded.quantity},
    )


def chained_params(changes: Mapping[tuple[int, int, int], int]) -> dict[str, list[int]]:
    """The bound parameters of :func:`chained_upsert` for ``changes``, in key order."""
    keys = sorted(changes)
    return {
        "s_l": [key[0] for key in keys],
        "s_i": [key[1] for key in keys],
        "s_g": [key[2] for key in keys],
        "s_d": [changes[key] for key in keys],
    }


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
